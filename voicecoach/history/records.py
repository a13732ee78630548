"""What the history keeps and reads back: sessions, steps, the run being recorded, and why
history may be off."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from voicecoach.coaching import events as ev

_WHAT = {
    "damaged": "the history file is damaged",
    "locked": "another voicecoach is using the history file",
    "unwritable": "the history file cannot be written",
    "newer": "the history file comes from a newer voicecoach",
    "saving": "saving the history failed",
}
_WHEN = {"saving": "from now on"}  # otherwise "today"
_ADVICE = {
    "damaged": "it was left untouched; move it elsewhere to start a fresh history",
    "locked": "close the other voicecoach, then start again",
    "unwritable": "check the folder's permissions and free disk space",
    "newer": "update voicecoach to keep using it",
    "saving": "check free disk space and the file's permissions",
}


@dataclass
class RunTime:
    """The session this process is recording, and its active time (pauses left out)."""

    session_id: int
    base: float  # active seconds saved by an earlier run of the same session (resume)
    start_at: float | None = None
    paused_total: float = 0.0
    paused_since: float | None = None

    def note(self, kind: str, at: float) -> float:
        """Take a pause or resume event into account; the active seconds at ``at``."""
        if kind == ev.PAUSED and self.paused_since is None:
            self.paused_since = at
        seconds = self.active_seconds(at)
        if kind == ev.RESUMED and self.paused_since is not None:
            self.paused_total += at - self.paused_since
            self.paused_since = None
        return seconds

    def active_seconds(self, at: float) -> float:
        """Active seconds of the session at session-clock time ``at``."""
        if self.start_at is None:
            self.start_at = at
        paused = self.paused_total
        if self.paused_since is not None:
            paused += at - self.paused_since
        return self.base + max(0.0, at - self.start_at - paused)


@dataclass(frozen=True)
class Problem:
    """Why history is off: a sentence to say, and a line for the terminal."""

    kind: str
    what: str  # "the history file is damaged"
    detail: str  # the file, the error and what to do

    @classmethod
    def make(cls, kind: str, path: Path, reason: str) -> Problem:
        return cls(kind, _WHAT[kind], f"File {path}: {reason}; {_ADVICE[kind]}.")

    @property
    def spoken(self) -> str:
        """What the coach says about it."""
        return f"History is off {_WHEN.get(self.kind, 'today')}: {self.what}. The coach still runs."

    @property
    def line(self) -> str:
        """For the terminal while coaching: what the coach says, then the detail."""
        return f"{self.spoken} {self.detail}"


def streak_from_days(days: set[date], today: date) -> int:
    """Days in a row in ``days`` ending today, or ending yesterday when today has none yet."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class SessionSummary:
    """One session as listed by ``voicecoach history``."""

    id: int
    routine: str
    started: datetime
    ended: datetime | None
    outcome: str  # finished | stopped | abandoned | interrupted | in progress
    minutes: float
    moves_done: int
    moves_skipped: int
    moves_repeated: int
    pauses: int
    practice: bool = False  # on a fast or slow clock: not counted in minutes or streak

    SQL = (
        "SELECT s.id, s.routine, s.started, s.ended, s.outcome, s.seconds, s.practice,"
        + ",".join(
            f" (SELECT COUNT(*) FROM steps WHERE session_id=s.id AND kind='{kind}')"
            for kind in (ev.MOVE_DONE, ev.MOVE_SKIPPED, ev.MOVE_REPEATED, ev.PAUSED)
        )
        + " FROM sessions s"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...], current: int | None) -> SessionSummary:
        sid, routine, started, ended, outcome, seconds, practice, *counts = row
        done, skipped, repeated, pauses = counts
        if outcome is None:
            outcome = "in progress" if sid == current else "interrupted"
        return cls(
            id=int(sid),
            routine=str(routine),
            started=datetime.fromisoformat(started),
            ended=datetime.fromisoformat(ended) if ended else None,
            outcome=str(outcome),
            minutes=float(seconds) / 60,
            moves_done=int(done),
            moves_skipped=int(skipped),
            moves_repeated=int(repeated),
            pauses=int(pauses),
            practice=bool(practice),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with stable keys (times as ISO 8601 strings)."""
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["ended"] = self.ended.isoformat() if self.ended else None
        data["minutes"] = round(self.minutes, 2)
        return data
