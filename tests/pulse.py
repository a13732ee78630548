"""Virtual sound devices for tests: PulseAudio null sinks seen through ALSA and PortAudio.

The ``pulse`` fixture starts them (``scripts/pulse-virtual.sh``) when PulseAudio and the
ALSA pulse plugin are installed; CI sets VOICECOACH_REQUIRE_PULSE=1 so that a missing
piece fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio import devices
from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.sim.room import rms_dbfs

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pulse-virtual.sh"
ALSA_PLUGIN = (
    "/usr/share/alsa/alsa.conf.d/50-pulseaudio.conf",
    "/etc/alsa/conf.d/50-pulseaudio.conf",
)
LOUD_DBFS = -40.0


def _missing() -> str | None:
    for tool, package in (("pulseaudio", "pulseaudio"), ("pactl", "pulseaudio-utils")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {package})"
    if shutil.which("parec") is None:
        return "parec is not installed (apt-get install pulseaudio-utils)"
    if not any(Path(p).exists() for p in ALSA_PLUGIN):
        return "the ALSA pulse plugin is not installed (apt-get install libasound2-plugins)"
    return None


@pytest.fixture(scope="module")
def pulse() -> Iterator[dict[str, str]]:
    reason = _missing()
    if reason:
        if os.environ.get("VOICECOACH_REQUIRE_PULSE") == "1":
            pytest.fail(f"virtual devices required but {reason}")
        pytest.skip(f"no virtual sound devices: {reason}")
    runtime = tempfile.mkdtemp(prefix="vc-pulse-", dir="/tmp")  # short: a socket lives here
    env = {**os.environ, "PULSE_RUNTIME_PATH": runtime}
    saved = os.environ.get("PULSE_RUNTIME_PATH")
    subprocess.run([str(SCRIPT), "start"], env=env, check=True, capture_output=True, timeout=30)
    os.environ["PULSE_RUNTIME_PATH"] = runtime  # libpulse inside PortAudio reads it
    devices.refresh()
    try:
        yield env
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=30)
        if saved is None:
            os.environ.pop("PULSE_RUNTIME_PATH", None)
        else:
            os.environ["PULSE_RUNTIME_PATH"] = saved
        devices.refresh()
        shutil.rmtree(runtime, ignore_errors=True)


def loud_seconds(samples: np.ndarray, rate: int, frame_ms: int = 30) -> float:
    """How long the audio is louder than LOUD_DBFS, in frames of ``frame_ms``."""
    step = rate * frame_ms // 1000
    frames = [samples[i : i + step] for i in range(0, len(samples) - step + 1, step)]
    return sum(1 for f in frames if rms_dbfs(f) > LOUD_DBFS) * frame_ms / 1000


class MonitorRecorder:
    """Records what reaches a sink (its monitor) with parec, as mono at SPEECH_RATE."""

    def __init__(self, env: dict[str, str], source: str = "vc_speaker.monitor") -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                f"--device={source}",
                f"--rate={SPEECH_RATE}",
                "--channels=1",
                "--format=s16le",
                "--raw",
                "--latency-msec=30",
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        self._data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while block := self._proc.stdout.read(640):
            self._data += block

    def stop(self) -> np.ndarray:
        self._proc.terminate()
        self._proc.wait(5)
        self._thread.join(5)
        assert self._proc.stdout is not None
        self._proc.stdout.close()
        usable = len(self._data) - len(self._data) % 2
        return np.frombuffer(bytes(self._data[:usable]), dtype="<i2")
