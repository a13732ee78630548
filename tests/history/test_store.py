"""The SQLite history store: recording, resuming, summaries, and refusing bad files safely."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.history.db import SCHEMA_VERSION
from voicecoach.history.records import RunTime, streak_from_days
from voicecoach.history.store import RESUME_WINDOW, HistoryStore, default_path

TZ = timezone(timedelta(hours=2))


class WallClock:
    """A settable wall clock for the store's ``now``."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def wall() -> WallClock:
    return WallClock(datetime(2024, 5, 15, 7, 30, tzinfo=TZ))  # a Wednesday


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


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


def test_a_finished_session_is_recorded_with_moves_pauses_and_holds(
    db: Path, wall: WallClock
) -> None:
    with HistoryStore.open(db, now=wall) as store:
        assert store.enabled and store.take_notice() is None
        full_session(store, moves=3)
        [summary] = store.recent(5)
        steps = store.steps(summary.id)
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
        assert len(store.steps(summary.id)) == 1
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


def assert_off_but_harmless(store: HistoryStore, words: str) -> None:
    """History is off, the coach-facing calls all work, and the notice is given once."""
    assert not store.enabled
    notice = store.take_notice()
    assert notice is not None and words in notice and "The coach still runs" in notice
    assert store.take_notice() is None
    assert store.problem is not None and str(store.path) in store.problem
    full_session(store)  # no error
    assert store.unfinished() is None and store.resume_unfinished() is None
    store.discard_unfinished()
    assert store.recent(5) == [] and store.streak() == 0 and store.total_minutes() == 0


@pytest.mark.parametrize("header", [b"", b"SQLite format 3\x00"])
def test_a_damaged_file_turns_history_off_and_is_left_untouched(
    db: Path, wall: WallClock, header: bytes
) -> None:
    original = header + os.urandom(8192)
    db.write_bytes(original)
    with HistoryStore.open(db, now=wall) as store:
        assert_off_but_harmless(store, "damaged")
    assert db.read_bytes() == original


def lock_in_rollback_mode(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE other (x)")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO other VALUES (1)")
    return conn


def lock_our_wal_file(path: Path, wall: WallClock) -> sqlite3.Connection:
    with HistoryStore.open(path, now=wall) as store:
        full_session(store)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


@pytest.mark.parametrize("locker", ["rollback", "wal"])
def test_a_locked_file_turns_history_off_and_is_left_untouched(
    db: Path, wall: WallClock, locker: str
) -> None:
    other = lock_in_rollback_mode(db) if locker == "rollback" else lock_our_wal_file(db, wall)
    original = db.read_bytes()
    try:
        with HistoryStore.open(db, now=wall, timeout=0.05) as store:
            assert_off_but_harmless(store, "another voicecoach")
        assert db.read_bytes() == original
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_only_one_coach_records_at_a_time(db: Path, wall: WallClock) -> None:
    first = HistoryStore.open(db, now=wall, recording=True)
    first.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
    with HistoryStore.open(db, now=wall, recording=True) as second:
        assert_off_but_harmless(second, "another voicecoach")
        assert second.problem is not None and f"process {os.getpid()}" in second.problem
    with HistoryStore.open(db, now=wall) as reader:  # the history command still reads
        assert reader.enabled and reader.unfinished() is not None
    first.close()
    with HistoryStore.open(db, now=wall, recording=True) as third:
        assert third.enabled and third.unfinished() is not None


def test_a_coach_in_another_process_keeps_the_history_to_itself(db: Path, wall: WallClock) -> None:
    holder = (
        "import sys, time; from pathlib import Path; from voicecoach.history.store import HistoryStore; "
        "s = HistoryStore.open(Path(sys.argv[1]), recording=True); "
        "print(s.enabled, flush=True); time.sleep(30)"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", holder, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "True"
        with HistoryStore.open(db, now=wall, recording=True) as store:
            assert_off_but_harmless(store, "another voicecoach")
            assert store.problem is not None and f"process {other.pid}" in store.problem
    finally:
        other.kill()
        other.wait()
        assert other.stdout is not None
        other.stdout.close()
    with HistoryStore.open(db, now=wall, recording=True) as store:  # a killed coach holds nothing
        assert store.enabled


def test_a_file_from_a_newer_release_is_refused(db: Path, wall: WallClock) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    original = db.read_bytes()
    with HistoryStore.open(db, now=wall) as store:
        assert_off_but_harmless(store, "newer voicecoach")
    assert db.read_bytes() == original


def test_a_folder_that_cannot_be_created_turns_history_off(tmp_path: Path, wall: WallClock) -> None:
    (tmp_path / "blocker").write_text("a file where the data folder should be")
    with HistoryStore.open(tmp_path / "blocker" / "history.sqlite3", now=wall) as store:
        assert_off_but_harmless(store, "cannot be written")


def test_trouble_while_saving_turns_history_off_once(db: Path, wall: WallClock) -> None:
    with HistoryStore.open(db, now=wall, timeout=0.05) as store:
        store.record(Event(ev.SESSION_STARTED, 0, pos(), {"routine": "back"}))
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            store.record(Event(ev.MOVE_DONE, 10, pos()))  # must not raise
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert not store.enabled
        notice = store.take_notice()
        assert notice is not None and "saving" in notice
        store.record(Event(ev.SESSION_FINISHED, 20, pos(1)))
        assert store.take_notice() is None
    with HistoryStore.open(db, now=wall) as again:  # what was saved before is still there
        assert again.unfinished() == pos()


def test_disabled_on_purpose_says_nothing(db: Path) -> None:
    store = HistoryStore.disabled(db)
    full_session(store)
    assert not store.enabled and store.take_notice() is None and store.problem is None
    assert not db.exists()


# -- a killed process loses nothing -----------------------------------------------------------

CHILD = """
import sys
from pathlib import Path
from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.history.store import HistoryStore
store = HistoryStore.open(Path(sys.argv[1]))
store.record(Event(ev.SESSION_STARTED, 0, Position("back", "hold", 0), {"routine": "back"}))
rep = 0
while True:
    rep += 1
    store.record(Event(ev.PROGRESS, rep, Position("back", "reps", 3, 1, 1, rep, 2.5)))
    print(rep, flush=True)
"""


def test_sigkill_mid_session_loses_no_recorded_event(db: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    for _ in range(40):
        last = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    with HistoryStore.open(db) as store:
        found = store.unfinished()
    assert found is not None
    assert (found.move, found.round, found.side, found.remaining) == (3, 1, 1, 2.5)
    assert found.rep >= last  # every rep reported as saved was saved


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
