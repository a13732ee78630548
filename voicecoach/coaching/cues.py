"""The coach's own sentences, kept as data in ``cues.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CUES_FILE = Path(__file__).resolve().parent / "cues.yaml"

NUMBER_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip


@cache
def templates() -> dict[str, str]:
    """Cue id -> template text."""
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def cue(cue_id: str, **values: Any) -> str:
    """The text of cue ``cue_id`` with its placeholders filled."""
    return templates()[cue_id].format(**values).strip()


def spoken_seconds(seconds: float) -> str:
    """'1 second', '15 seconds', '1 minute 20 seconds', '3 minutes'."""
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


def number_word(n: int) -> str:
    """'three' for 3; digits past twenty."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def spoken_count(n: int, noun: str) -> str:
    """'one move', 'three moves'."""
    return f"{number_word(n)} {noun}{'' if n == 1 else 's'}"


def speech_seconds(text: str) -> float:
    """A rough time to say ``text`` aloud (about 2.6 words a second)."""
    return len(text.split()) / 2.6
