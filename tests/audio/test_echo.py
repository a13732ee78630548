"""The echo canceller: the coach's voice, as a room returns it, taken out of the microphone,
and the person's word kept."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest
from speech import needs_espeak, synth

from voicecoach.audio import echo
from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.audio.echo import FRAME, LATENCY, EchoCanceller
from voicecoach.errors import AudioError


def room(played: np.ndarray, delay: int, rng: np.random.Generator) -> np.ndarray:
    """``played`` as a room returns it: after ``delay`` samples, with three reflections and
    a tail that dies away in 0.3 s."""
    tail = int(0.3 * SPEECH_RATE)
    response = np.zeros(delay + tail)
    response[delay] = 0.6
    for after, gain in ((110, 0.3), (210, -0.2), (370, 0.15)):
        response[delay + after] += gain
    decay = np.exp(-6.9 * np.arange(tail) / tail)  # -60 dB over the tail
    response[delay:] += 0.05 * rng.normal(size=tail) * decay
    return np.convolve(played.astype(np.float64), response)[: len(played)]


def power(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2)) + 1e-9


@needs_espeak
@pytest.mark.parametrize("delay_ms", [20, 120])
def test_the_coach_s_voice_is_taken_out_and_the_person_s_word_kept(delay_ms: int) -> None:
    rng = np.random.default_rng(5)
    coach = np.concatenate(
        [synth(text) for text in ("Lie on your back and bend your knees.",
                                  "Breathe in, and let your low back sink into the mat.",
                                  "Hold it there, and keep breathing slowly.")] * 2
    ).astype(np.float64)  # fmt: skip
    n = len(coach) - len(coach) % FRAME
    coach = coach[:n]
    delay = delay_ms * SPEECH_RATE // 1000
    heard_coach = room(coach, delay, rng)
    word = synth("next", voice="en-us+m3").astype(np.float64)
    at = n - 3 * SPEECH_RATE  # said over the coach, once the canceller has learned the room
    person = np.zeros(n)
    person[at : at + len(word)] = word
    mic = np.clip(heard_coach + person + rng.normal(0, 20, n), -32768, 32767).astype(np.int16)
    canceller = EchoCanceller(delay=delay // FRAME)
    out = np.concatenate(
        [
            canceller.process(mic[i : i + FRAME], coach[i : i + FRAME].astype(np.int16))
            for i in range(0, n, FRAME)
        ]
    ).astype(np.float64)
    canceller.close()
    settled = slice(4 * SPEECH_RATE, at)  # echo only, after four seconds of learning
    erle = 10 * np.log10(power(mic[settled]) / power(out[settled]))
    assert erle > 20.0, f"echo taken out: {erle:.1f} dB"
    span = slice(at + LATENCY, at + LATENCY + len(word))  # the output comes a frame late
    kept = 10 * np.log10(power(out[span]) / power(word))
    assert -6.0 < kept < 3.0, f"the person's word at {kept:.1f} dB of its own level"
    alike = float(np.corrcoef(out[span], word)[0, 1])
    assert alike > 0.9, f"the word's waveform kept: correlation {alike:.2f}"
    assert float(np.corrcoef(mic[at : at + len(word)], word)[0, 1]) < 0.7  # it was buried


def test_frames_must_be_ten_milliseconds() -> None:
    canceller = EchoCanceller()
    with pytest.raises(ValueError, match="160"):
        canceller.process(np.zeros(100, np.int16), np.zeros(100, np.int16))
    canceller.close()


def test_a_missing_library_is_one_line_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(echo, "_library", None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(ctypes, "CDLL", missing)
    with pytest.raises(AudioError) as error:
        EchoCanceller()
    assert "sudo apt-get install libspeexdsp1" in str(error.value)
    assert "\n" not in str(error.value)
