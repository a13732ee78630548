"""``voicecoach demo``: a whole session with a simulated person, through real audio.

The person's lines are synthesized in a voice unlike the coach's and placed in a
simulated room together with the coach's own speech. That one stream goes through the
real pipeline: VAD, recognizer, intents, own-voice guard, state machine, speaker. The
room audio is written to a WAV file. ``--fast`` runs the simulated clock as fast as
the machine can (about a minute); otherwise it keeps pace with the wall clock.

The microphone hears the coach too: in the back routine the listener decides on the
coach's own cues 64 times, turning each down or ignoring it as it should (``voicecoach
-v demo --fast``), against 18 hearings of the person. Shown as ``heard: 'repeat'`` /
``understood: (not a command)`` they read like commands refused and drown the person's
twelve lines. The room knows who spoke when, so the transcript leaves out what the person
did not say and nobody acted on; ``-v`` (the global flag) shows them, marked as the
coach's own voice. A hearing acted on is always shown, whoever said it.

It ends with the person's account (each scripted command understood at which try, or
never) and returns :func:`voicecoach.app.demo.verdict`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

import numpy as np

from voicecoach.app.assemble import named_routine
from voicecoach.app.demo import Ending, closing, stamp, verdict
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.handlers import start_fresh
from voicecoach.coaching.machine import FINISHED, STOPPED, expected_commands
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import CommandIntents
from voicecoach.commands.names import START
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import Decision, Listener
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import Person, script_for
from voicecoach.sim.room import Placement, Room, RoomSpeaker
from voicecoach.voice import synth

CHUNK_SECONDS = 0.03
LIMIT_SECONDS = 900.0  # the routine takes about 7 minutes; a stuck demo ends
RETRY_SECONDS = 5.0  # a person who is not understood says it again
TRIES = 3
PERSON_GAP = 0.8  # seconds of the coach's silence ahead that a person waits for to speak
OWN_VOICE = "the coach's own voice"
VOICED = 300  # |sample| above which the person's audio is speech, not espeak-ng's padding


def _voiced(placed: Placement, rate: int) -> tuple[float, float]:
    """Room seconds from the first to the last loud sample of a placed sound."""
    loud = np.flatnonzero(np.abs(placed.samples.astype(np.int32)) > VOICED)
    if not len(loud):
        return placed.start / rate, placed.start / rate
    return (placed.start + int(loud[0])) / rate, (placed.start + int(loud[-1]) + 1) / rate


def _print(out: TextIO, at: float, who: str, text: str) -> None:
    print(f"[{stamp(at)}] {who:<11} {text}", file=out, flush=True)


class Transcript:
    """The demo's transcript: what the person says, and what the listener made of it.

    ``spoken`` holds the room seconds of the person's speech, to tell their hearings from
    the coach's own voice; the person is told what was acted on from their words.
    """

    def __init__(self, out: TextIO, person: Person, *, verbose: bool = False) -> None:
        self.out = out
        self.person = person
        self.verbose = verbose
        self.spoken: list[tuple[float, float]] = []

    def said(self, text: str, start: float, end: float, again: bool) -> None:
        self.spoken.append((start, end))
        _print(self.out, start, "person says:", text + (" (again)" if again else ""))

    def by_person(self, d: Decision) -> bool:
        """Whether the hearing's speech overlaps the person's."""
        return any(d.start < end and d.end > start for start, end in self.spoken)

    def decision(self, d: Decision) -> None:
        """Show a decision (or not), and tell the person what was acted on from their words."""
        acted = d.command is not None and not d.ignored
        mine = self.by_person(d)
        meant = self.person.waiting.line.means if mine and self.person.waiting else None
        if mine and d.command is not None and not d.ignored:
            self.person.heard(d.command.name)
        if not d.text or (not mine and not acted and not self.verbose):
            return
        _print(self.out, d.decided, "heard:", repr(d.text) + ("" if mine else f" ({OWN_VOICE})"))
        _print(self.out, d.decided, "understood:", self._understood(d, meant))

    @staticmethod
    def _understood(d: Decision, meant: str | None) -> str:
        if d.command is None:
            return f"nothing ({d.rejected or 'not a command'})"
        if d.ignored:
            return f"{d.command.name}, ignored: {d.ignored}"
        if meant is not None and meant != d.command.name:
            return f"{d.command.name} (meant: {meant})"
        return d.command.name


def run_room_demo(
    args: argparse.Namespace,
    intents: CommandIntents,
    out: TextIO | None = None,
    *,
    person: Person | None = None,
) -> str:
    """Play the scripted session through the simulated room; returns the demo's verdict
    (:func:`voicecoach.app.demo.verdict`: FINISHED only if every line was understood).

    Reads ``args.engine``, ``model``, ``fast``, ``wav``, ``verbose`` (show the coach's own
    voice heard), ``routine`` (start it at once) and ``voice`` (the coach's voice setting: a
    Piper or an espeak-ng voice id), each optional.
    """
    out = out or sys.stdout
    routine: str | None = getattr(args, "routine", None)
    room = Room(noise_dbfs=-60.0)
    clock = FakeClock()
    recognizer = make_recognizer(
        getattr(args, "engine", None), getattr(args, "model", None), intents
    )
    speaker = RoomSpeaker(
        room,
        voice=getattr(args, "voice", None),
        on_speech_start=lambda text, t: _print(out, t, "coach says:", text),
    )
    session = Session(
        find_routine, speaker, clock, options=CoachOptions(), routine_names=routine_names
    )
    coach = Coach(session)
    person = person or Person(script_for(routine))
    transcript = Transcript(out, person, verbose=bool(getattr(args, "verbose", False)))
    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        on_decision=transcript.decision,
        expected=lambda: expected_commands(session.state),
        coach_words=session.recently_said,
    )
    if routine is not None:  # as `voicecoach run --routine` does; unknown: a UserError
        chosen = named_routine(routine)
        _print(out, room.time, "demo", f"starts the {chosen.name} routine")
        start_fresh(session, chosen)
    pace = not getattr(args, "fast", False)
    started = time.monotonic()
    said_at = 0.0
    ending = Ending()
    while room.time < LIMIT_SECONDS:
        line = None
        waiting = person.waiting
        if waiting is None:
            person.notice(session, room.time)  # a moment noticed now, said in a pause
        # Like a person on a mat, speak in a pause: not while the coach talks, nor just as
        # it is about to (over its voice only pause and stop get through, for now).
        if not speaker.is_speaking() and session.quiet_for() >= PERSON_GAP:
            if waiting is None:
                line = person.due(session, room.time)
            elif room.time - said_at > RETRY_SECONDS:
                if waiting.tries < TRIES:
                    line = person.say_again()
                elif waiting.line.means == START:
                    _print(out, room.time, "demo", "the start was never understood; giving up")
                    break
                else:
                    _print(out, room.time, "person", "gives up on that line and carries on")
                    person.give_up()
        if line is not None:
            said_at = room.time
            audio = synth.synthesize(line, synth.PERSON_VOICE)
            placed = room.add(audio, room.time, label=f"person: {line}")
            assert person.waiting is not None
            again = person.waiting.tries > 1
            transcript.said(line, *_voiced(placed, room.rate), again)
        chunk = room.read(round(CHUNK_SECONDS * room.rate))
        listener.feed(chunk)
        clock.advance(chunk.duration)
        coach.step(0)
        ended = session.state in (FINISHED, STOPPED) and not speaker.is_speaking()
        if ending.over(ended, person, room.time):
            break
        if pace:
            ahead = room.time - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    listener.close()
    wav = Path(getattr(args, "wav", None) or "voicecoach-demo.wav")
    room.save(wav)
    for text in person.summary():
        _print(out, room.time, "summary", text)
    result = verdict(session.state, person)
    _print(out, room.time, "session", f"{session.state}{closing(result)}")
    _print(out, room.time, "room audio", f"written to {wav}")
    return result
