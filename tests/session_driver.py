"""Drive a session on a fake clock and keep a transcript of states and cues."""

from __future__ import annotations

from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.events import Event
from voicecoach.coaching.handlers import handle
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.voice.speaker import RecordingSpeaker


class Driver:
    """A session, a fake clock, a recording speaker, and a transcript of what happened."""

    def __init__(self, options: CoachOptions | None = None) -> None:
        self.clock = FakeClock()
        self.speaker = RecordingSpeaker()
        self.events: list[Event] = []
        self.session = Session(
            find_routine,
            self.speaker,
            self.clock,
            options=options or CoachOptions(),
            on_event=self.events.append,
            routine_names=routine_names,
        )
        self.transcript: list[str] = []
        self._heard = 0
        self._state = self.session.state

    def _note(self) -> None:
        if self.session.state != self._state:
            self._state = self.session.state
            self.transcript.append(f"{self.clock.now():6.1f} [{self._state}]")
        for text in self.speaker.said[self._heard :]:
            self.transcript.append(f"{self.clock.now():6.1f} {text}")
        self._heard = len(self.speaker.said)

    def say(self, command: str, **slots: str) -> None:
        self.transcript.append(f"{self.clock.now():6.1f} > {command}")
        handle(self.session, command, slots)
        self._note()

    def run(self, seconds: float, step: float = 0.1) -> None:
        """Tick the clock forward ``seconds`` in steps of ``step``."""
        for _ in range(round(seconds / step)):
            self.clock.advance(step)
            self.session.tick()
            self._note()

    def run_until(self, check: object, limit: float = 3600, step: float = 0.1) -> None:
        """Tick until ``check(session)`` holds."""
        start = self.clock.now()
        while not check(self.session):  # type: ignore[operator]
            assert self.clock.now() - start < limit, "condition never reached"
            self.clock.advance(step)
            self.session.tick()
            self._note()
