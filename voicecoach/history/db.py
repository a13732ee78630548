"""The history database's layout, its migrations, and the records read back from it."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from voicecoach.coaching import events as ev

log = logging.getLogger(__name__)

MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file

# Version n is reached by running MIGRATIONS[n - 1]; the file's user_version says where it is.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        routine TEXT NOT NULL,
        started TEXT NOT NULL,              -- local wall time, ISO 8601 with UTC offset
        day TEXT NOT NULL,                  -- local calendar day the session began
        last_seen TEXT NOT NULL,            -- wall time of the latest event
        ended TEXT,
        outcome TEXT,                       -- NULL while open: finished | stopped | abandoned
        seconds REAL NOT NULL DEFAULT 0,    -- active time, pauses left out
        position TEXT NOT NULL              -- JSON Position, kept current for resuming
    );
    CREATE INDEX sessions_day ON sessions(day);
    CREATE TABLE steps (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        kind TEXT NOT NULL,                 -- an event kind from voicecoach.coaching.events
        at REAL NOT NULL,                   -- session clock seconds
        wall TEXT NOT NULL,
        move INTEGER NOT NULL,
        round INTEGER NOT NULL,
        side INTEGER NOT NULL,
        detail TEXT NOT NULL                -- JSON: hold planned/actual, pause length, ...
    );
    CREATE INDEX steps_session ON steps(session_id, kind);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class OpenFailure(Exception):
    """The history file cannot be used; ``kind`` is a Problem kind."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def open_connection(path: Path, timeout: float) -> sqlite3.Connection:
    """Open, check and migrate the database, proving it writable; raise OpenFailure if not.

    Checks that only read come first, so a damaged file is refused before anything is written.
    """
    try:
        if path.exists() and path.stat().st_size > 0:
            with path.open("rb") as fh:
                if fh.read(len(MAGIC)) != MAGIC:
                    raise OpenFailure("damaged", "not an SQLite file")
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise OpenFailure("unwritable", str(exc)) from exc
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise OpenFailure("damaged", str(check))
        if version > SCHEMA_VERSION:
            raise OpenFailure("newer", f"schema version {version}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn, version)
        conn.execute("BEGIN IMMEDIATE")  # proves we can write, now rather than mid-session
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        conn.close()
        raise OpenFailure(problem_for(exc), str(exc)) from exc
    except OpenFailure:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring the schema from ``version`` (not newer than SCHEMA_VERSION) up to date."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.executescript(
            f"BEGIN;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
        )
        log.info("history database migrated to schema %d", target)


_SPOKEN = {
    "damaged": "History is off today: the history file is damaged. The coach still runs.",
    "locked": "History is off today: another voicecoach is using the history file."
    " The coach still runs.",
    "unwritable": "History is off today: the history file cannot be written. The coach still runs.",
    "newer": "History is off today: the history file comes from a newer voicecoach."
    " The coach still runs.",
    "saving": "History is off from now on: saving it failed. The coach still runs.",
}
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
    spoken: str
    line: str

    @classmethod
    def make(cls, kind: str, path: Path, reason: str) -> Problem:
        spoken = _SPOKEN[kind]
        line = f"{spoken} File {path}: {reason}; {_ADVICE[kind]}."
        return cls(kind, spoken, line)


def problem_for(exc: sqlite3.Error) -> str:
    """Sort an sqlite error into a Problem kind."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "damaged"
    if isinstance(exc, sqlite3.OperationalError):
        return "unwritable"
    return "damaged"


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

    SQL = (
        "SELECT s.id, s.routine, s.started, s.ended, s.outcome, s.seconds,"
        + ",".join(
            f" (SELECT COUNT(*) FROM steps WHERE session_id=s.id AND kind='{kind}')"
            for kind in (ev.MOVE_DONE, ev.MOVE_SKIPPED, ev.MOVE_REPEATED, ev.PAUSED)
        )
        + " FROM sessions s"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...], current: int | None) -> SessionSummary:
        sid, routine, started, ended, outcome, seconds, done, skipped, repeated, pauses = row
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
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with stable keys (times as ISO 8601 strings)."""
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["ended"] = self.ended.isoformat() if self.ended else None
        data["minutes"] = round(self.minutes, 2)
        return data


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
