"""Reading and checking routine files: a small schema validator and the YAML loader.

Every problem in a routine file is reported as ``file: field: reason`` so the person
can fix it without reading code. Schema kinds: ``text``, ``texts`` (a string or a list
of strings), ``name`` (a short identifier), ``list``, ``positive``/``nonnegative``
numbers, ``count`` (a whole number of at least 1), a tuple of allowed strings, or a
nested :class:`Schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from voicecoach.errors import RoutineError
from voicecoach.routines.model import DEFAULT_SIDE_NAMES, SIDES, Hold, Move, Reps, Routine

Kind = Union[str, tuple[str, ...], "Schema"]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Schema:
    """Allowed keys of a mapping and the kind of value each holds."""

    required: dict[str, Kind] = field(default_factory=dict)
    optional: dict[str, Kind] = field(default_factory=dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problem(value: Any, kind: Kind, where: str) -> str | None:
    """Why ``value`` is not of ``kind``, or None when it is."""
    if isinstance(kind, Schema):
        if not isinstance(value, dict):
            return f"expected a mapping, got {_describe(value)}"
        check(value, kind, where)
        return None
    if isinstance(kind, tuple):
        return None if value in kind else f"must be one of {', '.join(kind)}, got {value!r}"
    if kind == "text":
        if not isinstance(value, str):
            return f"expected text, got {_describe(value)}"
        return None if value.strip() else "must not be empty"
    if kind == "texts":
        items = [value] if isinstance(value, str) else value
        ok = isinstance(items, list) and items and all(isinstance(i, str) for i in items)
        return None if ok else f"expected text or a list of texts, got {_describe(value)}"
    if kind == "name":
        ok = isinstance(value, str) and NAME_RE.match(value) is not None
        return None if ok else f"expected a lowercase name like 'pelvic_tilt', got {value!r}"
    if kind == "list":
        return None if isinstance(value, list) else f"expected a list, got {_describe(value)}"
    if kind in ("positive", "nonnegative", "count"):
        if not _is_number(value):
            return f"expected a number, got {_describe(value)}"
        if kind == "count" and (not isinstance(value, int) or value < 1):
            return f"must be a whole number of at least 1, got {value}"
        if kind == "positive" and value <= 0:
            return f"must be more than 0, got {value}"
        if kind == "nonnegative" and value < 0:
            return f"must not be negative, got {value}"
        return None
    raise ValueError(f"unknown schema kind {kind!r}")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {bool: "true/false", int: "a number", float: "a number", str: "text"}
    names |= {list: "a list", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


def field_path(where: str, key: str) -> str:
    """``file: moves[1]`` + ``hold`` -> ``file: moves[1].hold``; ``file`` + ``x`` -> ``file: x``."""
    return f"{where}.{key}" if ": " in where else f"{where}: {key}"


def check(data: dict[str, Any], schema: Schema, where: str) -> None:
    """Raise RoutineError for the first unknown key, missing field or bad value."""
    allowed = {**schema.required, **schema.optional}
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise RoutineError(f"{field_path(where, str(key))}: unknown field (known: {known})")
    for key in schema.required:
        if key not in data:
            raise RoutineError(f"{field_path(where, key)}: missing field")
    for key, value in data.items():
        sub = field_path(where, key)
        problem = _problem(value, allowed[key], sub)
        if problem:
            raise RoutineError(f"{sub}: {problem}")


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
