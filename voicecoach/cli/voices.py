"""The ``voicecoach voices`` subcommand: the installed speech voices, and the one in use."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from voicecoach.errors import ConfigError
from voicecoach.settings import default_path, load_settings
from voicecoach.voice.voices import (
    DEFAULT_VOICE_ID,
    VoiceInfo,
    find_voice,
    installed_variants,
    installed_voices,
    voice_problem,
)

UNREADABLE = "the settings cannot be read"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``voices`` subcommand."""
    parser = sub.add_parser(
        "voices",
        help="list the installed speech voices",
        description=(
            "List the voices the coach can speak with: the id to put in the settings file as "
            'voice = "ID", the name and the languages. * marks the voice in use.'
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
    """Print the voices (or variants); no speech engine is an AudioError (exit 5)."""
    voices = installed_voices()
    variants = installed_variants()
    if args.variants:
        return _show_variants(variants, as_json=args.json)
    try:
        settings, sources = load_settings()
        setting, source = settings.voice, sources["voice"]
    except ConfigError as exc:  # the list is still worth showing; nothing is marked
        print(f"voicecoach: {exc}", file=sys.stderr)
        setting, source = None, UNREADABLE
    default = next((v for v in voices if v.id == DEFAULT_VOICE_ID), None)
    in_use = find_voice(setting, voices, variants) if setting else default
    if source == UNREADABLE:
        in_use = None
    shown = [v for v in voices if args.language is None or _for_language(v, args.language)]
    if args.json:
        listed = [asdict(v) | {"in_use": v == in_use} for v in shown]
        _print(json.dumps(listed, indent=2))
        return 0
    if not shown:
        _print(f"No installed voice speaks {args.language!r}; `voicecoach voices` lists them all.")
        return 0
    _print(f'Voices to speak with: put an id in {default_path()} as voice = "ID".')
    rows = [("", "ID", "NAME", "LANGUAGES")] + [
        ("*" if v == in_use else "", v.id, v.name, ", ".join(v.languages)) for v in shown
    ]
    for line in _table(rows):
        _print(line)
    _print(_in_use_line(setting, source, in_use, voices, variants))
    _print('A variant changes how it sounds: voice = "en-us+f3" (`voicecoach voices --variants`).')
    return 0


def _in_use_line(
    setting: str | None,
    source: str,
    in_use: VoiceInfo | None,
    voices: Sequence[VoiceInfo],
    variants: Sequence[VoiceInfo],
) -> str:
    if source == UNREADABLE:
        return "No voice is marked: the settings cannot be read (see above)."
    if not setting:
        return f"* in use: {DEFAULT_VOICE_ID}, the speech engine's default (no voice setting)."
    if in_use is None:
        problem = voice_problem(setting, voices, variants)
        return f"Your voice setting ({source}) is refused: {problem}."
    variant = setting.partition("+")[2]
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
