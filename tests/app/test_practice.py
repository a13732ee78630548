"""A session on a fast or slow clock is kept as practice, and cue detail follows each routine."""

from __future__ import annotations

import pytest

from voicecoach.app.assemble import build_session
from voicecoach.coaching import events as ev
from voicecoach.coaching.clock import FakeClock, RealClock
from voicecoach.coaching.events import Event, Position
from voicecoach.coaching.handlers import handle
from voicecoach.history.store import HistoryStore
from voicecoach.routines.library import find_routine
from voicecoach.settings import Settings
from voicecoach.voice.speaker import RecordingSpeaker


@pytest.mark.parametrize(("speed", "practice"), [(1.0, False), (20.0, True), (0.5, True)])
def test_a_session_on_a_changed_clock_is_recorded_as_practice(speed: float, practice: bool) -> None:
    built = build_session(Settings(), RecordingSpeaker(), RealClock(speed))
    handle(built.session, "start", {})
    built.store.close()
    with HistoryStore.open() as store:
        [session] = store.recent(1)
        assert session.practice is practice
        assert store.session_count(practice=True) == int(practice)


def finished_sessions(routine: str, times: int) -> None:
    with HistoryStore.open() as store:
        for _ in range(times):
            where = Position(routine, "hold", 0)
            store.record(Event(ev.SESSION_STARTED, 0, where, {"routine": routine}))
            store.record(Event(ev.SESSION_FINISHED, 60, where))


def intro_said(settings: Settings) -> bool:
    speaker = RecordingSpeaker()
    built = build_session(settings, speaker, FakeClock())
    handle(built.session, "start", {})
    built.store.close()
    return find_routine("back").intro in speaker.said  # type: ignore[union-attr]


def test_full_instructions_until_this_routine_is_known() -> None:
    settings = Settings(verbosity="auto", full_sessions=2)
    finished_sessions("neck", 5)  # another routine, done often, teaches nothing about this one
    assert intro_said(settings)
    finished_sessions("back", 2)
    assert not intro_said(settings)
