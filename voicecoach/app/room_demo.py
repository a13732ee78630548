"""``voicecoach demo``: a whole session with a simulated person, through real audio.

The person's lines are synthesized in a voice unlike the coach's and placed in a
simulated room together with the coach's own speech. That one stream goes through the
real pipeline: VAD, recognizer, intents, own-voice guard, state machine, speaker. The
room audio is written to a WAV file. ``--fast`` runs the simulated clock as fast as
the machine can (about a minute); otherwise it keeps pace with the wall clock.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from voicecoach.app.demo import stamp
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.machine import FINISHED, STOPPED, expected_commands
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import CommandIntents
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import Decision, Listener
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import Person
from voicecoach.sim.room import Room, RoomSpeaker
from voicecoach.voice import synth

CHUNK_SECONDS = 0.03
LIMIT_SECONDS = 900.0  # the routine takes about 7 minutes; a stuck demo ends
RETRY_SECONDS = 5.0  # a person who is not understood says it again
TRIES = 3


def _print(out: TextIO, at: float, who: str, text: str) -> None:
    print(f"[{stamp(at)}] {who:<11} {text}", file=out, flush=True)


def run_room_demo(
    args: argparse.Namespace, intents: CommandIntents, out: TextIO | None = None
) -> str:
    """Play the scripted session through the simulated room; returns the final state."""
    out = out or sys.stdout
    room = Room(noise_dbfs=-60.0)
    clock = FakeClock()
    recognizer = make_recognizer(
        getattr(args, "engine", None), getattr(args, "model", None), intents
    )
    speaker = RoomSpeaker(room, on_speech_start=lambda text, t: _print(out, t, "coach says:", text))
    session = Session(
        find_routine, speaker, clock, options=CoachOptions(), routine_names=routine_names
    )
    coach = Coach(session)

    pending: dict[str, float | str | int] = {}

    def show(d: Decision) -> None:
        if d.command is not None and not d.ignored:
            pending.clear()
        if d.command is None and not d.text:
            return
        _print(out, d.decided, "heard:", repr(d.text))
        if d.command is None:
            _print(out, d.decided, "understood:", "(not a command)")
        elif d.ignored:
            _print(out, d.decided, "understood:", f"{d.command.name}, ignored: {d.ignored}")
        else:
            _print(out, d.decided, "understood:", d.command.name)

    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        on_decision=show,
        expected=lambda: expected_commands(session.state),
    )
    person = Person()
    pace = not getattr(args, "fast", False)
    started = time.monotonic()
    while room.time < LIMIT_SECONDS:
        line = None
        if not speaker.is_speaking():
            if pending and room.time - float(pending["at"]) > RETRY_SECONDS:
                if int(pending["tries"]) < TRIES:
                    line = person.say_again(int(pending["tries"]))
                elif session.state == "idle":
                    _print(out, room.time, "demo", "the start was never understood; giving up")
                    break
                else:
                    _print(out, room.time, "person", "gives up on that line and carries on")
                    pending.clear()
            elif not pending:
                line = person.due(session, room.time)
        if line is not None:
            tries = int(pending.get("tries", 0)) + 1 if pending else 1
            pending.update(line=line, at=room.time, tries=tries)
            audio = synth.synthesize(line, synth.PERSON_VOICE)
            room.add(audio, room.time, label=f"person: {line}")
            _print(out, room.time, "person says:", line + (" (again)" if tries > 1 else ""))
        chunk = room.read(round(CHUNK_SECONDS * room.rate))
        listener.feed(chunk)
        clock.advance(chunk.duration)
        coach.step(0)
        if person.done and session.state in (FINISHED, STOPPED) and not speaker.is_speaking():
            break
        if pace:
            ahead = room.time - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    listener.close()
    wav = Path(getattr(args, "wav", None) or "voicecoach-demo.wav")
    room.save(wav)
    _print(out, room.time, "session", f"{session.state}; room audio written to {wav}")
    return session.state
