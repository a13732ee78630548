"""Real sound devices, virtual ones: PulseAudio null sinks seen through ALSA and PortAudio.

Runs when PulseAudio and the ALSA pulse plugin are installed; CI sets
VOICECOACH_REQUIRE_PULSE=1 so that a missing piece fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio import devices
from voicecoach.audio.mic import MicrophoneSource
from voicecoach.sim.room import rms_dbfs
from voicecoach.voice import synth
from voicecoach.voice.tts import Pyttsx3Speaker

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pulse-virtual.sh"
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
    """Records what reaches a sink (its monitor) with parec, as 16 kHz mono."""

    def __init__(self, env: dict[str, str], source: str = "vc_speaker.monitor") -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                f"--device={source}",
                "--rate=16000",
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


def test_virtual_devices_are_listed(pulse: dict[str, str]) -> None:
    names = {d.name for d in devices.list_devices()}
    assert {"pulse", "default"} <= names
    assert devices.find_device(None, "input").name == "default"


def test_microphone_hears_what_is_played_into_the_virtual_mic(
    pulse: dict[str, str], tmp_path: Path
) -> None:
    speech = synth.synthesize("start back routine", voice=synth.PERSON_VOICE)
    wav = tmp_path / "command.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(speech.rate)
        w.writeframes(speech.samples.tobytes())
    expected = loud_seconds(speech.samples[:, 0], speech.rate)
    heard = []
    with MicrophoneSource() as source:
        player = subprocess.Popen([str(SCRIPT), "play", str(wav)], env=pulse)
        deadline = time.monotonic() + speech.duration + 2.5
        for chunk in source:
            heard.append(chunk)
            if time.monotonic() > deadline:
                break
        player.wait(10)
    assert player.returncode == 0
    assert all(c.rate == source.rate for c in heard)
    audio = np.concatenate([c.samples[:, 0] for c in heard])
    got = loud_seconds(audio, source.rate)
    assert 0.6 * expected < got < 1.6 * expected + 0.1


def test_coach_speech_comes_out_of_the_virtual_speaker(pulse: dict[str, str]) -> None:
    recorder = MonitorRecorder(pulse)
    time.sleep(0.3)
    starts: list[float] = []
    speaker = Pyttsx3Speaker(tail=0.2, on_speech_start=lambda text, at: starts.append(at))
    try:
        began = time.monotonic()
        speaker.say("Lie on your back and bend your knees.")
        deadline = time.monotonic() + 10
        while speaker.is_speaking() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
    finally:
        speaker.close()
    recorded = recorder.stop()
    assert len(starts) == 1 and 0 <= starts[0] - began < 0.5
    assert loud_seconds(recorded, 16000) > 1.0


def test_interrupt_cuts_the_coach_off(pulse: dict[str, str]) -> None:
    sentence = (
        "This is a long instruction about your breathing that should never be heard to the end."
    )
    full = loud_seconds(synth.synthesize(sentence, target_rate=16000).samples[:, 0], 16000)
    recorder = MonitorRecorder(pulse)
    time.sleep(0.3)
    starts: list[float] = []
    speaker = Pyttsx3Speaker(tail=0.2, on_speech_start=lambda text, at: starts.append(at))
    try:
        speaker.say(sentence)
        deadline = time.monotonic() + 5
        while not starts and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.8)
        speaker.interrupt()
        cut_at = time.monotonic()
        while speaker.is_speaking() and time.monotonic() < cut_at + 2:
            time.sleep(0.01)
        stopped_within = time.monotonic() - cut_at
        time.sleep(0.8)
    finally:
        speaker.close()
    recorded = recorder.stop()
    heard = loud_seconds(recorded, 16000)
    assert stopped_within < 0.2 + 0.3  # the tail plus a few audio blocks
    assert 0.2 < heard < full / 2
