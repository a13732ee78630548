"""A terminal display for whoever glances over: the move, a progress bar, what was heard.

It redraws one status line in place on a terminal and stays silent otherwise; the
session never needs it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from voicecoach.coaching.machine import HOLDING, REPPING
from voicecoach.coaching.session import Session
from voicecoach.recognition.listener import Decision
from voicecoach.voice.speaker import print_line

BAR = 20


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

    def heard(self, decision: Decision) -> None:
        if decision.command is None:
            self._heard = f'heard "{decision.text}" (not a command)' if decision.text else ""
        elif decision.ignored:
            self._heard = f'heard "{decision.text}" ({decision.ignored})'
        else:
            self._heard = f'heard "{decision.text}" -> {decision.command.name}'
        if not self.enabled and self._heard:
            print_line(self._heard, self.out)

    def update(self, session: Session) -> None:
        if not self.enabled:
            return
        line = status_line(session, self._heard)
        if line != self._last:
            self._last = line
            print("\r\033[K" + line[:120], end="", file=self.out, flush=True)

    def close(self) -> None:
        if self.enabled and self._last:
            print(file=self.out)
