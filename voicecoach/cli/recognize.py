"""The ``recognize`` and ``models`` subcommands.

``recognize`` plays each WAV file to the live listener, as a microphone would, so a
file is understood exactly as the same sound in the room would be. Each file's line is
printed (and flushed) as soon as that file is done, so a script reading the output sees
the results of a long batch as they come.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from functools import partial
from pathlib import Path

from voicecoach.audio.mic import WavSource
from voicecoach.commands.intents import load_intents
from voicecoach.errors import ModelError, UserError
from voicecoach.recognition import model_files as models
from voicecoach.recognition import whisper_download, whisper_model
from voicecoach.recognition.engines import ENGINES, make_recognizer
from voicecoach.recognition.listener import NO_SPEECH, Decision
from voicecoach.recognition.recording import best_of, hear
from voicecoach.voice import piper_download

log = logging.getLogger(__name__)


def _recognize(args: argparse.Namespace) -> int:
    intents = load_intents(args.intents) if args.intents else load_intents()
    recognizer = make_recognizer(args.engine, args.model, intents)
    for wav in args.wavs:
        source = WavSource(wav)
        began = time.perf_counter()
        best = best_of(hear(recognizer, source))
        ms = (time.perf_counter() - began) * 1000.0
        print(json.dumps(_line(wav, best, ms), ensure_ascii=False), flush=True)
    return 0


def _line(wav: Path, best: Decision | None, ms: float) -> dict[str, object]:
    """One file's JSON line: what was heard in it (None: nothing) and the time it took.

    ``rejected`` says why the hearing is no command (the listener's reason), null when it
    is one; the fields before it keep their meaning and order for the scripts that read them.
    """
    command = best.command if best is not None else None
    return {
        "file": str(wav),
        "text": best.text if best is not None else "",
        "intent": command.name if command is not None else None,
        "slots": dict(command.slots) if command is not None else {},
        "confidence": round(best.confidence, 4) if best is not None else 0.0,
        "ms": round(ms, 2),
        "rejected": best.rejected if best is not None else NO_SPEECH,
    }


def _models_list(args: argparse.Namespace) -> int:
    """Every model found, of each engine, checked: ``ok`` or ``broken`` and why (exit 4)."""
    bad = _list_vosk() + _list_whisper()
    return 4 if bad else 0


def _list_vosk() -> int:
    found = models.find_models()
    if not found:
        print(f"no Vosk models found in: {', '.join(str(d) for d in models.search_dirs())}")
        print(f"get one with: voicecoach models download {models.SUGGESTED}")
        return 0
    bad = 0
    for path in found:
        check = models.check_model(path)
        if check.ok:
            mode = "grammar" if check.grammar else "static graph, no grammar"
            print(f"ok      {path} (vosk, {mode})")
        else:
            bad += 1
            print(f"broken  {path}: {'; '.join(check.problems)}")
    return bad


def _list_whisper() -> int:
    found = whisper_model.candidates()
    if not found:
        env = whisper_model.MODEL_ENV
        get = f"voicecoach models download {next(iter(whisper_download.RELEASES))}"
        print(f"no Whisper model found: install {whisper_model.PACKAGE}, {get}, or set {env}")
        return 0
    # Lazy for start-up time (CTranslate2 takes about 0.6 s to import); only this listing
    # and the engine itself need it.
    from voicecoach.recognition.whisper_engine import load_model
    from voicecoach.recognition.whisper_hearing import WhisperSettings

    bad = 0
    for location in found:
        try:  # the files, model.bin's sha256 when known, and a load (a cut file fails it)
            load_model(location, WhisperSettings())
        except ModelError as exc:
            bad += 1
            print(f"broken  {location.path}: {exc}")
        else:
            print(f"ok      {location.path} (whisper, from {location.source})")
    return bad


def _models_download(args: argparse.Namespace) -> int:
    """A name starting with ``whisper-`` is a Whisper model, one starting with ``piper:`` a
    Piper voice; any other, an official Vosk model."""
    say = partial(print, flush=True)
    if args.name.startswith(piper_download.PREFIX):
        if args.sha256:
            raise UserError("--sha256 is for Vosk zips; a Piper voice is checked by voices.json")
        name = args.name.removeprefix(piper_download.PREFIX)
        path = piper_download.download(name, args.url, check=_voice_loads, progress=say)
    elif not args.name.startswith(whisper_download.PREFIX):
        path = models.download(args.name, base_url=args.url, sha256=args.sha256)
    elif args.sha256:
        raise UserError("--sha256 is for Vosk zips; a Whisper model's files have pinned sha256s")
    else:
        path = whisper_download.download(args.name, args.url, check=_loads, progress=say)
    print(f"installed {args.name} in {path}")
    return 0


def _loads(path: Path) -> None:
    """Raise ModelError unless CTranslate2 loads the Whisper model in ``path``."""
    from voicecoach.recognition.whisper_engine import load_model  # lazy, as in _list_whisper
    from voicecoach.recognition.whisper_hearing import WhisperSettings

    load_model(whisper_model.ModelLocation(path, "download"), WhisperSettings())


def _voice_loads(path: Path) -> None:
    """Raise ModelError unless onnxruntime loads the Piper voice in ``path`` (NAME/NAME.onnx)."""
    from voicecoach.voice import piper_voices  # lazy: it imports piper and onnxruntime

    piper_voices.load_voice(piper_voices.voice_at(path / f"{path.name}.onnx", "download"))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``recognize`` and ``models`` subcommands."""
    rec = sub.add_parser("recognize", help="recognize commands in WAV files (one JSON line each)")
    rec.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="default: whisper (pocketsphinx if it cannot load)",
    )
    rec.add_argument("--model", type=Path, default=None, help="Vosk model directory")
    rec.add_argument("--intents", type=Path, default=None, help="hassil intents YAML")
    rec.add_argument("wavs", nargs="+", type=Path, metavar="WAV")
    rec.set_defaults(func=_recognize)

    mod = sub.add_parser(
        "models", help="list and check Vosk and Whisper models, or download one or a Piper voice"
    )
    mod.set_defaults(func=_models_list)
    msub = mod.add_subparsers(dest="models_command")
    whispers = ", ".join(whisper_download.RELEASES)
    dl = msub.add_parser(
        "download",
        help=f"download and verify a Vosk model, a Whisper one ({whispers}) "
        f"or a Piper voice ({piper_download.PREFIX}NAME)",
    )
    dl.add_argument(
        "name",
        help=f"model name, e.g. {models.SUGGESTED}, {whispers} "
        f"or {piper_download.PREFIX}en_US-joe-medium (a voice of {piper_download.REPO})",
    )
    dl.add_argument(
        "--url",
        default=None,
        help=f"base URL (default: official Vosk models; for Whisper, {whisper_download.URL_ENV}, "
        f"{whisper_download.HF_ENDPOINT_ENV} or {whisper_download.DEFAULT_BASE_URL}; for Piper, "
        f"{piper_download.URL_ENV}, {piper_download.HF_ENDPOINT_ENV} or "
        f"{piper_download.DEFAULT_BASE_URL})",
    )
    dl.add_argument("--sha256", default=None, help="expected SHA-256 of a Vosk zip")
    dl.set_defaults(func=_models_download)
