"""One recording coach at a time: an advisory lock beside the history file.

Two coaches recording into one history would both offer (and write into) the same
cut-off session. The first coach holds an exclusive ``flock`` on ``<history>.lock``
for as long as it runs; a second one cannot take it and runs with history off. The
lock is the kernel's: it goes with the process, so a crash never leaves it behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Held(Exception):
    """Another process holds the lock; the message names it when it can."""


class RunLock:
    """An exclusive lock on a file, held until :meth:`release` or the process ends."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def take(cls, path: Path) -> RunLock:
        """Take the lock on ``path`` without waiting; Held when another process has it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise Held(f"process {holder} is recording a session" if holder else "") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return cls(fd)

    def release(self) -> None:
        """Let the next coach record; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock
