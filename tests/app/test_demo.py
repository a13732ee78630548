"""The demos: a closing account of every scripted command, and an exit code that tells."""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from speech import needs_espeak

from voicecoach.app import room_demo
from voicecoach.app.demo import INCOMPLETE, run_text_demo, stamp
from voicecoach.app.room_demo import OWN_VOICE, Transcript, run_room_demo
from voicecoach.audio.chunk import AudioChunk, Samples
from voicecoach.cli.main import main
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.machine import HOLDING, PAUSED
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.commands.names import NEXT, PAUSE, RESUME, SLOWER, STOP, Command
from voicecoach.errors import UserError
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import LOW_CONFIDENCE, Decision, Rejection
from voicecoach.recognition.recognizer import Recognition, Recognizer
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import SCRIPT, Line, Person
from voicecoach.voice import synth
from voicecoach.voice.speaker import RecordingSpeaker


class StopHeardAsSlowDown(CommandIntents):
    """The shipped intents, except that every way of saying stop is taken for "slow down"."""

    def match(self, text: str) -> Command | None:
        command = super().match(text)
        return Command(SLOWER) if command is not None and command.name == STOP else command


def intents() -> CommandIntents:
    return load_intents(None, routine_names())


def mishearing() -> StopHeardAsSlowDown:
    shipped = intents()
    return StopHeardAsSlowDown(shipped.intents, shipped.slot_lists, shipped.source)


def test_the_text_demo_closes_with_every_command_understood_at_the_first_try() -> None:
    out = io.StringIO()
    assert run_text_demo(intents(), out) == "finished"
    lines = out.getvalue().splitlines()
    assert lines[-1].endswith("] session finished")
    summary = [line.split("summary: ", 1)[1] for line in lines if "] summary: " in line]
    assert summary[0] == "'start back routine' (start): understood at try 1"
    assert summary[-1] == "12 of 12 scripted commands understood"
    assert all(line.endswith("understood at try 1") for line in summary[:-1]), summary


def test_a_stop_heard_as_slow_down_fails_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("voicecoach.cli.run.load_intents", lambda *args: mishearing())
    assert main(["demo", "--text"]) == 1  # the session finished, but "stop" never got through
    lines = capsys.readouterr().out.splitlines()
    assert any(line.endswith("understood: slower (meant: stop)") for line in lines)
    assert "summary: 'stop' (stop): NEVER understood (1 try); acted on instead: slower" in (
        "\n".join(lines)
    )
    assert lines[-2].endswith("summary: 11 of 12 scripted commands understood; never: 'stop'")
    assert lines[-1].endswith("session finished, but not every scripted command was understood")


def test_a_session_that_never_starts_is_no_success() -> None:
    out = io.StringIO()
    nothing = load_intents(None, ())  # "back" is no routine name: the start matches nothing
    assert run_text_demo(nothing, out, limit=30) == "idle"
    text = out.getvalue()
    assert "'start back routine' (start): NEVER understood (1 try)" in text
    assert "'continue' (resume): never said" in text
    assert text.splitlines()[-1].endswith("] session idle")


def test_lines_still_to_come_when_the_session_is_over_do_not_hold_the_demo_open() -> None:
    out = io.StringIO()
    never = Line("next", NEXT, lambda s: False)
    assert run_text_demo(intents(), out, person=Person((*SCRIPT, never))) == INCOMPLETE
    lines = out.getvalue().splitlines()
    assert lines[-1] == "[06:08.8] session finished, but not every scripted command was understood"
    assert lines[-2].endswith("12 of 13 scripted commands understood; never: 'next'")
    assert lines[-3].endswith("summary: 'next' (next): never said")


def test_a_routine_named_up_front_starts_without_being_asked_for() -> None:
    out = io.StringIO()
    assert run_text_demo(intents(), out, routine="back") == "finished"
    lines = out.getvalue().splitlines()
    assert lines[0] == "[00:00.0] demo:  starts the back routine"
    assert not any("you:   start" in line for line in lines)
    assert "summary: 11 of 11 scripted commands understood" in lines[-2]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0, "00:00.0"), (59.96, "01:00.0"), (61.04, "01:01.0"), (600.0, "10:00.0")],
)
def test_stamps_round_to_the_tenth_without_a_sixtieth_second(seconds: float, shown: str) -> None:
    assert stamp(seconds) == shown


def test_an_unknown_routine_is_a_user_mistake() -> None:
    with pytest.raises(UserError, match="no routine called 'nope'"):
        run_text_demo(intents(), io.StringIO(), routine="nope")


# ------------------------------------------------------------- the room demo's view
def decision(text: str, start: float, command: str | None = None, *, ignored: str = "") -> Decision:
    name = Command(command) if command else None
    rejected: Rejection | None = None if command else LOW_CONFIDENCE
    return Decision(text, name, 0.5, start, start + 0.6, start + 0.8, 5.0, ignored, rejected)


def always(session: Session) -> bool:
    return True


def idle_session() -> Session:
    return Session(find_routine, RecordingSpeaker(), FakeClock(), routine_names=routine_names)


def transcript(verbose: bool) -> tuple[Transcript, Person, io.StringIO]:
    out = io.StringIO()
    person = Person((Line("stop", STOP, always),))
    view = Transcript(out, person, verbose=verbose)
    return view, person, out


@pytest.mark.parametrize("verbose", [False, True])
def test_the_coachs_own_voice_is_left_out_unless_verbose_and_marked_then(verbose: bool) -> None:
    view, person, out = transcript(verbose)
    view.decision(decision("repeat", 3.0))  # the coach's cue, heard and turned down
    view.decision(decision("slow down", 4.0, SLOWER, ignored="the coach was speaking"))
    own = [
        f"heard:      'repeat' ({OWN_VOICE})",
        "understood: nothing (low confidence)",
        f"heard:      'slow down' ({OWN_VOICE})",
        "understood: slower, ignored: the coach was speaking",
    ]
    assert [line[10:] for line in out.getvalue().splitlines()] == (own if verbose else [])
    view.decision(decision("pause", 5.0, PAUSE))  # acted on: shown, whoever said it
    assert out.getvalue().splitlines()[-2:] == [
        f"[00:05.8] heard:      'pause' ({OWN_VOICE})",
        "[00:05.8] understood: pause",
    ]
    assert person.attempts == []  # nothing the person said


def test_the_persons_words_are_shown_and_told_to_the_person() -> None:
    view, person, out = transcript(verbose=False)
    assert person.due(idle_session(), 0.0) == "stop"
    view.said("stop", 10.0, 10.5, again=False)
    view.decision(decision("slow down", 10.1, SLOWER))
    view.decision(decision("stop", 10.2, STOP))
    assert out.getvalue().splitlines() == [
        "[00:10.0] person says: stop",
        "[00:10.9] heard:      'slow down'",
        "[00:10.9] understood: slower (meant: stop)",
        "[00:11.0] heard:      'stop'",
        "[00:11.0] understood: stop",
    ]
    assert person.attempts[0].instead == [SLOWER] and person.attempts[0].understood_at == 1


# ------------------------------------------------------------- the room demo, whole
QUICK = """\
name: quick
title: Quick routine
intro: Hello.
safety: Go gently.
moves:
  - id: plank
    name: Plank
    position: on your elbows
    setup: Elbows under shoulders.
    hold: {seconds: 20}
"""


@dataclass
class MishearsStop:
    """The real recognizer, except that whatever it hears as a stop becomes "slow down"."""

    inner: Recognizer
    heard: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sample_rate = self.inner.sample_rate
        self.engine = self.inner.engine
        self.intents = self.inner.intents

    def recognize(self, samples: Samples) -> Recognition:
        result = self.inner.recognize(samples)
        command = self.intents.match(result.text)
        if command is not None and command.name == STOP:
            self.heard.append(result.text)
            return Recognition("slow down", accepted=True, confidence=0.95)
        return result


@pytest.mark.slow
@needs_espeak
def test_the_room_demo_fails_when_a_scripted_command_is_never_understood(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routines = tmp_path / "config" / "routines"
    routines.mkdir(parents=True)
    (routines / "quick.yaml").write_text(QUICK)
    recognizers: list[MishearsStop] = []

    def make(engine: str | None, model: Path | None, intents: CommandIntents) -> MishearsStop:
        recognizers.append(MishearsStop(make_recognizer(engine, model, intents)))
        return recognizers[-1]

    monkeypatch.setattr(room_demo, "make_recognizer", make)
    voices: list[tuple[str, str]] = []
    real_synthesize = synth.synthesize

    def synthesize(
        text: str, voice: str = synth.COACH_VOICE, *args: int, **kwargs: Any
    ) -> AudioChunk:
        voices.append((text, voice))
        return real_synthesize(text, voice, *args, **kwargs)

    monkeypatch.setattr(synth, "synthesize", synthesize)
    person = Person(
        (
            Line("pause", PAUSE, lambda s: s.state == HOLDING, 2.0, ("hold on",)),
            Line("stop", STOP, lambda s: s.state == PAUSED, 2.0, ("stop the session",)),
            Line("resume", RESUME, always, 1.0, ("continue",)),
        )
    )
    args = argparse.Namespace(fast=True, wav=tmp_path / "room.wav", routine="quick", voice="en-gb")
    out = io.StringIO()
    assert run_room_demo(args, intents(), out, person=person) == INCOMPLETE
    text = out.getvalue()
    assert recognizers[0].heard, text  # "stop" was heard, and taken for "slow down"
    # (How many of the three tries PocketSphinx itself takes for "slower" varies.)
    assert "'stop' (stop): NEVER understood (3 tries); acted on instead: slower (" in text
    assert "'pause' (pause): understood at try" in text and "'resume' (resume)" in text
    assert "session     finished, but not every scripted command was understood" in text
    assert text.splitlines()[0].endswith("demo        starts the quick routine")
    coach = {voice for said, voice in voices if said not in ("pause", "hold on", "stop",
             "stop the session", "resume", "continue")}  # fmt: skip
    assert coach == {"en-gb"}  # --voice reaches the coach's voice in the room
    assert (tmp_path / "room.wav").stat().st_size > 0
    assert OWN_VOICE not in text  # not without -v
