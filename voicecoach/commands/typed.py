"""Typed mode: lines typed on the terminal are commands, through the same intent matcher."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from voicecoach.commands.intents import CommandIntents
from voicecoach.commands.names import Command
from voicecoach.voice.speaker import print_line

NOT_UNDERSTOOD = "(not a command I know: try 'help')"


def read_commands(
    post: Callable[[Command], None],
    quit_: Callable[[], None],
    intents: CommandIntents,
    stream: TextIO | None = None,
    echo: TextIO | None = None,
) -> threading.Thread:
    """Start a daemon thread that matches each typed line and hands the command to ``post``.

    "quit" or "exit" calls ``quit_``.

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
                quit_()
                return
            command = intents.match(text)
            if command is None:
                print_line(NOT_UNDERSTOOD, out)
                continue
            post(command)

    thread = threading.Thread(target=loop, name="typed-commands", daemon=True)
    thread.start()
    return thread
