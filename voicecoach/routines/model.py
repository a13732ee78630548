"""Routines as data: the dataclasses and a validating YAML loader.

Every problem in a routine file is reported as ``file: field: reason`` so the person
can fix it without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import RoutineError
from voicecoach.routines.validate import Schema, check

SIDES = ("none", "each", "alternate")
DEFAULT_SIDE_NAMES = ("right", "left")


@dataclass(frozen=True)
class Hold:
    """Hold a position: ``seconds`` each time, ``rounds`` times, ``rest`` seconds between."""

    seconds: float
    rounds: int = 1
    rest: float = 0.0


@dataclass(frozen=True)
class Reps:
    """Paced repetitions; each rep has two halves with their own (breath) cue."""

    count: int
    seconds: float  # per rep, both halves together
    first: str = ""  # cue for the first half (e.g. the exhale)
    second: str = ""  # cue for the second half (e.g. the inhale)
    first_short: str = ""  # what to say on later reps, once the cue is known
    second_short: str = ""


@dataclass(frozen=True)
class Move:
    """One exercise of a routine."""

    id: str
    name: str
    position: str
    setup: tuple[str, ...]
    hold: Hold | None = None
    reps: Reps | None = None
    sides: str = "none"
    side_names: tuple[str, ...] = DEFAULT_SIDE_NAMES
    side_cues: tuple[str, ...] = ()  # one per side: how to do it on that side
    form: tuple[str, ...] = ()
    closing: str = ""
    short: str = ""  # a one-line reminder once the person knows the move

    @property
    def kind(self) -> str:
        return "hold" if self.hold is not None else "reps"

    @property
    def side_count(self) -> int:
        return 1 if self.sides == "none" else len(self.side_names)


@dataclass(frozen=True)
class Routine:
    """A named list of moves with what the coach says around them."""

    name: str
    title: str
    intro: str
    safety: str
    moves: tuple[Move, ...]
    transition_seconds: float = 8.0
    switch_seconds: float = 4.0
    source: str = "<built-in>"
    outro: str = ""


HOLD_SCHEMA = Schema(
    required={"seconds": "positive"},
    optional={"rounds": "count", "rest": "nonnegative"},
)
REPS_SCHEMA = Schema(
    required={"count": "count", "seconds": "positive"},
    optional={"first": "text", "second": "text", "first_short": "text", "second_short": "text"},
)
MOVE_SCHEMA = Schema(
    required={"id": "name", "name": "text", "position": "text", "setup": "texts"},
    optional={
        "hold": HOLD_SCHEMA,
        "reps": REPS_SCHEMA,
        "sides": SIDES,
        "side_names": "texts",
        "side_cues": "texts",
        "form": "texts",
        "closing": "text",
        "short": "text",
    },
)
ROUTINE_SCHEMA = Schema(
    required={"name": "name", "title": "text", "intro": "text", "safety": "text", "moves": "list"},
    optional={
        "transition_seconds": "nonnegative",
        "switch_seconds": "nonnegative",
        "outro": "text",
    },
)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _move(data: dict[str, Any], where: str) -> Move:
    check(data, MOVE_SCHEMA, where)
    hold = Hold(**data["hold"]) if "hold" in data else None
    reps = Reps(**data["reps"]) if "reps" in data else None
    if (hold is None) == (reps is None):
        raise RoutineError(f"{where}: a move needs exactly one of 'hold' or 'reps'")
    if hold and hold.rounds > 1 and hold.rest <= 0 and "rest" not in data["hold"]:
        raise RoutineError(f"{where}.hold.rest: needed when rounds is more than 1")
    sides = data.get("sides", "none")
    if sides == "alternate" and reps is None:
        raise RoutineError(f"{where}.sides: 'alternate' works only with reps")
    side_names = _texts(data.get("side_names")) or DEFAULT_SIDE_NAMES
    if sides != "none" and len(side_names) < 2:
        raise RoutineError(f"{where}.side_names: needs at least two sides")
    side_cues = _texts(data.get("side_cues"))
    if side_cues and len(side_cues) != len(side_names):
        raise RoutineError(
            f"{where}.side_cues: has {len(side_cues)} cues for {len(side_names)} sides"
        )
    if side_cues and sides == "none":
        raise RoutineError(f"{where}.side_cues: the move has no sides (sides: none)")
    return Move(
        id=data["id"],
        name=data["name"],
        position=data["position"],
        setup=_texts(data["setup"]),
        hold=hold,
        reps=reps,
        sides=sides,
        side_names=side_names,
        side_cues=side_cues,
        form=_texts(data.get("form")),
        closing=data.get("closing", ""),
        short=data.get("short", ""),
    )


def parse_routine(data: Any, source: str) -> Routine:
    """Validate loaded YAML data and build a :class:`Routine` (RoutineError on any problem)."""
    if not isinstance(data, dict):
        raise RoutineError(f"{source}: expected a mapping of routine fields at the top")
    check(data, ROUTINE_SCHEMA, source)
    raw_moves = data["moves"]
    if not raw_moves:
        raise RoutineError(f"{source}: moves: a routine needs at least one move")
    moves = []
    for i, raw in enumerate(raw_moves):
        where = f"{source}: moves[{i}]"
        if not isinstance(raw, dict):
            raise RoutineError(f"{where}: expected a mapping of move fields")
        moves.append(_move(raw, where))
    ids = [m.id for m in moves]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RoutineError(f"{source}: moves: duplicate move id {dupes[0]!r}")
    return Routine(
        name=data["name"],
        title=data["title"],
        intro=data["intro"],
        safety=data["safety"],
        moves=tuple(moves),
        transition_seconds=float(data.get("transition_seconds", 8.0)),
        switch_seconds=float(data.get("switch_seconds", 4.0)),
        outro=data.get("outro", ""),
        source=source,
    )


def load_routine(path: Path) -> Routine:
    """Read and validate a routine file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutineError(f"{path}: no such routine file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutineError(f"{path}: cannot read the file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RoutineError(f"{path}: not valid YAML{at}: {problem}") from None
    return parse_routine(data, str(path))
