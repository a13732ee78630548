"""Kill the coach with SIGKILL in the middle of a hold; the next start resumes there."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from history_helpers import recorded_steps

from voicecoach.history.store import HistoryStore

SPEED = "10"


def start_coach(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", "--text", "--quiet", "--speed", SPEED],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 60) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"never saw {pattern!r}; output:\n" + "\n".join(lines))


def finish(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait(10)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def send(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text + "\n")
    proc.stdin.flush()


@pytest.mark.slow
def test_sigkill_in_a_hold_resumes_at_that_move_round_and_side(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["VOICECOACH_CONFIG_DIR"] = str(tmp_path / "config")
    env["VOICECOACH_DATA_DIR"] = str(tmp_path / "data")
    first = start_coach(env)
    try:
        read_until(first, r"Say start back routine")
        send(first, "start back routine")
        read_until(first, r"Round 2 of 3")  # knee lift, second round, mid-hold soon after
        read_until(first, r"Halfway")
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        finish(first)
    store = HistoryStore.open(tmp_path / "data" / "history.sqlite3")
    where = store.unfinished()
    store.close()
    assert where is not None
    assert (where.move, where.round, where.side, where.state) == (2, 1, 0, "holding")
    assert 0 < where.remaining < 15

    second = start_coach(env)
    try:
        offer = read_until(second, r"Say resume, or start over")[-1]
        assert "You were on Knee lift, round 2" in offer
        send(second, "resume")
        lines = read_until(second, r"Picking up\. \d+ seconds left")
        left = int(re.search(r"Picking up\. (\d+) seconds left", lines[-1]).group(1))  # type: ignore[union-attr]
        assert abs(left - where.remaining) <= 1
        assert any("Picking up Knee lift where you left off" in line for line in lines)
        read_until(second, r"Round 3 of 3")
        send(second, "stop")
        send(second, "stop")
        read_until(second, r"Session ended")
        assert second.wait(20) == 0  # a stopped session ends the run
    finally:
        finish(second)
    db = tmp_path / "data" / "history.sqlite3"
    store = HistoryStore.open(db)
    sessions = store.recent(5)
    steps = recorded_steps(db, sessions[0].id)
    store.close()
    assert len(sessions) == 1  # the resumed run carried on the same session record
    done = [s.move for s in steps if s.kind == "move_done"]
    assert done[:2] == [0, 1]  # sky-high stretch and pelvic tilt, from before the kill
    assert sessions[0].outcome == "stopped"
