"""Commands: what the person asked for, whether typed or spoken.

Intent names are the contract between the intent files in ``intents/`` and the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

START = "start"  # slot "routine" (optional): "start back routine", "begin"
NEXT = "next"  # next / skip / I'm ready (in a position change)
PREVIOUS = "previous"
REPEAT = "repeat"
PAUSE = "pause"
RESUME = "resume"
RESTART = "restart"  # restart this move / start over
STOP = "stop"
HOW_LONG = "how_long"  # slot "scope" (optional): hold | move | routine
WHATS_NEXT = "whats_next"
HELP = "help"
SLOWER = "slower"
FASTER = "faster"
PROGRESS = "progress"  # "how am I doing": streak from history

ALL = (
    START, NEXT, PREVIOUS, REPEAT, PAUSE, RESUME, RESTART, STOP,
    HOW_LONG, WHATS_NEXT, HELP, SLOWER, FASTER, PROGRESS,
)  # fmt: skip

# Commands that may barge in while the coach is speaking.
BARGE_IN = frozenset({PAUSE, STOP})


@dataclass(frozen=True)
class Command:
    """One understood command with its slot values."""

    name: str
    slots: dict[str, str] = field(default_factory=dict)
