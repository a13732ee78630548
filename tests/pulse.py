"""Virtual sound devices for tests: PulseAudio null sinks seen through ALSA and PortAudio.

The ``pulse`` fixture starts them (``scripts/pulse-virtual.sh``) when PulseAudio and the
ALSA pulse plugin are installed; CI sets VOICECOACH_REQUIRE_PULSE=1 so that a missing
piece fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
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
QUIET_SECONDS = 0.9  # silence on the speaker before the person talks
ECHO_LEVEL = "40%"  # how loud the coach's voice comes back into the microphone
LOOPBACK = (
    "pactl", "load-module", "module-loopback", "source=vc_speaker.monitor", "sink=vc_room",
    "latency_msec=60", "source_dont_move=true", "sink_dont_move=true",
)  # fmt: skip


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


@pytest.fixture
def echo(pulse: dict[str, str]) -> Iterator[None]:
    """The coach's speaker heard by the room's microphone, quieter and later, as in a real
    room (PulseAudio's loopback adds its own delay, 60 ms or more), on one clock: as a
    laptop's or a USB speakerphone's microphone and speaker share theirs. The loopback's
    rate adjustment is off: on the virtual devices it made the delay creep 2-2.5 ms a
    minute, which no single sound card does."""
    yield from _loopback(pulse, "adjust_time=0")


@pytest.fixture
def drifting_echo(pulse: dict[str, str]) -> Iterator[None]:
    """As :func:`echo`, on two clocks: the loopback keeps adjusting its rate (PulseAudio's
    default), and the delay creeps, as between a separate USB microphone and speaker."""
    yield from _loopback(pulse)


def _loopback(pulse: dict[str, str], *options: str) -> Iterator[None]:
    loaded = subprocess.run(
        [*LOOPBACK, *options], env=pulse, check=True, capture_output=True, text=True, timeout=10
    )
    module = loaded.stdout.strip()
    listing = subprocess.run(
        ["pactl", "list", "sink-inputs"],
        env=pulse,
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    # The loopback's sink input is the one its module owns ("Owner Module: N"; the short
    # listing's third column is the client, which a module's stream has none of).
    owned = re.findall(r"Sink Input #(\d+)\s+Driver: [^\n]*\s+Owner Module: (\d+)", listing)
    mine = [index for index, owner in owned if owner == module]
    assert len(mine) == 1, f"the loopback's sink input (module {module}) in:\n{listing}"
    subprocess.run(
        ["pactl", "set-sink-input-volume", mine[0], ECHO_LEVEL], env=pulse, check=True, timeout=10
    )
    try:
        yield
    finally:
        subprocess.run(["pactl", "unload-module", module], env=pulse, timeout=10, check=False)


class SpeakerMonitor(MonitorRecorder):
    """Records the coach's speaker and tells whether it has been quiet lately."""

    def recent(self, seconds: float) -> np.ndarray:
        usable = len(self._data) - len(self._data) % 2
        want = int(seconds * SPEECH_RATE) * 2
        return np.frombuffer(bytes(self._data[max(0, usable - want) : usable]), dtype="<i2")

    def quiet_for(self, seconds: float) -> bool:
        tail = self.recent(seconds)
        if len(tail) < int(seconds * SPEECH_RATE) * 0.9:
            return False
        step = SPEECH_RATE * 30 // 1000
        frames = [tail[i : i + step] for i in range(0, len(tail) - step + 1, step)]
        return all(rms_dbfs(f) <= LOUD_DBFS for f in frames)

    def wait_quiet(self, seconds: float = QUIET_SECONDS, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.quiet_for(seconds):
                return True
            time.sleep(0.05)
        return False

    def loud_for(self, seconds: float) -> bool:
        """Whether the coach has been speaking all through the last ``seconds``."""
        tail = self.recent(seconds)
        if len(tail) < int(seconds * SPEECH_RATE) * 0.9:
            return False
        step = SPEECH_RATE * 30 // 1000
        frames = [tail[i : i + step] for i in range(0, len(tail) - step + 1, step)]
        return sum(rms_dbfs(f) > LOUD_DBFS for f in frames) >= 0.8 * len(frames)
