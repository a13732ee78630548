"""Speech synthesis through espeak-ng into samples."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.audio.wav import parse_wav
from voicecoach.errors import AudioError
from voicecoach.sim.room import rms_dbfs
from voicecoach.voice import synth


def test_speech_comes_back_as_audible_mono_at_the_speech_rate() -> None:
    chunk = synth.synthesize("start back routine")
    assert chunk.rate == SPEECH_RATE
    assert chunk.samples.dtype == np.int16
    assert chunk.samples.shape[1] == 1
    assert 0.5 < chunk.duration < 4.0
    assert rms_dbfs(chunk.samples) > -35


def test_longer_text_and_slower_rate_take_longer() -> None:
    short = synth.synthesize("next")
    long = synth.synthesize("next exercise please, and then the one after it")
    slow = synth.synthesize("next exercise please", rate_wpm=100)
    fast = synth.synthesize("next exercise please", rate_wpm=260)
    assert long.duration > short.duration * 2
    assert slow.duration > fast.duration * 1.5


def test_native_rate_is_kept_when_asked() -> None:
    assert synth.synthesize("pause", target_rate=None).rate == synth.ESPEAK_RATE


def test_results_are_cached_and_read_only() -> None:
    first = synth.synthesize("how much longer")
    again = synth.synthesize("how much longer")
    assert again is first
    with pytest.raises(ValueError):
        first.samples[0, 0] = 1


def test_person_and_coach_voices_differ() -> None:
    coach = synth.synthesize("pause", voice=synth.COACH_VOICE).samples[:, 0]
    person = synth.synthesize("pause", voice=synth.PERSON_VOICE).samples[:, 0]
    n = min(len(coach), len(person))
    assert not np.array_equal(coach[:n], person[:n])


def test_empty_text_is_silence() -> None:
    assert len(synth.synthesize("   ").samples) == 0


def test_unknown_voice_is_one_clear_error() -> None:
    with pytest.raises(AudioError, match="voice 'zz-nothing'"):
        synth.synthesize("hello", voice="zz-nothing")


def test_missing_espeak_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    synth._synthesize_cached.cache_clear()  # a cached rendering needs no espeak-ng
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioError, match="apt-get install espeak-ng"):
        synth.synthesize("hello there")


def test_parse_wav_reads_pcm_and_rejects_garbage() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.arange(20, dtype="<i2").tobytes())
    chunk = parse_wav(buf.getvalue(), "a test buffer")
    assert chunk.rate == 8000
    assert chunk.samples.shape == (10, 2)
    assert chunk.samples[1, 0] == 2
    with pytest.raises(AudioError, match="cannot read a test buffer: not a RIFF/WAVE file"):
        parse_wav(b"not a wav file at all", "a test buffer")


def test_parse_wav_reads_espeak_ngs_streamed_header() -> None:
    # espeak-ng --stdout cannot seek back: its RIFF and data sizes are placeholders.
    body = np.arange(-50, 51, dtype="<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, synth.ESPEAK_RATE, 2 * synth.ESPEAK_RATE, 2, 16)
    data = (
        b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
        + fmt + b"data" + struct.pack("<I", 0x7FFFF000) + body
    )  # fmt: skip
    chunk = parse_wav(data, "espeak-ng's output")
    assert chunk.rate == synth.ESPEAK_RATE
    assert chunk.samples[:, 0].tolist() == list(range(-50, 51))
