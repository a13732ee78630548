"""The history database's layout and migrations, and opening it safely."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from voicecoach.history.records import Problem
from voicecoach.history.run_lock import Held, RunLock

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
    # A session on a fast or slow clock (--speed) is practice: listed, never counted.
    "ALTER TABLE sessions ADD COLUMN practice INTEGER NOT NULL DEFAULT 0;",
)
SCHEMA_VERSION = len(MIGRATIONS)


class OpenFailure(Exception):
    """The history file cannot be used; ``kind`` is a Problem kind."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def problem_for(exc: sqlite3.Error) -> str:
    """Sort an sqlite error into a Problem kind (see voicecoach.history.records.Problem)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "damaged"
    if isinstance(exc, sqlite3.OperationalError):
        return "unwritable"
    return "damaged"


def _failure(exc: Exception) -> tuple[str, str]:
    """A Problem kind and the reason for an error met while opening the history."""
    if isinstance(exc, OpenFailure):
        return exc.kind, exc.reason
    if isinstance(exc, Held):
        return "locked", str(exc) or "another voicecoach is recording a session"
    return "unwritable", f"cannot take the lock beside it: {exc}"


def open_history(
    path: Path, timeout: float, recording: bool
) -> tuple[sqlite3.Connection, RunLock | None] | Problem:
    """Take the run lock (when ``recording``) and open the database; a Problem if either fails.

    Only one process records at a time (see :mod:`voicecoach.history.run_lock`).
    """
    lock = None
    try:
        if recording:
            lock = RunLock.take(path.with_name(path.name + ".lock"))
        return open_connection(path, timeout), lock
    except (OpenFailure, Held, OSError) as failure:
        if lock is not None:
            lock.release()
        kind, reason = _failure(failure)
        return Problem.make(kind, path, reason)


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


def save_progress(conn: sqlite3.Connection, session_id: int, position: str, wall: str,
                  seconds: float) -> None:  # fmt: skip
    """Keep a session's position current (frequent: one UPDATE, no new row)."""
    conn.execute(
        "UPDATE sessions SET position=?, last_seen=?, seconds=? WHERE id=?",
        (position, wall, seconds, session_id),
    )


def save_step(conn: sqlite3.Connection, session_id: int, step: tuple[Any, ...], position: str,
              seconds: float, outcome: str | None) -> None:  # fmt: skip
    """Add one step (kind, at, wall, move, round, side, detail JSON) and update its session,
    in one transaction; an ``outcome`` ends the session."""
    wall = step[2]
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO steps (session_id, kind, at, wall, move, round, side, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, *step),
    )
    conn.execute(
        "UPDATE sessions SET position=?, last_seen=?, seconds=?,"
        " ended=CASE WHEN ? IS NULL THEN ended ELSE ? END, outcome=COALESCE(?, outcome)"
        " WHERE id=?",
        (position, wall, seconds, outcome, wall, outcome, session_id),
    )
    conn.execute("COMMIT")
