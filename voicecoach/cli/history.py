"""The ``history`` subcommand: recent sessions, streak, total minutes and a weekly chart."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from voicecoach.errors import UserError
from voicecoach.history import store as store_mod
from voicecoach.history.records import Problem
from voicecoach.history.store import HistoryStore
from voicecoach.history.view import history_payload, render_history

log = logging.getLogger(__name__)


class HistoryError(UserError):
    """The history file cannot be read (exit code 7); the coach itself still runs."""

    exit_code = 7


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``history`` subcommand."""
    hist = sub.add_parser(
        "history", help="recent sessions, streak, total minutes and a weekly chart"
    )
    hist.add_argument("-n", "--limit", type=int, default=10, help="sessions to list (10)")
    hist.add_argument("--weeks", type=int, default=8, help="weeks in the chart (8)")
    hist.add_argument("--json", action="store_true", help="print JSON for scripts")
    hist.set_defaults(func=history_command)


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _empty_payload(weeks: int) -> dict[str, Any]:
    with HistoryStore.disabled() as empty:
        payload = history_payload(empty, limit=0, weeks=weeks)
    payload["history"] = "on"
    return payload


def _cannot_read(problem: Problem | None, path: Path, *, as_json: bool) -> NoReturn:
    """Say once why the history cannot be shown (stderr), as JSON too for scripts."""
    if problem is None:
        message = f"cannot read your history in {path}"
    else:
        message = f"cannot read your history: {problem.what}. {problem.detail}"
    if as_json:
        kind = problem.kind if problem else "unreadable"
        error = {"code": HistoryError.exit_code, "kind": kind, "message": message}
        _print(json.dumps({"error": error}, indent=2))
    raise HistoryError(message)


def history_command(args: argparse.Namespace) -> int:
    """``voicecoach history``: list recent sessions, the streak, minutes and a weekly chart."""
    if args.limit < 0 or not 1 <= args.weeks <= 104:
        raise UserError("--limit must be 0 or more and --weeks between 1 and 104")
    path = store_mod.default_path()
    if not path.exists():  # nothing recorded yet: do not create files just to say so
        payload = _empty_payload(args.weeks)
    else:
        with HistoryStore.open(path, warn=False) as store:
            if not store.enabled:
                _cannot_read(store.problem_record, path, as_json=args.json)
            payload = history_payload(store, limit=args.limit, weeks=args.weeks)
    if args.json:
        _print(json.dumps(payload, indent=2))
    else:
        _print(render_history(payload, date.today()))
    return 0
