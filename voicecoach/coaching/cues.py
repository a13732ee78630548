"""The coach's own sentences, kept as data in ``cues.yaml``, and when to say the hold cues."""

from __future__ import annotations

from collections.abc import Sequence
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


def fixed_cues() -> list[str]:
    """The cues with nothing to fill in, and the counts the coach says (``count`` and
    ``rep_number`` up to twenty): what can be rendered before a session needs it."""
    fixed = [text.strip() for text in templates().values() if "{" not in text]
    counts = [cue(c, n=n) for n in range(1, len(NUMBER_WORDS)) for c in ("count", "rep_number")]
    return [text for text in dict.fromkeys(fixed + counts) if text]


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


def hold_schedule(seconds: float, form: Sequence[str] = ()) -> list[tuple[float, str]]:
    """Cues for a hold of ``seconds``, as (seconds remaining, text), latest-remaining first.

    A form reminder a quarter of the way in (long holds), "halfway", "10 seconds left"
    on long holds, and a 5-4-3-2-1 count (3-2-1 on short holds).
    """
    cues: list[tuple[float, str]] = []
    if form and seconds >= 12:
        cues.append((seconds * 0.75, form[0]))
    if seconds >= 10:
        cues.append((seconds / 2, cue("halfway")))
    if seconds >= 25:
        cues.append((10.0, cue("seconds_left", seconds="10 seconds")))
    last = 5 if seconds >= 8 else 3
    cues.extend((float(n), cue("count", n=n)) for n in range(last, 0, -1) if n < seconds)
    return sorted(cues, key=lambda c: -c[0])
