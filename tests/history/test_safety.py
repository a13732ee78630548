"""The history file kept safe: damaged, locked or newer files, one recording coach at a time,
and nothing lost when the process is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from history_helpers import WallClock, full_session, pos

from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event
from voicecoach.history.db import SCHEMA_VERSION
from voicecoach.history.store import HistoryStore


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
