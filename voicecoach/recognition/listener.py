"""From audio chunks to commands: VAD, recognizer, and the coach's own-voice guard.

An utterance closes after the segmenter's endpoint (a long pause, so that a command
said with a pause in it stays whole). To act sooner, the listener decodes an open
utterance as soon as its audio is final (a short stretch of trailing silence), on a
worker thread while the stream goes on, and acts on it after ``early`` seconds of
silence if it was accepted; a rejected one waits for the endpoint, in case the person
goes on speaking.

While the coach speaks (and for the speaker's short tail after), the microphone hears
it too, and what gets through then is the listener's ``over_coach`` policy
(:class:`OverCoach`). On a plain microphone (:data:`PLAIN_MIC`) only barge-in commands
(pause, stop), heard surely: the coach must never obey its own voice, and a person
talking over it usually wants it to stop. With its echo taken out first
(:class:`voicecoach.audio.echo.EchoRemover`, :data:`ECHO_REMOVED`) every command the
recognizer accepts, once the remover has learned the room and while it was taking the
echo out just before the utterance (a policy given as a function is asked at each decision,
with the utterance's start). Either way, not when every word heard is a word the coach is
saying then (``coach_words``: its last sentences), which is its own voice coming back;
nor when the echo remover took out most of what was heard then (``kept_db``,
:data:`ECHO_ONLY_DB`): the coach's leftover echo, which Whisper can still make words of;
nor when the speech is too short to hold the words heard (:data:`SECONDS_PER_WORD`).
Everything else heard then is dropped, with the reason, for the transcript.

What a hearing means is decided here and only here, with the recognizer's own intents
(those its grammar was compiled from): the engines only hear, and accept or reject.
A hearing that is not acted on says why (``Decision.rejected``): nothing was heard, the
words name a command but the hearing was not sure enough, or they name no command.
Each utterance reaches the recognizer at the recognizer's rate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

from voicecoach.audio.chunk import AudioChunk
from voicecoach.commands.intents import normalize
from voicecoach.commands.names import ALL, BARGE_IN, Command
from voicecoach.recognition.recognizer import Recognition, Recognizer, samples_for
from voicecoach.recognition.vad import Pending, Utterance, UtteranceSegmenter
from voicecoach.voice.speaker import Speaker

log = logging.getLogger(__name__)

# A command the session is waiting for (resume when paused, start when idle) is
# likely: it is accepted on a lower bar than one out of the blue.
EXPECTED_CONFIDENCE = 0.2
# Trailing silence (seconds) after which an accepted command is acted on, before the
# segmenter's endpoint closes the utterance.
EARLY_DECISION = 0.15
# The price: a half sentence before a pause in other talk ("Oh, ... look at the time")
# can be heard as a command. A higher bar for early action was tried (0.7): it cut
# that, but sent a third of real commands to the full endpoint (benchmarks/README.md).

# Why a hearing is not a command: the values ``voicecoach recognize`` prints.
Rejection = Literal["no speech", "low confidence", "not a command"]
NO_SPEECH: Rejection = "no speech"  # nothing heard: empty text
LOW_CONFIDENCE: Rejection = "low confidence"  # a command's words, but not sure enough
NOT_A_COMMAND: Rejection = "not a command"  # words that match no command


@dataclass(frozen=True)
class OverCoach:
    """What is acted on when heard while the coach speaks: these ``commands``, at this
    ``confidence`` or more (the recognizer's)."""

    commands: frozenset[str]
    confidence: float


# A plain microphone hears the coach's voice mixed with the person's: only a barge-in,
# and heard more surely than an ordinary command, cuts the coach off.
PLAIN_MIC = OverCoach(BARGE_IN, 0.9)
# With the echo taken out, what is heard over the coach is the person: any command the
# recognizer accepts (benchmarks/talk_over.py; the own-voice guard stays).
ECHO_REMOVED = OverCoach(frozenset(ALL), 0.0)
# An utterance over the coach of which the echo remover left less than this (dB of what was
# heard, :meth:`voicecoach.audio.echo.EchoRemover.kept_db`) is the coach's echo, not the
# person: in benchmarks/talk_over.py the person's commands kept -3.9 dB or more (their
# voice is not taken out), what Whisper made of the coach's leftover echo -29 to -9.4 dB.
ECHO_ONLY_DB = -8.0
# Speech the VAD found that is shorter than this per word heard cannot hold those words:
# Whisper made them of a burst (over the coach, of its leftover echo: "hold on" and "I'm
# done" from 0.1 s in benchmarks/talk_over.py). Quick speech takes 0.25 s a word or more.
SECONDS_PER_WORD = 0.12


class Settling(Protocol):
    """What the policy needs of :class:`voicecoach.audio.echo.EchoRemover`."""

    @property
    def settled(self) -> bool: ...

    def working_before(self, start: float) -> bool: ...


def over_coach_for(remover: Settling | None, start: float) -> OverCoach:
    """The policy behind ``remover`` for an utterance from stream second ``start``: every
    command once it has learned the room and while it was taking the echo out just before;
    only the barge-ins otherwise, and without one."""
    if remover is not None and remover.settled and remover.working_before(start):
        return ECHO_REMOVED
    return PLAIN_MIC


class Segmenter(Protocol):
    """What the listener needs of :class:`voicecoach.recognition.vad.UtteranceSegmenter`."""

    def feed(self, chunk: AudioChunk) -> list[Utterance]: ...

    def pending(self) -> Pending | None: ...

    def abandon(self) -> None: ...

    def flush(self) -> list[Utterance]: ...


@dataclass
class _Early:
    """A decode of an open utterance started before the endpoint."""

    span: tuple[float, float]
    samples: int
    job: Future[tuple[Recognition, float]]
    tried: bool = False


@dataclass(frozen=True)
class Decision:
    """What one utterance was heard as and what became of it."""

    text: str
    command: Command | None
    confidence: float
    start: float  # stream seconds
    end: float
    decided: float  # stream seconds when the decision was made
    ms: float  # processing time of the recognizer
    ignored: str = ""  # why a recognized command was not passed on
    rejected: Rejection | None = None  # why the hearing is no command (None: it is one)


def _same_word(heard: str, said: str) -> bool:
    """``heard`` is ``said``, or the same word with a letter or two more or less at either
    end ("pause" in "paused", "stop" in "stops"; "stop" heard in the echo of "the top of
    your head", and acted on, in talk_over), or the start of a longer word the coach said
    ("skip" in "Skipping to the end": likewise)."""
    short, long = sorted((heard, said), key=len)
    return (
        (short in long and len(long) - len(short) <= 2 and len(short) >= 3)
        or (said.startswith(heard) and len(heard) >= 4)
        or heard == said
    )


def echoes(heard: str, said: Sequence[str]) -> bool:
    """Whether every word of ``heard`` is a word of the sentences the coach is saying: then
    it may be the coach's own voice (its "Paused. Say resume..." heard as "pause"), and a
    barge-in over the coach is not taken from it. Words of the person's own ("okay, pause")
    make it theirs. The cost: a bare "stop" said over "Say stop again to end the session"
    is not heard until the coach has finished the sentence."""
    words = normalize(heard).split()
    spoken = {w for text in said for w in normalize(text).split()}
    return bool(words) and all(any(_same_word(w, s) for s in spoken) for w in words)


class Listener:
    """Feeds chunks through the segmenter and recognizer; posts accepted commands.

    A stream that ends (a recording) is closed with :meth:`flush`.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        speaker: Speaker,
        post: Callable[[Command], None],
        *,
        segmenter: Segmenter | None = None,
        on_decision: Callable[[Decision], None] | None = None,
        expected: Callable[[], frozenset[str]] | None = None,
        early: float | None = EARLY_DECISION,
        executor: Executor | None = None,
        coach_words: Callable[[], Sequence[str]] | None = None,
        over_coach: OverCoach | Callable[[float], OverCoach] = PLAIN_MIC,
        kept_db: Callable[[float, float], float | None] | None = None,
    ) -> None:
        self.coach_words = coach_words
        self.kept_db = kept_db
        self.over_coach = over_coach
        self.expected = expected
        self.recognizer = recognizer
        self.speaker = speaker
        self.post = post
        self.segmenter: Segmenter = segmenter or UtteranceSegmenter()
        self.on_decision = on_decision
        self.early = early
        self._executor = executor
        self._early: _Early | None = None
        self._coach_until = -1.0  # stream seconds up to which the coach was heard speaking
        self._now = 0.0  # stream seconds at the end of the last chunk

    def feed(self, chunk: AudioChunk) -> list[Decision]:
        """Process one chunk; returns the decisions on utterances that ended in it."""
        self._now = end = chunk.timestamp + chunk.duration
        if self.speaker.is_speaking():
            self._coach_until = end
        decisions = self._decide_closed(self.segmenter.feed(chunk))
        if self.early is not None:
            early = self._decide_early(end)
            if early is not None:
                decisions.append(early)
        return self._deliver(decisions)

    def flush(self) -> list[Decision]:
        """End of the stream: decide the utterance still open, as if silence followed."""
        return self._deliver(self._decide_closed(self.segmenter.flush()))

    def _decide_closed(self, utterances: list[Utterance]) -> list[Decision]:
        decisions = []
        for utterance in utterances:
            result, ms = self._result_for(utterance)
            decisions.append(self._decide(utterance, result, ms, self._now))
        return decisions

    def _deliver(self, decisions: list[Decision]) -> list[Decision]:
        """Post the commands to act on and report every decision; returns them."""
        for decision in decisions:
            if decision.command is not None and not decision.ignored:
                self.post(decision.command)
            if self.on_decision:
                self.on_decision(decision)
        return decisions

    def close(self) -> None:
        """Stop the worker thread (a decode under way finishes first)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def _recognize(self, utterance: Utterance) -> tuple[Recognition, float]:
        began = time.perf_counter()
        result = self.recognizer.recognize(samples_for(self.recognizer, utterance))
        return result, (time.perf_counter() - began) * 1000

    def _result_for(self, utterance: Utterance) -> tuple[Recognition, float]:
        """The decode of a closed utterance: the early one when its audio is the same."""
        early, self._early = self._early, None
        if (
            early is not None
            and early.span == (utterance.start, utterance.end)
            and early.samples == len(utterance.samples)
        ):
            return early.job.result()
        if self._executor is not None:  # the recognizer is not thread-safe: one thread uses it
            return self._executor.submit(self._recognize, utterance).result()
        return self._recognize(utterance)

    def _decide_early(self, now: float) -> Decision | None:
        """Start decoding an open utterance once its audio is final; act on it after ``early``."""
        pending = self.segmenter.pending()
        if pending is None:
            return None
        utterance = pending.utterance
        span = (utterance.start, utterance.end)
        if self._early is None or self._early.span != span:
            if self._early is not None:
                self._early.job.cancel()  # speech went on: drop it unless it already started
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="early-decode")
            job = self._executor.submit(self._recognize, utterance)
            self._early = _Early(span, len(utterance.samples), job)
        assert self.early is not None
        if pending.silence < self.early or self._early.tried:
            return None
        self._early.tried = True
        result, ms = self._early.job.result()
        decision = self._decide(utterance, result, ms, now)
        if decision.command is None or decision.ignored:
            return None  # wait for the endpoint: the person may not have finished
        self.segmenter.abandon()
        self._early = None
        return decision

    def _decide(self, utterance: Utterance, result: Recognition, ms: float, now: float) -> Decision:
        """What a decoded utterance means here: a command, or why it is not one."""
        overlaps_coach = utterance.start <= self._coach_until
        command, rejected = self._command(result, overlaps_coach)
        ignored = ""
        if command is not None and overlaps_coach:
            over = self.over_coach
            policy = over(utterance.start) if callable(over) else over
            if command.name not in policy.commands:
                ignored = "the coach was speaking"
            elif result.confidence < policy.confidence:
                ignored = f"not sure enough over the coach's voice ({result.confidence:.2f})"
            elif self.coach_words is not None and echoes(result.text, self.coach_words()):
                ignored = "the coach's own words"
            elif (left := self._kept(utterance)) is not None and left < ECHO_ONLY_DB:
                ignored = f"the coach's own echo ({left:.0f} dB of it left)"
            elif utterance.duration < SECONDS_PER_WORD * len(normalize(result.text).split()):
                ignored = f"too short for its words ({utterance.duration:.2f} s)"
        return Decision(
            text=result.text,
            command=command,
            confidence=result.confidence,
            start=utterance.start,
            end=utterance.end,
            decided=now,
            ms=ms,
            ignored=ignored,
            rejected=rejected,
        )

    def _kept(self, utterance: Utterance) -> float | None:
        return None if self.kept_db is None else self.kept_db(utterance.start, utterance.end)

    def _command(
        self, result: Recognition, overlaps_coach: bool
    ) -> tuple[Command | None, Rejection | None]:
        """The command a hearing names, or why it names none.

        An accepted hearing names the command its words match. A rejected one names it only
        if the session waits for that command, it is sure enough, and the coach was not
        speaking; otherwise it is turned down for low confidence.
        """
        if not result.text.strip():
            return None, NO_SPEECH
        command = self.recognizer.intents.match(result.text)
        if command is None:
            return None, NOT_A_COMMAND
        if result.accepted or (
            not overlaps_coach
            and self.expected is not None
            and result.confidence >= EXPECTED_CONFIDENCE
            and command.name in self.expected()
        ):
            return command, None
        return None, LOW_CONFIDENCE
