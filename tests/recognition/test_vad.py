import numpy as np
import pytest
from speech import needs_espeak, synth

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, convert, split
from voicecoach.recognition.vad import Utterance, UtteranceSegmenter, VadSettings

pytestmark = needs_espeak


def quiet(seconds: float, rate: int = SPEECH_RATE) -> np.ndarray:
    return np.random.default_rng(2).normal(0, 30, int(rate * seconds)).astype(np.int16)


def segment(samples: np.ndarray, rate: int = SPEECH_RATE) -> list[Utterance]:
    """Every utterance in a recording fed in microphone-sized chunks, then flushed."""
    seg = UtteranceSegmenter()
    utts = [u for chunk in split(AudioChunk(samples, rate)) for u in seg.feed(chunk)]
    return utts + seg.flush()


def test_two_commands_become_two_utterances_with_times() -> None:
    a, b = synth("pause"), synth("keep going")
    stream = np.concatenate([quiet(1.0), a, quiet(1.5), b, quiet(1.0)])
    utts = segment(stream)
    assert len(utts) == 2
    assert utts[0].start == pytest.approx(1.0, abs=0.15)
    assert utts[1].start == pytest.approx(1.0 + len(a) / SPEECH_RATE + 1.5, abs=0.15)
    for utt in utts:
        assert utt.rate == SPEECH_RATE
        assert 0.2 < utt.duration < 2.0
        assert len(utt.samples) / SPEECH_RATE >= utt.duration


def test_any_rate_and_channel_count() -> None:
    speech = synth("what's next")
    stream = np.concatenate([quiet(0.8), speech, quiet(1.0)])
    stereo44 = convert(stream, SPEECH_RATE, 44100)
    stereo44 = np.stack([stereo44, stereo44], axis=1)
    utts = segment(stereo44, 44100)
    assert len(utts) == 1
    assert utts[0].start == pytest.approx(0.8, abs=0.15)
    assert utts[0].rate == SPEECH_RATE


def test_long_speech_is_conversation_and_dropped() -> None:
    talk = synth(
        "so yesterday I went to the market and bought apples, pears, bread, cheese and "
        "a lot of other things because we are having friends over for dinner on Sunday"
    )
    assert len(talk) / SPEECH_RATE > 6
    seg = UtteranceSegmenter(VadSettings(max_length=5.0))
    stream = np.concatenate([quiet(0.5), talk, quiet(1.0)])
    utts = seg.feed(AudioChunk(stream, SPEECH_RATE)) + seg.flush()
    assert utts == []
    assert seg.dropped_long == 1


def test_silence_and_clicks_give_nothing() -> None:
    stream = quiet(3.0)
    stream[SPEECH_RATE : SPEECH_RATE + 80] = 20000
    assert segment(stream) == []


def test_endpoint_comes_after_trailing_silence() -> None:
    speech = synth("stop")
    seg = UtteranceSegmenter(VadSettings(endpoint=0.45))
    assert seg.feed(AudioChunk(np.concatenate([quiet(0.5), speech]), SPEECH_RATE)) == []
    assert len(seg.feed(AudioChunk(quiet(0.5), SPEECH_RATE))) == 1


def test_an_open_utterance_is_final_once_its_post_roll_has_passed() -> None:
    speech = synth("continue")  # one word: no pause inside it
    seg = UtteranceSegmenter(VadSettings(endpoint=0.45))
    assert seg.pending() is None
    loud = np.flatnonzero(np.abs(speech) > 1000)
    middle = (loud[0] + loud[-1]) // 2
    seg.feed(AudioChunk(np.concatenate([quiet(0.5), speech[:middle]]), SPEECH_RATE))
    assert seg.pending() is None  # mid-word: the audio may still grow
    seg.feed(AudioChunk(speech[middle : loud[-1]], SPEECH_RATE))
    seen = []
    closed = []
    for _ in range(20):  # 30 ms at a time, as from a microphone
        closed += seg.feed(AudioChunk(quiet(0.03), SPEECH_RATE))
        if not closed and (p := seg.pending()) is not None:
            seen.append(p)
    assert len(closed) == 1
    silences = [p.silence for p in seen]
    assert silences == sorted(silences) and silences[0] >= 0.064 and silences[-1] < 0.45
    assert len(seen) >= 8
    assert all(np.array_equal(p.utterance.samples, closed[0].samples) for p in seen)


def test_an_abandoned_utterance_never_closes() -> None:
    seg = UtteranceSegmenter()
    seg.feed(AudioChunk(np.concatenate([quiet(0.5), synth("pause")]), SPEECH_RATE))
    seg.abandon()
    assert seg.pending() is None
    assert seg.feed(AudioChunk(quiet(1.0), SPEECH_RATE)) == []
    assert seg.flush() == []


def test_flush_closes_the_utterance_open_at_the_end_of_the_stream() -> None:
    seg = UtteranceSegmenter()
    assert seg.feed(AudioChunk(np.concatenate([quiet(0.5), synth("stop")]), SPEECH_RATE)) == []
    flushed = seg.flush()
    assert len(flushed) == 1 and flushed[0].start == pytest.approx(0.5, abs=0.15)
    assert seg.flush() == []


class _CountingModel:
    """Silero, counting the frames it is asked about and its resets."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.frames = 0
        self.resets = 0

    def process_samples(self, samples: list[float]) -> float:
        self.frames += 1
        return float(self.model.process_samples(samples))  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.resets += 1
        self.model.reset()  # type: ignore[attr-defined]


def test_a_short_quiet_gap_still_reaches_the_model_and_a_long_one_does_not() -> None:
    """A word's own quiet part (the closure before the "p" of "stop") must not start the
    model afresh: it rated real people's words 0.3-0.5 after such a reset. A quiet room
    must still cost no model time."""
    seg = UtteranceSegmenter()
    model = _CountingModel(seg._vad)
    seg._vad = model  # type: ignore[assignment]
    frame_s = 512 / SPEECH_RATE
    silent = np.zeros(int(SPEECH_RATE * 3.0), dtype=np.int16)
    for chunk in split(AudioChunk(silent, SPEECH_RATE)):
        seg.feed(chunk)
    assert model.frames == 0  # below the floor from the start: never asked
    word = synth("stop")
    loud = np.flatnonzero(np.abs(word) > 300)
    word = word[loud[0] : loud[-1] + 1]  # without espeak-ng's own silence around it
    gap = np.zeros(int(SPEECH_RATE * 0.2), dtype=np.int16)  # under gate_after (0.5 s)
    for chunk in split(AudioChunk(np.concatenate([word, gap, word]), SPEECH_RATE)):
        seg.feed(chunk)
    asked = model.frames
    assert model.resets == 0
    assert asked >= (2 * len(word) + len(gap)) / SPEECH_RATE / frame_s - 2  # the gap too
    for chunk in split(AudioChunk(silent, SPEECH_RATE)):
        seg.feed(chunk)
    assert model.resets == 1  # once, when the quiet outlasted gate_after
    assert model.frames - asked <= 0.5 / frame_s + 1
