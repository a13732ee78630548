"""The listener: the own-voice guard, early decisions, intent matching, rates, the end."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pytest

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.commands.names import Command
from voicecoach.recognition.listener import (
    ECHO_REMOVED,
    PLAIN_MIC,
    Decision,
    Listener,
    OverCoach,
    echoes,
)
from voicecoach.recognition.recognizer import Recognition
from voicecoach.recognition.vad import Pending, Utterance
from voicecoach.voice.speaker import RecordingSpeaker

T = TypeVar("T")
INTENTS = load_intents()


@dataclass
class ScriptedRecognizer:
    """Answers each utterance with the next scripted result; notes how long each one was."""

    results: list[Recognition]
    sample_rate: int = SPEECH_RATE
    engine: str = "scripted"
    intents: CommandIntents = field(default_factory=lambda: INTENTS)
    lengths: list[int] = field(default_factory=list)

    def recognize(self, samples: Samples) -> Recognition:
        self.lengths.append(len(samples))
        return self.results.pop(0)


def heard(text: str, confidence: float) -> Recognition:
    """A hearing the engine accepted."""
    return Recognition(text, accepted=True, confidence=confidence)


def turned_down(text: str, confidence: float) -> Recognition:
    """A hearing the engine rejected."""
    return Recognition(text, accepted=False, confidence=confidence)


@dataclass
class OneUtterancePerChunk:
    """A segmenter that closes one utterance at the end of every chunk, at the chunk's rate,
    its speech ``spoken`` seconds long from the chunk's start (a word's length).

    Flushing closes one more, ``left_open`` seconds long, if there is one.
    """

    left_open: float = 0.0
    spoken: float = 0.4

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        end = chunk.timestamp + self.spoken
        return [Utterance(chunk.samples.reshape(-1), chunk.rate, chunk.timestamp, end)]

    def pending(self) -> None:
        return None

    def abandon(self) -> None:
        raise AssertionError("nothing is ever open")

    def flush(self) -> list[Utterance]:
        if not self.left_open:
            return []
        samples = np.zeros(round(self.left_open * SPEECH_RATE), np.int16)
        return [Utterance(samples, SPEECH_RATE, 10.0, 10.0 + self.left_open)]


@dataclass
class SpeakingSpeaker(RecordingSpeaker):
    speaking: list[bool] = field(default_factory=list)

    def is_speaking(self) -> bool:
        return self.speaking.pop(0)


def chunk(at: float, rate: int = SPEECH_RATE) -> AudioChunk:
    return AudioChunk(np.zeros((rate * 30 // 1000, 1), dtype=np.int16), rate, at)


def run(
    results: list[Recognition],
    speaking: list[bool],
    over_coach: OverCoach | Callable[[float], OverCoach] = PLAIN_MIC,
    coach_words: list[str] | None = None,
    *,
    kept_db: Callable[[float, float], float | None] | None = None,
    every: float = 0.03,
    spoken: float = 0.4,
) -> tuple[list[Command], list[str]]:
    """One utterance of ``spoken`` seconds a chunk, a chunk every ``every`` seconds, heard as
    ``results`` while the coach is ``speaking`` or not; what was posted, and why not."""
    posted: list[Command] = []
    listener = Listener(
        ScriptedRecognizer(results),
        SpeakingSpeaker(speaking=speaking),
        posted.append,
        segmenter=OneUtterancePerChunk(spoken=spoken),
        over_coach=over_coach,
        coach_words=None if coach_words is None else lambda: coach_words,
        kept_db=kept_db,
    )
    ignored = [d.ignored for i in range(len(speaking)) for d in listener.feed(chunk(i * every))]
    return posted, ignored


def test_commands_pass_when_the_coach_is_quiet() -> None:
    posted, ignored = run([heard("next", 0.5)], [False])
    assert posted == [Command("next")] and ignored == [""]


def test_ordinary_commands_are_dropped_while_the_coach_speaks() -> None:
    posted, ignored = run([heard("next", 0.99)], [True])
    assert posted == [] and ignored == ["the coach was speaking"]


def test_barge_in_needs_a_sure_hearing_over_the_coach() -> None:
    results = [heard("pause", 0.5), heard("stop", 0.97)]
    posted, ignored = run(results, [True, True])
    assert posted == [Command("stop")]
    assert ignored[0].startswith("not sure enough over the coach's voice")


def test_with_the_echo_removed_every_accepted_command_is_heard_over_the_coach() -> None:
    results = [heard("next", 0.7), heard("how much longer", 0.6), heard("pause", 0.66)]
    posted, ignored = run(results, [True, True, True], ECHO_REMOVED)
    assert posted == [Command("next"), Command("how_long"), Command("pause")]
    assert ignored == ["", "", ""]


def test_with_the_echo_removed_the_coach_s_own_words_are_still_not_obeyed() -> None:
    said = ["Next up: the pelvic tilt.", "Say pause whenever you need to."]
    results = [heard("next", 0.95), heard("pause", 0.95), heard("pause the timer", 0.95)]
    posted, ignored = run(results, [True, True, True], ECHO_REMOVED, said)
    assert posted == [Command("pause")]  # "the timer" are the person's own words
    assert ignored[:2] == ["the coach's own words", "the coach's own words"]


def test_with_the_echo_removed_what_is_mostly_the_coach_s_echo_is_not_obeyed() -> None:
    spans: list[tuple[float, float]] = []

    def kept_db(start: float, end: float) -> float | None:
        spans.append((start, end))
        return [-12.0, -3.0, None][len(spans) - 1]

    results = [heard("next", 0.95), heard("repeat", 0.95), heard("pause", 0.95)]
    posted, ignored = run(results, [True, True, True], ECHO_REMOVED, kept_db=kept_db)
    assert posted == [Command("repeat"), Command("pause")]  # a person's word stays in
    assert ignored[0] == "the coach's own echo (-12 dB of it left)"
    assert spans[0] == (0.0, 0.4)  # asked about the utterance's own moments


def test_over_the_coach_words_too_many_for_the_speech_are_not_obeyed() -> None:
    """0.15 s heard as "hold on" is a burst, not a person; "next" fits in it."""
    results = [heard("hold on", 0.95), heard("next", 0.95), heard("hold on", 0.95)]
    posted, ignored = run(results, [True, True, False], ECHO_REMOVED, every=0.5, spoken=0.15)
    assert ignored[0] == "too short for its words (0.15 s)"
    assert posted == [Command("next"), Command("pause")]  # one word fits; in a silence, no rule


def test_the_policy_over_the_coach_is_asked_for_each_utterance_s_start() -> None:
    """The echo remover was not doing its work just before the second utterance."""
    asked: list[float] = []

    def policy(start: float) -> OverCoach:
        asked.append(start)
        return PLAIN_MIC if 0.4 < start < 0.6 else ECHO_REMOVED

    results = [heard("next", 0.95), heard("next", 0.95), heard("next", 0.95)]
    posted, ignored = run(results, [True, True, True], policy, every=0.5)
    assert asked == [0.0, 0.5, 1.0]
    assert posted == [Command("next"), Command("next")]
    assert ignored == ["", "the coach was speaking", ""]


def test_a_hearing_the_engine_refused_stays_refused_over_the_coach() -> None:
    posted, ignored = run([turned_down("next", 0.9)], [True], ECHO_REMOVED)
    assert posted == [] and ignored == [""]


def test_a_command_the_session_waits_for_passes_a_lower_bar() -> None:
    posted: list[Command] = []
    results = [
        turned_down("keep going", 0.3),  # rejected by the engine, but expected
        turned_down("next", 0.3),  # rejected and not expected: stays rejected
        turned_down("resume", 0.1),  # too unsure even for an expected command
    ]
    listener = Listener(
        ScriptedRecognizer(results),
        SpeakingSpeaker(speaking=[False, False, False]),
        posted.append,
        segmenter=OneUtterancePerChunk(),
        expected=lambda: frozenset({"resume"}),
    )
    for i in range(3):
        listener.feed(chunk(i * 0.03))
    assert posted == [Command("resume")]


def test_what_a_hearing_means_comes_from_the_recognizers_intents() -> None:
    results = [heard("start back routine", 0.8), heard("give me", 0.9), turned_down("next", 0.9)]
    posted, ignored = run(results, [False, False, False])
    assert posted == [Command("start", {"routine": "back"})]  # the others name no command
    assert ignored == ["", "", ""]


def test_an_utterance_at_another_rate_reaches_the_recognizer_at_its_rate() -> None:
    recognizer = ScriptedRecognizer([heard("next", 0.9), heard("next", 0.9)])
    listener = Listener(
        recognizer, RecordingSpeaker(), lambda command: None, segmenter=OneUtterancePerChunk()
    )
    listener.feed(chunk(0.0, rate=8000))  # 30 ms: 240 samples at 8 kHz
    listener.feed(chunk(0.03, rate=44100))
    per_chunk = SPEECH_RATE * 30 // 1000  # both 30 ms, so this many samples at SPEECH_RATE
    assert len(recognizer.lengths) == 2
    assert all(abs(n - per_chunk) <= 2 for n in recognizer.lengths), recognizer.lengths


def test_flush_decides_the_utterance_still_open_at_the_end() -> None:
    posted: list[Command] = []
    seen: list[Decision] = []
    listener = Listener(
        ScriptedRecognizer([heard("next", 0.9), heard("pause", 0.8)]),
        RecordingSpeaker(),
        posted.append,
        segmenter=OneUtterancePerChunk(left_open=0.5),
        on_decision=seen.append,
    )
    listener.feed(chunk(0.0))
    last = listener.flush()
    assert [d.command for d in last] == [Command("pause")]
    assert last[0].start == 10.0 and last[0].decided == pytest.approx(0.03)
    assert posted == [Command("next"), Command("pause")] and seen[-1] is last[0]


class SameThread(Executor):
    """Runs a job at once, so the early decode is deterministic here."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@dataclass
class ScriptedPause:
    """An open utterance whose trailing silence grows by one frame per chunk.

    ``spans[i]`` is the speech the utterance covers after chunk ``i + 1`` (the last
    one holds from then on); a new span means speech resumed, so the silence restarts.
    The endpoint closes the utterance at chunk ``closes_at`` unless it was abandoned.
    """

    spans: list[tuple[float, float]]
    closes_at: int
    chunks: int = 0
    quiet_since: int = 0
    abandoned: bool = False

    def _span(self, chunks: int) -> tuple[float, float]:
        return self.spans[min(chunks, len(self.spans)) - 1]

    def _utterance(self) -> Utterance:
        start, end = self._span(self.chunks)
        samples = np.zeros(round((end - start) * SPEECH_RATE), np.int16)
        return Utterance(samples, SPEECH_RATE, start, end)

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        self.chunks += 1
        if self.chunks > 1 and self._span(self.chunks) != self._span(self.chunks - 1):
            self.quiet_since = self.chunks
        if self.chunks == self.closes_at and not self.abandoned:
            return [self._utterance()]
        return []

    def pending(self) -> Pending | None:
        if self.abandoned or self.chunks >= self.closes_at:
            return None
        silence = (self.chunks - self.quiet_since) * 0.032
        return Pending(self._utterance(), silence) if silence >= 0.064 else None

    def abandon(self) -> None:
        self.abandoned = True

    def flush(self) -> list[Utterance]:
        return []


def listen(
    results: list[Recognition], segmenter: ScriptedPause, chunks: int
) -> tuple[list[Decision], ScriptedRecognizer]:
    recognizer = ScriptedRecognizer(results)
    listener = Listener(
        recognizer,
        SpeakingSpeaker(speaking=[False] * chunks),
        lambda command: None,
        segmenter=segmenter,
        executor=SameThread(),
    )
    decisions = [d for i in range(chunks) for d in listener.feed(chunk(i * 0.03))]
    return decisions, recognizer


def test_an_accepted_command_is_acted_on_before_the_endpoint() -> None:
    segmenter = ScriptedPause(spans=[(0.1, 0.6)], closes_at=15)
    decisions, recognizer = listen([heard("next", 0.9)], segmenter, 20)
    assert [d.command for d in decisions] == [Command("next")]
    assert decisions[0].decided == pytest.approx(5 * 0.03)  # after 5 quiet frames, not 15
    assert segmenter.abandoned and recognizer.results == []


def test_a_rejected_hearing_waits_for_the_endpoint_and_is_decoded_once() -> None:
    segmenter = ScriptedPause(spans=[(0.1, 0.6)], closes_at=15)
    decisions, recognizer = listen([turned_down("give me", 0.1)], segmenter, 20)
    assert len(decisions) == 1 and decisions[0].command is None
    assert decisions[0].decided == pytest.approx(15 * 0.03)
    assert not segmenter.abandoned and recognizer.results == []


def test_speech_that_goes_on_is_decoded_again_as_a_whole() -> None:
    # "give me" ... a pause ... "a second": the first decode is rejected, the whole accepted.
    spans = [(0.1, 0.5)] * 6 + [(0.1, 1.2)]
    segmenter = ScriptedPause(spans=spans, closes_at=30)
    results = [
        turned_down("give me", 0.1),
        heard("give me a second", 0.9),
    ]
    decisions, recognizer = listen(results, segmenter, 30)
    assert [d.command for d in decisions] == [Command("pause")]
    assert decisions[0].end == 1.2 and recognizer.results == []


def decide(result: Recognition, *, speaking: bool = False, expected: str = "") -> Decision:
    """The listener's decision on one utterance heard as ``result``."""
    seen: list[Decision] = []
    listener = Listener(
        ScriptedRecognizer([result]),
        SpeakingSpeaker(speaking=[speaking]),
        lambda command: None,
        segmenter=OneUtterancePerChunk(),
        on_decision=seen.append,
        expected=(lambda: frozenset({expected})) if expected else None,
    )
    listener.feed(chunk(0.0))
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize(
    ("result", "rejected"),
    [
        (heard("pause", 0.9), None),
        (turned_down("pause", 0.3), "low confidence"),  # a command's words, turned down
        (turned_down("give me the weather", 0.3), "not a command"),
        (heard("give me the weather", 0.9), "not a command"),  # accepted, but no command
        (turned_down("", 0.0), "no speech"),
        (heard("  ", 0.5), "no speech"),
    ],
)
def test_a_hearing_that_is_no_command_says_why(result: Recognition, rejected: str | None) -> None:
    decision = decide(result)
    assert decision.rejected == rejected
    assert (decision.command is None) == (rejected is not None)


def test_a_turned_down_hearing_the_session_waits_for_is_not_rejected() -> None:
    assert decide(turned_down("keep going", 0.3), expected="resume").rejected is None
    assert decide(turned_down("keep going", 0.1), expected="resume").rejected == "low confidence"
    unsure = decide(turned_down("keep going", 0.3), expected="resume", speaking=True)
    assert unsure.rejected == "low confidence"  # over the coach's voice: no lower bar


def test_a_command_dropped_over_the_coach_is_ignored_not_rejected() -> None:
    decision = decide(heard("next", 0.99), speaking=True)
    assert decision.command == Command("next") and decision.rejected is None
    assert decision.ignored == "the coach was speaking"


def run_over(heard_text: str, coach_says: list[str]) -> tuple[list[Command], list[str]]:
    """One sure barge-in ``heard_text`` while the coach says ``coach_says``."""
    posted: list[Command] = []
    listener = Listener(
        ScriptedRecognizer([heard(heard_text, 0.97)]),
        SpeakingSpeaker(speaking=[True]),
        posted.append,
        segmenter=OneUtterancePerChunk(),
        coach_words=lambda: coach_says,
    )
    return posted, [d.ignored for d in listener.feed(chunk(0.0))]


def test_the_coach_s_own_words_heard_over_it_are_not_obeyed() -> None:
    """Its "Paused. Say resume when you are ready." heard as "pause" is its own voice."""
    posted, ignored = run_over("Pause.", ["Paused. Say resume when you are ready."])
    assert posted == [] and ignored == ["the coach's own words"]
    posted, ignored = run_over("stop", ["Say stop again to end the session."])
    assert posted == [] and ignored == ["the coach's own words"]


def test_a_barge_in_with_words_the_coach_is_not_saying_is_obeyed() -> None:
    assert run_over("pause", ["Lift your knees a few inches."]) == ([Command("pause")], [""])
    said = ["Say stop again to end the session."]
    assert run_over("stop the workout", said) == ([Command("stop")], [""])
    assert echoes("Pause.", ["Paused."]) and not echoes("pause", ["pace"])
    assert echoes("skip", ["Skipping to the end of the routine."])  # the start of its word
    assert not echoes("skipping", ["Skip it."]) and not echoes("go", ["Going on."])
    assert not echoes("", ["Paused."])
    # a letter more at the start: "stop" in the echo of "the top of your head" (talk_over)
    assert echoes("stop", ["Grow long through the top of your head."])
    assert not echoes("stop", ["Stand tall."]) and not echoes("to", ["Tuck your toes under."])
