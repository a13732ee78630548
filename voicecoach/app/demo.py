"""``voicecoach demo``: a whole scripted session with a timestamped transcript.

The person's lines go through the same intent matcher as typed and spoken commands;
the clock is simulated, so the whole routine takes seconds.
"""

from __future__ import annotations

import sys
from typing import TextIO

from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import CommandIntents
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import Person
from voicecoach.voice.speaker import PrintSpeaker

STEP = 0.1  # simulated seconds per loop


def stamp(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def run_text_demo(intents: CommandIntents, out: TextIO | None = None, limit: float = 3600) -> str:
    """Play the scripted session on a simulated clock; returns the final state."""
    out = out or sys.stdout
    clock = FakeClock()
    speaker = PrintSpeaker(lambda: stamp(clock.now()), out)
    session = Session(
        find_routine, speaker, clock, options=CoachOptions(), routine_names=routine_names
    )
    coach = Coach(session)
    person = Person()
    while clock.now() < limit:
        line = person.due(session, clock.now())
        if line is not None:
            print(f"[{stamp(clock.now())}] you:   {line}", file=out)
            command = intents.match(line)
            understood = command.name if command else "(nothing)"
            print(f"[{stamp(clock.now())}] understood: {understood}", file=out)
            if command is not None:
                coach.post(command)
        coach.step(0)
        if person.done and session.state in ("finished", "stopped"):
            break
        clock.advance(STEP)
    print(f"[{stamp(clock.now())}] session {session.state}", file=out)
    return session.state
