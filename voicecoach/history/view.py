"""Showing the history: a terminal table with streak and weekly chart, JSON, and spoken lines."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from voicecoach.history.store import HistoryStore

log = logging.getLogger(__name__)

BAR_WIDTH = 30
BAR = "#"


def history_payload(
    store: HistoryStore, *, limit: int = 10, weeks: int = 8, today: date | None = None
) -> dict[str, Any]:
    """Everything ``voicecoach history`` shows, with stable keys (also the ``--json`` output)."""
    today = today or date.today()
    return {
        "history": "on" if store.enabled else "off",
        "problem": store.problem,
        "database": str(store.path),
        "streak_days": store.streak(today),
        "total_minutes": round(store.total_minutes(), 2),
        "total_sessions": store.session_count(),
        "practice_sessions": store.session_count(practice=True),
        "weeks": [
            {"week_start": start.isoformat(), "minutes": round(minutes, 2)}
            for start, minutes in store.weekly_minutes(weeks, today)
        ],
        "sessions": [s.to_dict() for s in store.recent(limit)],
    }


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _minutes(value: float) -> str:
    whole = round(value)
    if value > 0 and whole == 0:
        return "less than a minute"
    return "1 minute" if whole == 1 else f"{whole} minutes"


def render_chart(weeks: list[dict[str, Any]], today: date, width: int = BAR_WIDTH) -> list[str]:
    """A bar per week (minutes), oldest first, in plain characters."""
    top = max((w["minutes"] for w in weeks), default=0.0)
    this_week = today - timedelta(days=today.weekday())
    lines = ["Minutes per week:"]
    for week in weeks:
        start = date.fromisoformat(week["week_start"])
        label = "this week" if start == this_week else f"wk {start:%b %d}"
        minutes = float(week["minutes"])
        bar = BAR * max(1, round(width * minutes / top)) if minutes > 0 and top > 0 else "."
        lines.append(f"  {label:<10} {bar:<{width}} {minutes:5.1f}")
    return lines


def render_history(payload: dict[str, Any], today: date | None = None) -> str:
    """The terminal view of :func:`history_payload`: summary, recent sessions, weekly chart."""
    today = today or date.today()
    sessions: list[dict[str, Any]] = payload["sessions"]
    practice = payload.get("practice_sessions", 0)
    if payload["total_sessions"] == 0 and not practice:
        return 'No sessions yet. Say "start back routine" and the first one will show up here.'
    streak = payload["streak_days"]
    summary = (f"Streak: {_days(streak)} in a row. " if streak else "No streak right now. ") + (
        f"{_minutes(payload['total_minutes']).capitalize()} in all over "
        f"{payload['total_sessions']} session{'s' if payload['total_sessions'] != 1 else ''}."
    )
    if practice:
        runs = "practice run" if practice == 1 else "practice runs"
        summary += f" ({practice} {runs} with --speed, not counted.)"
    lines = [summary, "", "Recent sessions:"]
    lines.append(f"  {'started':<16}  {'routine':<14} {'min':>5} {'done':>4} {'skip':>4}"
                 f" {'pause':>5}  result")  # fmt: skip
    for s in sessions:
        started = s["started"][:16].replace("T", " ")
        lines.append(
            f"  {started:<16}  {s['routine'][:14]:<14} {s['minutes']:5.1f} {s['moves_done']:4d}"
            f" {s['moves_skipped']:4d} {s['pauses']:5d}  {s['outcome']}"
            + (" (practice)" if s.get("practice") else "")
        )
    lines += ["", *render_chart(payload["weeks"], today)]
    return "\n".join(lines)


def progress_sentence(store: HistoryStore, today: date | None = None) -> str:
    """What the coach says to "how am I doing": the streak and the minutes so far."""
    if not store.enabled:
        return "I can't see your history today, but let's keep going."
    today = today or date.today()
    days = store.active_days()
    streak = store.streak(today)
    if streak >= 2:
        opening = f"{_days(streak).capitalize()} in a row. Keep it up."
    elif today in days:
        opening = "You've done your exercises today."
    elif streak == 1:
        opening = "You exercised yesterday. Today keeps the streak going."
    elif days:
        gap = (today - max(days)).days
        opening = f"Your last session was {_days(gap)} ago. Good to have you back."
    else:
        return "This is your first session on record. Every one from now on counts."
    return f"{opening} You have done {_minutes(store.total_minutes())} in all."
