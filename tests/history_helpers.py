"""Shared by the history tests: a settable wall clock, positions and a whole recorded session."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.history.store import HistoryStore

TZ = timezone(timedelta(hours=2))


class WallClock:
    """A settable wall clock for the store's ``now``."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t


def pos(move: int = 0, **kw: float) -> Position:
    return Position("back", "hold", move, **kw)  # type: ignore[arg-type]


def full_session(store: HistoryStore, moves: int = 3, seconds_per_move: float = 60) -> None:
    """A finished session with ``moves`` moves done, one pause of 30 s in the first."""
    t = 0.0
    store.record(Event(ev.SESSION_STARTED, t, pos(), {"routine": "back"}))
    for move in range(moves):
        store.record(Event(ev.MOVE_STARTED, t, pos(move)))
        if move == 0:
            store.record(Event(ev.PAUSED, t + 10, pos(move)))
            store.record(Event(ev.RESUMED, t + 40, pos(move), {"paused_for": 30}))
            t += 30
        t += seconds_per_move
        store.record(Event(ev.HOLD_DONE, t, pos(move), {"planned": 10, "actual": 9.5}))
        store.record(Event(ev.MOVE_DONE, t, pos(move), {"seconds": seconds_per_move}))
    store.record(Event(ev.SESSION_FINISHED, t, pos(moves), {"done": moves}))


@dataclass(frozen=True)
class Step:
    """One recorded event of a session (everything but the frequent progress updates)."""

    kind: str
    at: float
    wall: datetime
    move: int
    round: int
    side: int
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Step:
        kind, at, wall, move, rnd, side, detail = row
        return cls(
            str(kind), float(at), datetime.fromisoformat(wall), int(move), int(rnd), int(side),
            json.loads(detail),
        )  # fmt: skip


def recorded_steps(db: Path, session_id: int) -> list[Step]:
    """Everything recorded in one session (moves, holds, pauses), oldest first."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT kind, at, wall, move, round, side, detail FROM steps"
            " WHERE session_id=? ORDER BY id",
            (session_id,),
        ).fetchall()
    return [Step.from_row(row) for row in rows]
