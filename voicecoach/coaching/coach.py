"""The coordinator: one thread owns the session; everything else only posts commands.

Inputs (typed lines, the recognizer, a script) put :class:`Command` objects on the
inbox; the loop hands them to the session in order and ticks the clock between them.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

from voicecoach.coaching.handlers import handle
from voicecoach.coaching.machine import FINISHED, STOPPED
from voicecoach.coaching.session import Session
from voicecoach.commands.names import Command

log = logging.getLogger(__name__)

QUIT = Command("__quit__")


class Coach:
    """Runs a session: commands from the inbox, clock ticks in between."""

    def __init__(
        self,
        session: Session,
        *,
        tick_seconds: float = 0.05,
        on_command: Callable[[Command], None] | None = None,
        on_tick: Callable[[Session], None] | None = None,
    ) -> None:
        self.session = session
        self.inbox: queue.Queue[Command] = queue.Queue()
        self.tick_seconds = tick_seconds
        self.on_command = on_command
        self.on_tick = on_tick

    def post(self, command: Command) -> None:
        """Safe from any thread: queue a command for the session."""
        self.inbox.put(command)

    def quit(self) -> None:
        self.inbox.put(QUIT)

    def step(self, timeout: float) -> bool:
        """Handle at most one command (waiting up to ``timeout``) and tick; False to end."""
        try:
            command = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
        except queue.Empty:
            command = None
        if command is QUIT:
            return False
        if command is not None:
            if self.on_command:
                self.on_command(command)
            handle(self.session, command.name, dict(command.slots))
        self.session.tick()
        if self.on_tick:
            self.on_tick(self.session)
        return not self.session.quit_requested

    def run(self, *, exit_when_done: bool = True) -> str:
        """Loop until quit, or (with ``exit_when_done``) until the routine finishes or stops."""
        while self.step(self.tick_seconds):
            if exit_when_done and self.session.state in (FINISHED, STOPPED):
                break
        return self.session.state
