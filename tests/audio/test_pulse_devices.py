"""Real sound devices, virtual ones: PulseAudio null sinks seen through ALSA and PortAudio.

Runs when PulseAudio and the ALSA pulse plugin are installed (tests/pulse.py); CI sets
VOICECOACH_REQUIRE_PULSE=1 so that a missing piece fails instead of skipping.
"""

from __future__ import annotations

import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pulse as virtual_devices
from pulse import SCRIPT, MonitorRecorder, loud_seconds

from voicecoach.audio import devices
from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.audio.mic import MicrophoneSource
from voicecoach.voice import synth
from voicecoach.voice.tts import Pyttsx3Speaker

pulse = virtual_devices.pulse  # the module-scoped virtual devices fixture


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
    assert loud_seconds(recorded, SPEECH_RATE) > 1.0


def test_interrupt_cuts_the_coach_off(pulse: dict[str, str]) -> None:
    sentence = (
        "This is a long instruction about your breathing that should never be heard to the end."
    )
    full = loud_seconds(synth.synthesize(sentence).samples[:, 0], SPEECH_RATE)
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
    heard = loud_seconds(recorded, SPEECH_RATE)
    assert stopped_within < 0.2 + 0.3  # the tail plus a few audio blocks
    assert 0.2 < heard < full / 2
