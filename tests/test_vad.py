from pathlib import Path

import numpy as np
import pytest
from speech import needs_espeak, synth

from voicecoach.audio.chunk import AudioChunk, convert
from voicecoach.recognition.vad import UtteranceSegmenter, VadSettings, segment

pytestmark = needs_espeak


def quiet(seconds: float, rate: int = 16000) -> np.ndarray:
    return np.random.default_rng(2).normal(0, 30, int(rate * seconds)).astype(np.int16)


def test_two_commands_become_two_utterances_with_times(tmp_path: Path) -> None:
    a, b = synth("pause", tmp_path), synth("keep going", tmp_path)
    stream = np.concatenate([quiet(1.0), a, quiet(1.5), b, quiet(1.0)])
    utts = segment(stream, 16000)
    assert len(utts) == 2
    assert utts[0].start == pytest.approx(1.0, abs=0.15)
    assert utts[1].start == pytest.approx(1.0 + len(a) / 16000 + 1.5, abs=0.15)
    for utt in utts:
        assert 0.2 < utt.duration < 2.0
        assert len(utt.samples) / 16000 >= utt.duration


def test_any_rate_and_channel_count(tmp_path: Path) -> None:
    speech = synth("what's next", tmp_path)
    stream = np.concatenate([quiet(0.8), speech, quiet(1.0)])
    stereo44 = convert(stream, 16000, 44100)
    stereo44 = np.stack([stereo44, stereo44], axis=1)
    seg = UtteranceSegmenter()
    utts = []
    for i in range(0, len(stereo44), 4410):
        utts += seg.feed(AudioChunk(stereo44[i : i + 4410], 44100))
    utts += seg.flush()
    assert len(utts) == 1
    assert utts[0].start == pytest.approx(0.8, abs=0.15)


def test_long_speech_is_conversation_and_dropped(tmp_path: Path) -> None:
    talk = synth(
        "so yesterday I went to the market and bought apples, pears, bread, cheese and "
        "a lot of other things because we are having friends over for dinner on Sunday",
        tmp_path,
    )
    assert len(talk) / 16000 > 6
    seg = UtteranceSegmenter(VadSettings(max_length=5.0))
    stream = np.concatenate([quiet(0.5), talk, quiet(1.0)])
    utts = seg.feed(AudioChunk(stream, 16000)) + seg.flush()
    assert utts == []
    assert seg.dropped_long == 1


def test_silence_and_clicks_give_nothing() -> None:
    stream = quiet(3.0)
    stream[16000:16080] = 20000
    assert segment(stream, 16000) == []


def test_endpoint_comes_after_trailing_silence(tmp_path: Path) -> None:
    speech = synth("stop", tmp_path)
    seg = UtteranceSegmenter(VadSettings(endpoint=0.45))
    assert seg.feed(AudioChunk(np.concatenate([quiet(0.5), speech]), 16000)) == []
    assert len(seg.feed(AudioChunk(quiet(0.5), 16000))) == 1


def test_an_open_utterance_is_final_once_its_post_roll_has_passed(tmp_path: Path) -> None:
    speech = synth("keep going", tmp_path)
    seg = UtteranceSegmenter(VadSettings(endpoint=0.45))
    assert seg.pending() is None
    loud = np.flatnonzero(np.abs(speech) > 1000)
    middle = (loud[0] + loud[-1]) // 2
    seg.feed(AudioChunk(np.concatenate([quiet(0.5), speech[:middle]]), 16000))
    assert seg.pending() is None  # mid-word: the audio may still grow
    seg.feed(AudioChunk(speech[middle : loud[-1]], 16000))
    seen = []
    closed = []
    for _ in range(20):  # 30 ms at a time, as from a microphone
        closed += seg.feed(AudioChunk(quiet(0.03), 16000))
        if not closed and (p := seg.pending()) is not None:
            seen.append(p)
    assert len(closed) == 1
    silences = [p.silence for p in seen]
    assert silences == sorted(silences) and silences[0] >= 0.064 and silences[-1] < 0.45
    assert len(seen) >= 8
    assert all(np.array_equal(p.utterance.samples, closed[0].samples) for p in seen)


def test_an_abandoned_utterance_never_closes(tmp_path: Path) -> None:
    seg = UtteranceSegmenter()
    seg.feed(AudioChunk(np.concatenate([quiet(0.5), synth("pause", tmp_path)]), 16000))
    seg.abandon()
    assert seg.pending() is None
    assert seg.feed(AudioChunk(quiet(1.0), 16000)) == []
    assert seg.flush() == []
