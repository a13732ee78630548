"""Typed mode: lines typed on the terminal are commands, through the same intent matcher."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from voicecoach.coaching.coach import Coach
from voicecoach.commands.intents import CommandIntents
from voicecoach.commands.names import Command
from voicecoach.voice.speaker import print_line

NOT_UNDERSTOOD = "(not a command I know: try 'help')"


def read_commands(
    coach: Coach, intents: CommandIntents, stream: TextIO | None = None, echo: TextIO | None = None
) -> threading.Thread:
    """Start a daemon thread that matches each typed line and posts the command.

    End of input posts nothing: a session keeps running on its clock (pipe commands in,
    or press Ctrl-C / type 'stop' twice to end).
    """
    source = stream or sys.stdin
    out = echo or sys.stdout

    def loop() -> None:
        for line in source:
            text = line.strip()
            if not text:
                continue
            if text.lower() in ("quit", "exit"):
                coach.quit()
                return
            command = intents.match(text)
            if command is None:
                print_line(NOT_UNDERSTOOD, out)
                continue
            coach.post(Command(command.name, dict(command.slots)))

    thread = threading.Thread(target=loop, name="typed-commands", daemon=True)
    thread.start()
    return thread
