"""What every speech engine offers the listener: the Recognizer interface and its result.

An engine only hears: it decodes one utterance into text and says whether its own
acceptance test passed. What the text means is decided in one place, the listener,
with the engine's own :class:`CommandIntents` (those its grammar was compiled from)
and the same matcher that typed lines go through. Choosing an engine is
:mod:`voicecoach.recognition.engines`; the engines import this module and nothing
here imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from voicecoach.audio.chunk import Samples, convert
from voicecoach.commands.intents import CommandIntents
from voicecoach.recognition.vad import Utterance


@dataclass(frozen=True)
class Recognition:
    """What an engine heard, and whether it accepted that as a command of its grammar."""

    text: str
    accepted: bool = False
    confidence: float = 0.0


class Recognizer(Protocol):
    """Decodes one utterance (mono int16 at ``sample_rate``) into a Recognition."""

    sample_rate: int
    engine: str
    intents: CommandIntents  # its grammar's source, and what its hearings mean

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; ``accepted`` is False when it is not a clear command."""
        ...


def samples_for(recognizer: Recognizer, utterance: Utterance) -> Samples:
    """The utterance's audio at the recognizer's rate (converted only when they differ)."""
    if utterance.rate == recognizer.sample_rate:
        return utterance.samples
    return convert(utterance.samples, utterance.rate, recognizer.sample_rate)
