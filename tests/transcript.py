"""A subprocess's output as it arrives: for tests that watch the live coach's transcript."""

from __future__ import annotations

import re
import subprocess
import threading
import time


class Transcript:
    """The subprocess's stdout lines, each with its arrival time, read on a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append((time.monotonic(), line.rstrip("\n")))

    def mark(self) -> int:
        """The index of the next line to arrive."""
        with self._lock:
            return len(self.lines)

    def find(self, pattern: str, since: int = 0) -> str | None:
        with self._lock:
            for _, line in self.lines[since:]:
                if re.search(pattern, line):
                    return line
        return None

    def wait_for(self, pattern: str, since: int = 0, timeout: float = 10.0) -> str | None:
        """The first line from ``since`` on matching ``pattern``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find(pattern, since)
            if found is not None:
                return found
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader catch the last lines
                return self.find(pattern, since)
            time.sleep(0.02)
        return None

    def close(self) -> str:
        """After the process ended: its stderr; both pipes closed."""
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._thread.join(5)
        self.proc.stdout.close()
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        return err

    def text(self) -> str:
        with self._lock:
            return "\n".join(line for _, line in self.lines)
