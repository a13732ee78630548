"""The Recognizer interface, its result, and choosing an engine.

PocketSphinx is the default (its wheel ships a US-English model). Vosk is used when
a model directory is given, named by ``VOICECOACH_VOSK_MODEL``, or found among the
installed models; a Vosk model that cannot be used falls back to PocketSphinx with
a one-line warning, unless Vosk was asked for by name.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from voicecoach.audio.chunk import Samples, convert
from voicecoach.commands.intents import CommandIntents
from voicecoach.errors import ModelError, UserError
from voicecoach.recognition.vad import segment

log = logging.getLogger(__name__)

ENGINES = ("pocketsphinx", "vosk")
MODEL_ENV = "VOICECOACH_VOSK_MODEL"


@dataclass(frozen=True)
class Recognition:
    """What an engine heard and, when accepted, the intent it means."""

    text: str
    intent: str | None
    slots: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.intent is not None


NOTHING = Recognition(text="", intent=None)


class Recognizer(Protocol):
    """Decodes one utterance (mono int16 at ``sample_rate``) into a Recognition."""

    sample_rate: int
    engine: str

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; ``intent`` is None when nothing was accepted."""
        ...


def intent_of(intents: CommandIntents, text: str, confidence: float) -> Recognition:
    """The Recognition for ``text`` after the engine's own acceptance test passed."""
    command = intents.match(text) if text else None
    if command is None:
        return Recognition(text=text, intent=None, confidence=confidence)
    return Recognition(text, command.name, dict(command.slots), confidence)


def _warn(message: str) -> None:
    log.warning(message)
    print(f"voicecoach: {message}", file=sys.stderr)


def make_recognizer(engine: str | None, model: Path | None, intents: CommandIntents) -> Recognizer:
    """PocketSphinx by default; Vosk when asked for or when a Vosk model is found.

    ``--engine vosk`` without a usable model is a ModelError. A model that was only
    found (not asked for) and turns out broken falls back to PocketSphinx, saying so.
    """
    from voicecoach.recognition import model_files as models

    if engine not in (None, *ENGINES):
        raise UserError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    explicit = engine == "vosk" or model is not None
    if engine != "pocketsphinx":
        chosen = model or models.default_model()
        if chosen is None and explicit:
            raise ModelError(
                "no Vosk model: pass --model DIR, set VOICECOACH_VOSK_MODEL, "
                "or run 'voicecoach models download NAME'"
            )
        if chosen is not None:
            try:
                from voicecoach.recognition.vosk_engine import VoskRecognizer

                return VoskRecognizer(chosen, intents)
            except ModelError as exc:
                if explicit:
                    raise
                _warn(f"{exc}; falling back to pocketsphinx")
    from voicecoach.recognition.pocketsphinx_engine import PocketSphinxRecognizer

    return PocketSphinxRecognizer(intents)


def best_of(results: list[Recognition]) -> Recognition:
    """The accepted result with the highest confidence, else the most confident one."""
    if not results:
        return NOTHING
    accepted = [r for r in results if r.accepted]
    pool = accepted or results
    return max(pool, key=lambda r: r.confidence)


def recognize_recording(
    recognizer: Recognizer, samples: Samples, rate: int
) -> tuple[Recognition, float]:
    """Treat a recording as live audio: segment it, decode each utterance, keep the best.

    Returns the result and the processing time in milliseconds.
    """
    began = time.perf_counter()
    utterances = segment(samples, rate)
    results = []
    for utt in utterances:
        audio = utt.samples
        if recognizer.sample_rate != 16000:
            audio = convert(audio, 16000, recognizer.sample_rate)
        results.append(recognizer.recognize(audio))
    return best_of(results), (time.perf_counter() - began) * 1000.0
