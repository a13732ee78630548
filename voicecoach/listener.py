"""From audio chunks to commands: VAD, recognizer, and the coach's own-voice guard.

While the coach speaks (and for the speaker's short tail after), only barge-in
commands (pause, stop) get through: the coach must never obey its own voice, and a
person talking over it usually wants it to stop. Everything else heard then is
dropped, with the reason, for the transcript.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.audio import AudioChunk
from voicecoach.commands import BARGE_IN, Command
from voicecoach.recognizer import Recognizer
from voicecoach.speaker import Speaker
from voicecoach.vad import UtteranceSegmenter

log = logging.getLogger(__name__)

# While the coach speaks, its own voice reaches the microphone: a barge-in must be
# heard more surely than an ordinary command before it cuts the coach off.
BARGE_IN_CONFIDENCE = 0.9
# A command the session is waiting for (resume when paused, start when idle) is
# likely: it is accepted on a lower bar than one out of the blue.
EXPECTED_CONFIDENCE = 0.2


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


class Listener:
    """Feeds chunks through the segmenter and recognizer; posts accepted commands."""

    def __init__(
        self,
        recognizer: Recognizer,
        speaker: Speaker,
        post: Callable[[Command], None],
        *,
        segmenter: UtteranceSegmenter | None = None,
        on_decision: Callable[[Decision], None] | None = None,
        barge_in_confidence: float = BARGE_IN_CONFIDENCE,
        expected: Callable[[], frozenset[str]] | None = None,
        match: Callable[[str], Command | None] | None = None,
    ) -> None:
        self.barge_in_confidence = barge_in_confidence
        self.expected = expected
        self.match = match
        self.recognizer = recognizer
        self.speaker = speaker
        self.post = post
        self.segmenter = segmenter or UtteranceSegmenter()
        self.on_decision = on_decision
        self._coach_until = -1.0  # stream seconds up to which the coach was heard speaking

    def feed(self, chunk: AudioChunk) -> list[Decision]:
        """Process one chunk; returns the decisions on utterances that ended in it."""
        end = chunk.timestamp + chunk.duration
        if self.speaker.is_speaking():
            self._coach_until = end
        decisions = []
        for utterance in self.segmenter.feed(chunk):
            began = time.perf_counter()
            result = self.recognizer.recognize(utterance.samples)
            ms = (time.perf_counter() - began) * 1000
            command = Command(result.intent, dict(result.slots)) if result.intent else None
            ignored = ""
            overlaps_coach = utterance.start <= self._coach_until
            if command is None and not overlaps_coach:
                command = self._expected_command(result.text, result.confidence)
            if command is not None and overlaps_coach:
                if command.name not in BARGE_IN:
                    ignored = "the coach was speaking"
                elif result.confidence < self.barge_in_confidence:
                    ignored = f"not sure enough over the coach's voice ({result.confidence:.2f})"
            decision = Decision(
                text=result.text,
                command=command,
                confidence=result.confidence,
                start=utterance.start,
                end=utterance.end,
                decided=end,
                ms=ms,
                ignored=ignored,
            )
            if command is not None and not ignored:
                self.post(command)
            if self.on_decision:
                self.on_decision(decision)
            decisions.append(decision)
        return decisions

    def _expected_command(self, text: str, confidence: float) -> Command | None:
        """A rejected hearing that names a command the session waits for, if sure enough."""
        if not text or self.expected is None or self.match is None:
            return None
        if confidence < EXPECTED_CONFIDENCE:
            return None
        command = self.match(text)
        return command if command is not None and command.name in self.expected() else None
