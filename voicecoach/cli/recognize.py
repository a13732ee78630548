"""The ``recognize`` and ``models`` subcommands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from voicecoach.audio.wav import read_wav
from voicecoach.commands.intents import load_intents
from voicecoach.recognition import model_files as models
from voicecoach.recognition.recognizer import ENGINES, make_recognizer, recognize_recording

log = logging.getLogger(__name__)


def _recognize(args: argparse.Namespace) -> int:
    intents = load_intents(args.intents) if args.intents else load_intents()
    recognizer = make_recognizer(args.engine, args.model, intents)
    for wav in args.wavs:
        chunk = read_wav(wav)
        result, ms = recognize_recording(recognizer, chunk.samples, chunk.rate)
        line = {
            "file": str(wav),
            "text": result.text,
            "intent": result.intent,
            "slots": result.slots,
            "confidence": round(result.confidence, 4),
            "ms": round(ms, 2),
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


def _models_list(args: argparse.Namespace) -> int:
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
            print(f"ok      {path} ({mode})")
        else:
            bad += 1
            print(f"broken  {path}: {'; '.join(check.problems)}")
    return 4 if bad else 0


def _models_download(args: argparse.Namespace) -> int:
    path = models.download(args.name, base_url=args.url, sha256=args.sha256)
    print(f"installed {args.name} in {path}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``recognize`` and ``models`` subcommands."""
    rec = sub.add_parser("recognize", help="recognize commands in WAV files (one JSON line each)")
    rec.add_argument("--engine", choices=ENGINES, default=None, help="default: pocketsphinx")
    rec.add_argument("--model", type=Path, default=None, help="Vosk model directory")
    rec.add_argument("--intents", type=Path, default=None, help="hassil intents YAML")
    rec.add_argument("wavs", nargs="+", type=Path, metavar="WAV")
    rec.set_defaults(func=_recognize)

    mod = sub.add_parser("models", help="list and check Vosk models, or download one")
    mod.set_defaults(func=_models_list)
    msub = mod.add_subparsers(dest="models_command")
    dl = msub.add_parser("download", help="download, verify and unpack an official Vosk model")
    dl.add_argument("name", help=f"model name, e.g. {models.SUGGESTED}")
    dl.add_argument("--url", default=None, help="base URL (default: official Vosk models)")
    dl.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    dl.set_defaults(func=_models_download)


def main(argv: list[str] | None = None) -> int:
    """Run the subcommands on their own (until cli.py wires them in)."""
    from voicecoach.errors import UserError

    parser = argparse.ArgumentParser(prog="voicecoach")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"voicecoach: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
