"""Session history in SQLite: every session, move, hold and pause, kept across crashes.

Each event is committed on its own (WAL journal, ``synchronous=FULL``), so a killed process or a
power cut loses nothing that was recorded. A history file that is damaged, locked, read-only or
written by a newer voicecoach turns history off for the run: the store then ignores events and
offers one sentence for the coach to say. The file itself is never deleted, truncated or rewritten.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from voicecoach import paths
from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.history import db
from voicecoach.history.db import problem_for
from voicecoach.history.queries import HistoryQueries
from voicecoach.history.records import Problem, RunTime
from voicecoach.history.run_lock import RunLock

log = logging.getLogger(__name__)

FILE_NAME = "history.sqlite3"
# An interrupted session is offered for resuming only if it was active this recently.
RESUME_WINDOW = timedelta(hours=12)
_ENDING = {ev.SESSION_FINISHED: "finished", ev.SESSION_STOPPED: "stopped"}


def default_path() -> Path:
    """Where the history database lives: ``<user data dir>/history.sqlite3``."""
    return paths.data_dir() / FILE_NAME


def _local_now() -> datetime:
    return datetime.now().astimezone()


class HistoryStore(HistoryQueries):
    """The history database, or a disabled stand-in whose methods do nothing.

    Build it with :meth:`open` (never raises) or :meth:`disabled`.
    """

    def __init__(
        self,
        conn: sqlite3.Connection | None,
        path: Path,
        *,
        now: Callable[[], datetime] = _local_now,
        problem: Problem | None = None,
        lock: RunLock | None = None,
    ) -> None:
        self._conn = conn
        self._run_lock = lock
        self.path = path
        self._now = now
        self._problem = problem
        self._notice_given = False
        self._lock = threading.Lock()
        self._run: RunTime | None = None
        self._resume_id: int | None = None
        # Sessions on a fast or slow clock are practice: kept, but not counted as exercise.
        self.practice = False

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        now: Callable[[], datetime] = _local_now,
        timeout: float = 2.0,
        recording: bool = False,
        warn: bool = True,
    ) -> HistoryStore:
        """Open or create the history database; on any trouble return a disabled store.

        ``recording``: this process coaches and records sessions. Only one may at a time
        (see :mod:`voicecoach.history.run_lock`); a second one gets a store with history off.
        ``warn``: log a warning when history is off (a caller that reports it itself says no).
        """
        path = default_path() if path is None else path
        opened = db.open_history(path, timeout, recording)
        if isinstance(opened, Problem):
            if warn:
                log.warning("%s", opened.line)
            return cls(None, path, now=now, problem=opened)
        log.debug("history database %s opened", path)
        conn, lock = opened
        return cls(conn, path, now=now, lock=lock)

    @classmethod
    def disabled(cls, path: Path | None = None) -> HistoryStore:
        """A store that records nothing and says nothing (history switched off in settings)."""
        return cls(None, default_path() if path is None else path)

    def _fail(self, exc: sqlite3.Error, kind: str = "saving") -> None:
        """Turn history off after an error in use; the notice is given (again) once."""
        self._problem = Problem.make(kind, self.path, str(exc))
        self._notice_given = False
        log.warning("%s", self._problem.line)
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._run = None

    # -- state --------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """True while events are being saved."""
        return self._conn is not None

    @property
    def problem(self) -> str | None:
        """Why history is off, for the terminal (names the file and what to do), or None."""
        return self._problem.line if self._problem else None

    @property
    def problem_record(self) -> Problem | None:
        """Why history is off, in parts (kind, sentence, detail), or None."""
        return self._problem

    def take_notice(self) -> str | None:
        """The sentence to say about history being off: returned once, then None."""
        if self._problem is None or self._notice_given:
            return None
        self._notice_given = True
        return self._problem.spoken

    def close(self) -> None:
        """Close the database (the store is disabled afterwards) and let another coach record."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            if self._run_lock is not None:
                self._run_lock.release()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recording ----------------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        """Same as :meth:`record`, so the store can be passed as an EventSink."""
        self.record(event)

    def record(self, event: Event) -> None:
        """Save one session event and commit it; never raises (trouble turns history off)."""
        with self._lock:
            if self._conn is None:
                return
            try:
                self._record(self._conn, event)
            except sqlite3.Error as exc:
                self._fail(exc)

    def _record(self, conn: sqlite3.Connection, event: Event) -> None:
        wall = self._now().isoformat(timespec="seconds")
        detail = dict(event.detail)
        if event.kind == ev.SESSION_STARTED or self._run is None:
            detail.update(self._attach(conn, event, wall))
        run = self._run
        assert run is not None
        seconds = run.note(event.kind, event.at)
        position = json.dumps(event.position.to_dict())
        if event.kind == ev.PROGRESS:
            db.save_progress(conn, run.session_id, position, wall, seconds)
            return
        outcome = _ENDING.get(event.kind)
        pos = event.position
        step = (event.kind, event.at, wall, pos.move, pos.round, pos.side,
                json.dumps(detail, default=str))  # fmt: skip
        db.save_step(conn, run.session_id, step, position, seconds, outcome)
        if outcome is not None:
            self._run = None

    def _attach(self, conn: sqlite3.Connection, event: Event, wall: str) -> dict[str, Any]:
        """Continue the interrupted session (after resume_unfinished, or when this run's first
        event is not a start and the routine matches); otherwise begin a new session row."""
        resume_id, self._resume_id = self._resume_id, None
        if resume_id is None and event.kind != ev.SESSION_STARTED:
            found = self._unfinished_row()
            if found is not None and found[1].routine == event.position.routine:
                resume_id = found[0]
        if resume_id is not None:
            row = conn.execute("SELECT seconds FROM sessions WHERE id=?", (resume_id,)).fetchone()
            if row is not None:
                self._run = RunTime(resume_id, float(row[0]))
                return {"continued": True}
        # Starting afresh gives up any session still open from an earlier run.
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE sessions SET outcome='abandoned', ended=last_seen WHERE outcome IS NULL"
        )
        routine = str(event.detail.get("routine") or event.position.routine)
        cur = conn.execute(
            "INSERT INTO sessions (routine, started, day, last_seen, position, practice)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (routine, wall, self._now().date().isoformat(), wall,
             json.dumps(event.position.to_dict()), int(self.practice)),
        )  # fmt: skip
        conn.execute("COMMIT")
        assert cur.lastrowid is not None
        self._run = RunTime(cur.lastrowid, 0.0)
        return {}

    # -- resuming -----------------------------------------------------------------------------
    def _unfinished_row(self) -> tuple[int, Position] | None:
        if self._conn is None:
            return None
        current = self._run.session_id if self._run else -1
        row = self._conn.execute(
            "SELECT id, position, last_seen FROM sessions WHERE outcome IS NULL AND id != ?"
            " ORDER BY id DESC LIMIT 1",
            (current,),
        ).fetchone()
        if row is None:
            return None
        if self._now() - datetime.fromisoformat(row[2]) > RESUME_WINDOW:
            return None
        try:
            return int(row[0]), Position.from_dict(json.loads(row[1]))
        except (TypeError, ValueError) as exc:
            log.warning("cannot read the position of session %s: %s", row[0], exc)
            return None

    def _unfinished_or_fail(self) -> tuple[int, Position] | None:
        """:meth:`_unfinished_row`, turning history off on a database error (lock held)."""
        try:
            return self._unfinished_row()
        except sqlite3.Error as exc:
            self._fail(exc, problem_for(exc))
            return None

    def unfinished(self) -> Position | None:
        """Where the last interrupted session stopped, if it was active within RESUME_WINDOW."""
        with self._lock:
            found = self._unfinished_or_fail()
        return found[1] if found else None

    def resume_unfinished(self) -> Position | None:
        """Continue the interrupted session: the next events are added to its record."""
        with self._lock:
            found = self._unfinished_or_fail()
            if found is None:
                return None
            self._resume_id = found[0]
            self._run = None
            return found[1]

    def discard_unfinished(self) -> None:
        """Mark interrupted sessions as abandoned so they are not offered again."""
        self._write(
            "UPDATE sessions SET outcome='abandoned', ended=last_seen"
            " WHERE outcome IS NULL AND id != ?",
            (self._run.session_id if self._run else -1,),
        )
        self._resume_id = None

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                self._fail(exc)

    # -- reading (the queries themselves are in HistoryQueries) ------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._conn is None:
                return []
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                self._fail(exc, problem_for(exc))
                return []

    def _today(self) -> date:
        return self._now().date()

    def _current_id(self) -> int | None:
        return self._run.session_id if self._run else None
