"""Reading the history back: recent sessions, streak, minutes per week, times done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from voicecoach.coaching import events as ev
from voicecoach.history.records import SessionSummary, streak_from_days


class HistoryQueries:
    """The read side of the history store; a disabled store answers with empty results."""

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _today(self) -> date:
        raise NotImplementedError

    def _current_id(self) -> int | None:
        raise NotImplementedError

    def recent(self, n: int = 10) -> list[SessionSummary]:
        """The ``n`` latest sessions, newest first."""
        current = self._current_id()
        rows = self._query(SessionSummary.SQL + " ORDER BY s.id DESC LIMIT ?", (n,))
        return [SessionSummary.from_row(row, current) for row in rows]

    def active_days(self) -> set[date]:
        """Days with exercise: a session begun that day finished or completed a move."""
        rows = self._query(
            "SELECT DISTINCT day FROM sessions s WHERE NOT practice AND (outcome='finished'"
            " OR EXISTS (SELECT 1 FROM steps WHERE session_id=s.id AND kind=?))",
            (ev.MOVE_DONE,),
        )
        return {date.fromisoformat(row[0]) for row in rows}

    def streak(self, today: date | None = None) -> int:
        """Days in a row with exercise, ending today (or yesterday, if today is still to come)."""
        return streak_from_days(self.active_days(), today or self._today())

    def total_minutes(self) -> float:
        """Minutes of exercise in all sessions, pauses and practice left out."""
        rows = self._query("SELECT COALESCE(SUM(seconds), 0) FROM sessions WHERE NOT practice")
        return float(rows[0][0]) / 60 if rows else 0.0

    def session_count(self, *, practice: bool = False) -> int:
        """How many sessions are recorded (``practice``: how many practice runs instead)."""
        rows = self._query("SELECT COUNT(*) FROM sessions WHERE practice=?", (int(practice),))
        return int(rows[0][0]) if rows else 0

    def daily_minutes(self, since: date) -> dict[date, float]:
        """Minutes of exercise per day from ``since`` on (days without any are left out)."""
        rows = self._query(
            "SELECT day, SUM(seconds) FROM sessions WHERE day >= ? AND NOT practice GROUP BY day",
            (since.isoformat(),),
        )
        return {date.fromisoformat(day): float(secs) / 60 for day, secs in rows}

    def weekly_minutes(self, weeks: int = 8, today: date | None = None) -> list[tuple[date, float]]:
        """Minutes per week (weeks start on Monday) for the last ``weeks`` weeks, oldest first."""
        today = today or self._today()
        first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
        totals = dict.fromkeys((first + timedelta(weeks=i) for i in range(weeks)), 0.0)
        for day, minutes in self.daily_minutes(first).items():
            totals[day - timedelta(days=day.weekday())] += minutes
        return sorted(totals.items())

    def times_done(self, routine: str) -> int:
        """How many times ``routine`` was done to the end (for cue verbosity)."""
        rows = self._query(
            "SELECT COUNT(*) FROM sessions WHERE routine=? AND outcome='finished' AND NOT practice",
            (routine,),
        )
        return int(rows[0][0]) if rows else 0
