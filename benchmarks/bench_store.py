"""How long recording one event takes (each is committed to disk), and reading the summary.

Runs on a temporary database beside the real data folder, so the disk is the one used in
practice. Exits 1 when a target is missed.

    python benchmarks/bench_store.py [--events 600] [--dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from voicecoach import paths
from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.history.store import HistoryStore

# Targets: progress events come a few per second; saving must not hold up the session loop.
PROGRESS_P95_MS = 20.0
STEP_P95_MS = 30.0
SUMMARY_MS = 100.0  # recent + streak + weekly chart with a year of daily sessions


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(store: HistoryStore, event: Event) -> float:
    start = time.perf_counter()
    store.record(event)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the test database")
    args = parser.parse_args()
    base = args.dir or paths.data_dir().parent
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="voicecoach-bench-") as tmp:
        store = HistoryStore.open(Path(tmp) / "history.sqlite3")
        if not store.enabled:
            print(f"cannot open a test database: {store.problem}")
            return 1
        progress: list[float] = []
        steps: list[float] = []
        store.record(Event(ev.SESSION_STARTED, 0, Position("back", "hold", 0), {}))
        for i in range(args.events):
            p = Position("back", "reps", i // 20, rep=i % 20, remaining=3.0)
            progress.append(timed(store, Event(ev.PROGRESS, i * 0.5, p)))
            if i % 10 == 0:
                steps.append(timed(store, Event(ev.MOVE_DONE, i * 0.5, p, {"seconds": 5})))
        store.record(Event(ev.SESSION_FINISHED, args.events * 0.5, Position("back", "done", 0)))
        for _ in range(365):  # a year of history for the summary queries
            store.record(Event(ev.SESSION_STARTED, 0, Position("back", "hold", 0), {}))
            store.record(Event(ev.MOVE_DONE, 300, Position("back", "hold", 0)))
            store.record(Event(ev.SESSION_FINISHED, 600, Position("back", "done", 1)))
        start = time.perf_counter()
        store.recent(10), store.streak(), store.total_minutes(), store.weekly_minutes(8)
        summary_ms = (time.perf_counter() - start) * 1000
        store.close()
    rows = [
        ("progress event p50 ms", statistics.median(progress), None),
        ("progress event p95 ms", percentile(progress, 0.95), PROGRESS_P95_MS),
        ("move event p95 ms", percentile(steps, 0.95), STEP_P95_MS),
        ("summary queries ms", summary_ms, SUMMARY_MS),
    ]
    missed = False
    for name, value, target in rows:
        verdict = ""
        if target is not None:
            ok = value <= target
            missed |= not ok
            verdict = f"(target <= {target:g}: {'ok' if ok else 'MISSED'})"
        print(f"{name:<24} {value:8.2f} {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
