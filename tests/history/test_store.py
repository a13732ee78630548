"""The SQLite history store: recording, resuming and summaries."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from history_helpers import WallClock, full_session, pos, recorded_steps
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event
from voicecoach.history.db import SCHEMA_VERSION
from voicecoach.history.records import RunTime, streak_from_days
from voicecoach.history.store import RESUME_WINDOW, HistoryStore, default_path


def test_a_finished_session_is_recorded_with_moves_pauses_and_holds(
    db: Path, wall: WallClock
) -> None:
    with HistoryStore.open(db, now=wall) as store:
        assert store.enabled and store.take_notice() is None
        full_session(store, moves=3)
        [summary] = store.recent(5)
        steps = recorded_steps(db, summary.id)
    assert summary.outcome == "finished"
    assert (summary.moves_done, summary.moves_skipped, summary.pauses) == (3, 0, 1)
    assert summary.minutes == pytest.approx(3.0)  # the 30 s pause is left out
    holds = [s.detail["actual"] for s in steps if s.kind == ev.HOLD_DONE]
    assert holds == [9.5, 9.5, 9.5]
    assert [s.move for s in steps if s.kind == ev.MOVE_DONE] == [0, 1, 2]


def test_progress_updates_the_position_without_adding_rows(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        for rep in range(1, 50):
            store.record(Event(ev.PROGRESS, rep, pos(2, rep=rep, round=1, side=1)))
        [summary] = store.recent(1)
        assert len(recorded_steps(db, summary.id)) == 1
    # The process "dies" without finishing: a new run sees where it stopped.
    with HistoryStore.open(db, now=wall) as again:
        assert again.unfinished() == pos(2, rep=49, round=1, side=1)
        assert again.recent(1)[0].outcome == "interrupted"


@pytest.mark.parametrize("ending", [ev.SESSION_FINISHED, ev.SESSION_STOPPED])
def test_sessions_ended_on_purpose_are_not_offered_for_resuming(
    db: Path, wall: WallClock, ending: str
) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        store.record(Event(ending, 5, pos(1)))
    with HistoryStore.open(db, now=wall) as again:
        assert again.unfinished() is None
        assert again.recent(1)[0].outcome == ending.removeprefix("session_")


def test_old_interrupted_sessions_are_not_offered(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
    wall.t += RESUME_WINDOW - timedelta(minutes=1)
    with HistoryStore.open(db, now=wall) as store:
        assert store.unfinished() == pos()
    wall.t += timedelta(minutes=2)
    with HistoryStore.open(db, now=wall) as store:
        assert store.unfinished() is None


def test_resuming_continues_the_same_session_record(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        store.record(Event(ev.MOVE_DONE, 90, pos(0)))
        store.record(Event(ev.PROGRESS, 120, pos(1, rep=5)))
    with HistoryStore.open(db, now=wall) as store:
        assert store.resume_unfinished() == pos(1, rep=5)
        store.record(Event(ev.SESSION_STARTED, 0, pos(1, rep=5), {"routine": "back"}))
        store.record(Event(ev.MOVE_DONE, 60, pos(1)))
        store.record(Event(ev.SESSION_FINISHED, 60, pos(2)))
        [summary] = store.recent(5)
        assert store.unfinished() is None
    assert summary.outcome == "finished"
    assert summary.moves_done == 2
    assert summary.minutes == pytest.approx(3.0)  # 120 s before the crash + 60 s after


@pytest.mark.parametrize("first", [ev.RESUMED, ev.SESSION_STOPPED])
def test_events_without_a_start_continue_the_interrupted_session(
    db: Path, wall: WallClock, first: str
) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        store.record(Event(ev.PROGRESS, 60, pos(1, rep=2)))
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(first, 0, pos(1, rep=2)))
        if first == ev.RESUMED:
            store.record(Event(ev.SESSION_STOPPED, 30, pos(1, rep=4)))
        [summary] = store.recent(5)
    assert summary.outcome == "stopped"
    assert summary.minutes == pytest.approx(1.5 if first == ev.RESUMED else 1.0)


def test_starting_over_abandons_the_interrupted_session(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
    with HistoryStore.open(db, now=wall) as store:
        assert store.unfinished() is not None
        store.discard_unfinished()
        assert store.unfinished() is None
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        outcomes = [s.outcome for s in store.recent(5)]
    assert outcomes == ["in progress", "abandoned"]


def test_streak_counts_days_with_a_move_done(db: Path, wall: WallClock) -> None:
    today = wall.t.date()
    with HistoryStore.open(db, now=wall) as store:
        for back in (5, 3, 2, 1):  # a gap after day -5
            wall.t = datetime.combine(today - timedelta(days=back), wall.t.timetz())
            full_session(store, moves=1)
        assert store.streak(today) == 3  # yesterday's streak is still alive today
        wall.t = datetime.combine(today, wall.t.timetz())
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        assert store.streak(today) == 3  # started but nothing done yet
        store.record(Event(ev.MOVE_DONE, 30, pos()))
        assert store.streak(today) == 4
        assert store.streak(today + timedelta(days=2)) == 0


def test_streak_from_days_edges() -> None:
    d = date(2024, 1, 10)
    assert streak_from_days(set(), d) == 0
    assert streak_from_days({d}, d) == 1
    assert streak_from_days({d - timedelta(days=1)}, d) == 1
    assert streak_from_days({d - timedelta(days=2)}, d) == 0


def test_minutes_per_week_and_times_done(db: Path, wall: WallClock) -> None:
    today = wall.t.date()  # Wednesday
    with HistoryStore.open(db, now=wall) as store:
        for back in (0, 2, 7, 30):
            wall.t = datetime.combine(today - timedelta(days=back), wall.t.timetz())
            full_session(store, moves=2, seconds_per_move=60)  # 2 minutes each
        wall.t = datetime.combine(today, wall.t.timetz())
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        store.record(Event(ev.SESSION_STOPPED, 60, pos()))
        weeks = store.weekly_minutes(3, today)
        assert store.total_minutes() == pytest.approx(9.0)
        assert store.times_done("back") == 4
        assert store.times_done("neck") == 0
    assert [w for w, _ in weeks] == [date(2024, 4, 29), date(2024, 5, 6), date(2024, 5, 13)]
    assert [m for _, m in weeks] == pytest.approx([0.0, 2.0, 5.0])


def test_schema_version_is_set_and_reopening_keeps_data(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        full_session(store)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    with HistoryStore.open(db, now=wall) as store:
        assert store.session_count() == 1


def test_default_path_follows_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    with HistoryStore.open() as store:
        assert store.enabled
    assert default_path() == tmp_path / "data" / "history.sqlite3"
    assert default_path().exists()


def test_recording_from_another_thread_works(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        worker = threading.Thread(target=full_session, args=(store,))
        worker.start()
        worker.join()
        assert store.enabled and store.recent(1)[0].outcome == "finished"


# -- files that cannot be used ---------------------------------------------------------------


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), max_size=8), st.floats(0, 50))
def test_active_time_leaves_out_every_pause(spans: list[tuple[float, float]], base: float) -> None:
    """Alternating work and pause spans: active time is the work alone, plus what came before."""
    run = RunTime(1, base)
    t = 0.0
    assert run.active_seconds(t) == base
    work_total = 0.0
    for work, pause in spans:
        t += work
        work_total += work
        run.paused_since = t  # what record() does on PAUSED
        assert run.active_seconds(t + pause) == pytest.approx(base + work_total)
        run.paused_total += pause  # ... and on RESUMED
        run.paused_since = None
        t += pause
    assert run.active_seconds(t) == pytest.approx(base + work_total)


def test_a_practice_run_is_listed_but_not_counted(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall) as store:
        full_session(store, moves=2)
        store.practice = True
        full_session(store, moves=3)
        practice, real = store.recent(2)
        assert (practice.practice, real.practice) == (True, False)
        assert store.total_minutes() == pytest.approx(2.0)
        assert store.session_count() == 1 and store.session_count(practice=True) == 1
        assert store.times_done("back") == 1
        assert sum(store.daily_minutes(date(2000, 1, 1)).values()) == pytest.approx(2.0)


def test_an_old_history_file_gains_the_practice_column(db: Path, wall: WallClock) -> None:
    from voicecoach.history.db import MIGRATIONS

    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO sessions (routine, started, day, last_seen, outcome, seconds, position)"
        " VALUES ('back', '2026-01-05T10:00:00+00:00', '2026-01-05',"
        " '2026-01-05T10:06:00+00:00', 'finished', 360, '{}')"
    )
    conn.commit()
    conn.close()
    with HistoryStore.open(db, now=wall) as store:
        assert store.enabled
        [old] = store.recent(1)
        assert not old.practice and store.total_minutes() == pytest.approx(6.0)
