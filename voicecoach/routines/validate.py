"""Reading and checking routine files: the routine's table of field rules, and loading.

Every problem in a routine file is found in one run (``voicecoach routines check``),
one line each, ``file: field: reason``; loading a broken routine elsewhere raises one
RoutineError with the first problem and how many more there are. Number bounds are
generous: they catch a typo such as 3000 for 30 and keep a hundred-thousand-round plan
from being built, not taste.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicecoach.errors import RoutineError
from voicecoach.routines.model import DEFAULT_SIDE_NAMES, SIDES, Hold, Move, Reps, Routine
from voicecoach.routines.schema import ListOf, Number, Report, Schema, check
from voicecoach.yaml_files import YamlFileError, describe, read_mapping


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# ----------------------------------------------------------------- rules across fields
def _rest_between_rounds(hold: dict[str, Any], at_fault: set[str]) -> Iterator[tuple[str, str]]:
    if "rounds" not in at_fault and hold.get("rounds", 1) > 1 and "rest" not in hold:
        yield "rest", "needed when rounds is more than 1"


def _hold_or_reps(move: dict[str, Any], at_fault: set[str]) -> Iterator[tuple[str, str]]:
    if ("hold" in move) == ("reps" in move):
        yield "", "a move needs exactly one of 'hold' or 'reps'"


def _sides(move: dict[str, Any], at_fault: set[str]) -> Iterator[tuple[str, str]]:
    if "sides" in at_fault:
        return
    sides = move.get("sides", "none")
    if sides == "alternate" and "hold" in move and "reps" not in move:
        yield "sides", "'alternate' works only with reps"
    if at_fault & {"side_names", "side_cues"}:
        return
    names = _texts(move.get("side_names")) or DEFAULT_SIDE_NAMES
    if sides != "none" and len(names) < 2:
        yield "side_names", "needs at least two sides"
    cues = _texts(move.get("side_cues"))
    if cues and sides == "none":
        yield "side_cues", "the move has no sides (sides: none)"
    elif cues and len(cues) != len(names):
        yield "side_cues", f"has {len(cues)} cues for {len(names)} sides"


def _unique_ids(routine: dict[str, Any], at_fault: set[str]) -> Iterator[tuple[str, str]]:
    moves = routine.get("moves")
    first: dict[str, int] = {}
    for i, move in enumerate(moves if isinstance(moves, list) else []):
        move_id = move.get("id") if isinstance(move, dict) else None
        if isinstance(move_id, str) and move_id in first:
            yield f"moves[{i}].id", f"duplicate move id {move_id!r} (moves[{first[move_id]}] too)"
        elif isinstance(move_id, str):
            first[move_id] = i


# ----------------------------------------------------------------- the table
HOLD_SECONDS = Number(0, 3600, above=True, unit=" seconds (an hour)")
REP_SECONDS = Number(0, 600, above=True, unit=" seconds")
PAUSE = Number(0, 600, unit=" seconds")  # rests and waits: 0 to ten minutes
HOLD_SCHEMA = Schema(
    required={"seconds": HOLD_SECONDS},
    optional={"rounds": Number(1, 100, whole=True), "rest": PAUSE},
    rules=(_rest_between_rounds,),
)
REPS_SCHEMA = Schema(
    required={"count": Number(1, 1000, whole=True), "seconds": REP_SECONDS},
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
    rules=(_hold_or_reps, _sides),
    what="move fields",
)
ROUTINE_SCHEMA = Schema(
    required={
        "name": "name",
        "title": "text",
        "intro": "text",
        "safety": "text",
        "moves": ListOf(MOVE_SCHEMA, empty="a routine needs at least one move"),
    },
    optional={"transition_seconds": PAUSE, "switch_seconds": PAUSE, "outro": "text"},
    rules=(_unique_ids,),
    what="routine fields",
)


# ----------------------------------------------------------------- building and loading
def _move(data: dict[str, Any]) -> Move:
    return Move(
        id=data["id"],
        name=data["name"],
        position=data["position"],
        setup=_texts(data["setup"]),
        hold=Hold(**data["hold"]) if "hold" in data else None,
        reps=Reps(**data["reps"]) if "reps" in data else None,
        sides=data.get("sides", "none"),
        side_names=_texts(data.get("side_names")) or DEFAULT_SIDE_NAMES,
        side_cues=_texts(data.get("side_cues")),
        form=_texts(data.get("form")),
        closing=data.get("closing", ""),
        short=data.get("short", ""),
    )


@dataclass(frozen=True)
class Checked:
    """A routine that passed every rule, or every problem found (``file: field: reason``)."""

    routine: Routine | None
    problems: tuple[str, ...] = ()


def check_routine(data: Any, source: str) -> Checked:
    """Check loaded YAML data against every rule and build the routine if none is broken."""
    report = Report(source)
    if data is None:
        report.add("", "the file is empty")
    elif not isinstance(data, dict):
        report.add("", f"expected a mapping of routine fields at the top, got {describe(data)}")
    else:
        check(data, ROUTINE_SCHEMA, "", report)
    if report.problems or not isinstance(data, dict):
        return Checked(None, tuple(report.problems))
    routine = Routine(
        name=data["name"],
        title=data["title"],
        intro=data["intro"],
        safety=data["safety"],
        moves=tuple(_move(m) for m in data["moves"]),
        transition_seconds=float(data.get("transition_seconds", 8.0)),
        switch_seconds=float(data.get("switch_seconds", 4.0)),
        outro=data.get("outro", ""),
        source=source,
    )
    return Checked(routine)


def check_file(path: Path) -> Checked:
    """Read and check a routine file; a file that cannot be read is one problem."""
    try:
        data = read_mapping(path, "routine fields")
    except YamlFileError as exc:
        return Checked(None, (f"{path}: {'no such routine file' if exc.missing else exc}",))
    return check_routine(data, str(path))


def _routine_or_error(checked: Checked, source: str) -> Routine:
    if checked.routine is not None:
        return checked.routine
    first, more = checked.problems[0], len(checked.problems) - 1
    if more:
        first += f" (and {more} more; run `voicecoach routines check {source}`)"
    raise RoutineError(first)


def parse_routine(data: Any, source: str) -> Routine:
    """Validate loaded YAML data and build a :class:`Routine` (RoutineError on any problem)."""
    return _routine_or_error(check_routine(data, source), source)


def load_routine(path: Path) -> Routine:
    """Read and validate a routine file (RoutineError naming the first problem and the count)."""
    return _routine_or_error(check_file(path), str(path))
