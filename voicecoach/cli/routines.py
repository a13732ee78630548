"""``voicecoach routines``: list, show and check routine files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicecoach.coaching.cues import spoken_seconds
from voicecoach.coaching.plan import build_plan, total_seconds
from voicecoach.errors import RoutineError
from voicecoach.paths import user_routines_dir
from voicecoach.routines.library import require_routine, routine_files
from voicecoach.routines.model import Routine
from voicecoach.routines.validate import check_file


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("routines", help="list, show or check routines")
    actions = p.add_subparsers(dest="action")
    p.set_defaults(func=cmd_list)
    actions.add_parser("list", help="list the routines").set_defaults(func=cmd_list)
    show = actions.add_parser("show", help="print a routine's plan with its total time")
    show.add_argument("name", nargs="?", help="the routine's name (the default one if left out)")
    show.set_defaults(func=cmd_show)
    check = actions.add_parser("check", help="report every problem in routine files")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(func=cmd_check)


def cmd_list(args: argparse.Namespace) -> int:
    for f in routine_files():
        problems = check_file(f.path).problems if f.origin == "user" else ()
        broken = f"  (broken: voicecoach routines check {f.path})" if problems else ""
        print(f"{f.name:<16} {f.origin:<9} {f.path}{broken}")
    print(f"(your own routines go in {user_routines_dir()})")
    return 0


def describe(routine: Routine) -> str:
    """The plan of a routine as text: each move with its work and lead-in."""
    plan = build_plan(routine)
    lines = [f"{routine.title} ({routine.name}): about {spoken_seconds(total_seconds(plan))}"]
    for i, move in enumerate(routine.moves, 1):
        if move.hold:
            work = f"hold {move.hold.seconds:g} s"
            if move.hold.rounds > 1:
                work += f" x {move.hold.rounds} rounds, {move.hold.rest:g} s rest between"
        else:
            assert move.reps is not None
            work = f"{move.reps.count} reps of {move.reps.seconds:g} s"
        sides = {"each": "each side in turn", "alternate": "alternating sides"}.get(move.sides)
        if sides:
            work += f", {sides} ({'/'.join(move.side_names)})"
        seconds = sum(s.lead_seconds + s.active_seconds for s in plan if s.move_index == i - 1)
        lines.append(f"{i}. {move.name} [{move.position}]: {work}; ~{spoken_seconds(seconds)}")
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    print(describe(require_routine(args.name)))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Every problem of every file, one ``voicecoach: file: field: reason`` line each."""
    code = 0
    for path in args.files:
        checked = check_file(path)
        for problem in checked.problems:
            print(f"voicecoach: {problem}", file=sys.stderr, flush=True)
        if checked.routine is None:
            code = RoutineError.exit_code
        else:
            count = len(checked.routine.moves)
            print(f"{path}: ok, {count} move{'s' if count != 1 else ''}", flush=True)
    return code
