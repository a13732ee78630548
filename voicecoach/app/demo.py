"""``voicecoach demo``: a whole scripted session with a timestamped transcript.

The person's lines go through the same intent matcher as typed and spoken commands;
the clock is simulated, so the whole routine takes seconds. The transcript closes with
the person's account: which scripted commands were understood, at which try, and which
never were. A demo succeeds only when the session finished *and* every one of them was
understood: a "stop" acted on as "slow down" leaves a finished session behind that
proves nothing.
"""

from __future__ import annotations

import sys
from typing import TextIO

from voicecoach.app.assemble import named_routine
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.handlers import start_fresh
from voicecoach.coaching.machine import FINISHED, STOPPED
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import CommandIntents
from voicecoach.commands.names import Command
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import Person, script_for
from voicecoach.voice.speaker import PrintSpeaker

STEP = 0.1  # simulated seconds per loop
# Once the session is over, lines still to come have this long before the demo ends
# without them: a line waiting for a move that never came would otherwise hold it open.
END_GRACE = 10.0
# What a demo returns when its session finished but a scripted command was never understood.
INCOMPLETE = "incomplete"


def stamp(seconds: float) -> str:
    """``mm:ss.s``; rounded to the tenth first, so 59.96 s is 01:00.0, never 00:60.0."""
    minutes, tenths = divmod(round(seconds * 10), 600)
    return f"{minutes:02d}:{tenths / 10:04.1f}"


def verdict(state: str, person: Person) -> str:
    """The demo's result: the session's final state, but INCOMPLETE for a finished session
    in which the person was not understood every time. Only FINISHED is a success."""
    return INCOMPLETE if state == FINISHED and person.missed else state


def closing(result: str) -> str:
    """What the demo's last line adds to the session's state for ``result``."""
    return ", but not every scripted command was understood" if result == INCOMPLETE else ""


class Ending:
    """Tells when a demo is over: its session ended and the person has said everything (and
    is not waiting to be understood), or END_GRACE seconds went by after the end."""

    def __init__(self) -> None:
        self._since: float | None = None

    def over(self, ended: bool, person: Person, now: float) -> bool:
        if not ended:
            self._since = None
            return False
        if self._since is None:
            self._since = now
        return (person.done and person.waiting is None) or now - self._since >= END_GRACE


def understood(command: Command | None, person: Person) -> str:
    """What the transcript says a line was understood as (and what was meant, if other)."""
    if command is None:
        return "(nothing)"
    meant = person.waiting.line.means if person.waiting is not None else command.name
    return command.name if meant == command.name else f"{command.name} (meant: {meant})"


def run_text_demo(
    intents: CommandIntents,
    out: TextIO | None = None,
    limit: float = 3600,
    *,
    routine: str | None = None,
    person: Person | None = None,
) -> str:
    """Play the scripted session on a simulated clock; returns :func:`verdict`.

    ``routine`` starts that routine at once, and the person does not ask for it.
    """
    out = out or sys.stdout
    clock = FakeClock()
    speaker = PrintSpeaker(lambda: stamp(clock.now()), out)
    session = Session(
        find_routine, speaker, clock, options=CoachOptions(), routine_names=routine_names
    )
    coach = Coach(session)
    person = person or Person(script_for(routine))
    if routine is not None:  # as `voicecoach run --routine` does; unknown: a UserError
        chosen = named_routine(routine)
        print(f"[{stamp(clock.now())}] demo:  starts the {chosen.name} routine", file=out)
        start_fresh(session, chosen)
    ending = Ending()
    while clock.now() < limit:
        line = person.due(session, clock.now())
        if line is not None:
            print(f"[{stamp(clock.now())}] you:   {line}", file=out)
            command = intents.match(line)
            print(f"[{stamp(clock.now())}] understood: {understood(command, person)}", file=out)
            if command is not None:
                coach.post(command)
                person.heard(command.name)
            person.give_up()  # a typed line is not typed again in other words
        coach.step(0)
        if ending.over(session.state in (FINISHED, STOPPED), person, clock.now()):
            break
        clock.advance(STEP)
    for text in person.summary():
        print(f"[{stamp(clock.now())}] summary: {text}", file=out)
    result = verdict(session.state, person)
    print(f"[{stamp(clock.now())}] session {session.state}{closing(result)}", file=out)
    return result
