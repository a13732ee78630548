"""A terminal display for whoever glances over: the move, a progress bar, what was heard.

It redraws one status line in place on a terminal and stays silent otherwise; the
session never needs it. Everything else printed while it shows (cues, what was heard,
warnings) goes through :meth:`Display.lines`, which clears the status line first and
draws it again below the new line: without that, a cue printed after the status line
ran on in the same terminal row.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import TextIO, cast

from voicecoach.coaching.machine import HOLDING, REPPING
from voicecoach.coaching.session import Session
from voicecoach.recognition.listener import Decision
from voicecoach.voice.speaker import print_line

BAR = 20
CLEAR = "\r\033[K"  # back to the start of the row and erase it


def progress_bar(done: float, total: float, width: int = BAR) -> str:
    """``[#####-----]`` for ``done`` out of ``total``."""
    share = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = round(share * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def status_line(session: Session, heard: str = "") -> str:
    """One line: state, move, bar, and the last thing heard."""
    if not session.plan:
        return f"{session.state:<11} {heard}".rstrip()
    seg = session.segment
    parts = [f"{session.state:<11}", seg.move.name]
    if session.state == HOLDING:
        left = session.remaining()
        parts.append(f"{progress_bar(seg.active_seconds - left, seg.active_seconds)} {left:4.0f}s")
    elif session.state == REPPING and seg.move.reps:
        count = seg.move.reps.count
        parts.append(
            f"{progress_bar(session.rep, count)} rep {min(session.rep + 1, count)}/{count}"
        )
    if heard:
        parts.append(f"| {heard}")
    return "  ".join(parts)


class Display:
    """Draws the status line on a terminal (``out``), nothing when it is not one."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.enabled = self.out.isatty()
        self._heard = ""
        self._last = ""
        self._shown = False  # the status line is on the terminal's current row
        self._midline = False  # a line was begun through lines() and not yet ended
        self._lock = threading.RLock()  # the coach's thread draws, others print lines

    def lines(self, stream: TextIO | None = None) -> TextIO:
        """A stream for whole lines to ``stream`` (default ``out``) that keeps clear of
        the status line: it is erased before a line is written and drawn again after."""
        return cast(TextIO, _LinesAround(self, stream or self.out))

    def heard(self, decision: Decision) -> None:
        if decision.command is None:
            why = decision.rejected or "not a command"
            self._heard = f'heard "{decision.text}" ({why})' if decision.text else ""
        elif decision.ignored:
            self._heard = f'heard "{decision.text}" ({decision.ignored})'
        else:
            self._heard = f'heard "{decision.text}" -> {decision.command.name}'
        if not self.enabled and self._heard:
            print_line(self._heard, self.out)

    def update(self, session: Session) -> None:
        if not self.enabled:
            return
        line = status_line(session, self._heard)[:120]
        with self._lock:
            if line != self._last or not self._shown:
                self._last = line
                self._draw()

    def close(self) -> None:
        with self._lock:
            if self.enabled and self._shown:
                print(file=self.out, flush=True)
                self._shown = False

    def _draw(self) -> None:
        if self._last and not self._midline:
            self.out.write(CLEAR + self._last)
            self.out.flush()
            self._shown = True

    def _write_around(self, stream: TextIO, text: str) -> None:
        """Write ``text`` to ``stream`` with the status line out of its way."""
        with self._lock:
            if self._shown:
                self.out.write(CLEAR)
                self.out.flush()
                self._shown = False
            stream.write(text)
            stream.flush()
            if text:
                self._midline = not text.endswith("\n")
            if self.enabled:
                self._draw()


class _LinesAround(io.TextIOBase):
    """The writable text stream :meth:`Display.lines` hands out."""

    def __init__(self, display: Display, stream: TextIO) -> None:
        super().__init__()
        self._display = display
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._display._write_around(self._stream, text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()
