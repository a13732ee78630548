"""The simulated person of the demo: what they say, and when.

Each line waits for a moment in the session (a state, a move, some seconds in) rather
than a fixed time, so the script holds whether the coach talks fast or slow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.coaching.machine import HOLDING, POSITIONING, REPPING, RESTING
from voicecoach.coaching.session import Session

Condition = Callable[[Session], bool]


@dataclass(frozen=True)
class Line:
    """Say ``text`` once ``when`` holds and ``after`` more seconds have passed."""

    text: str
    when: Condition
    after: float = 0.0
    again: tuple[str, ...] = ()  # other words to try when not understood


def _at(state: str, move: str | None = None, round_: int | None = None) -> Condition:
    def check(s: Session) -> bool:
        if s.state != state or not s.plan:
            return False
        seg = s.segment
        return (move is None or seg.move.id == move) and (round_ is None or seg.round == round_)

    return check


def _rep_at_least(n: int) -> Condition:
    return lambda s: s.state == REPPING and s.rep >= n


def _always(s: Session) -> bool:
    return True


SCRIPT: tuple[Line, ...] = (
    Line("start back routine", _always, 1.0),
    Line("I'm ready", _at(POSITIONING, "sky_high_stretch"), 4.0, ("ready", "let's go")),
    Line("how much longer", _at(HOLDING, "sky_high_stretch"), 5.0, ("how long is left",)),
    Line("next", _at(POSITIONING, "pelvic_tilt"), 3.0, ("next one", "move on")),
    Line("repeat", _rep_at_least(3), 1.0, ("say that again", "what was that")),
    Line("ready", _at(POSITIONING, "knee_lift"), 4.0, ("I'm ready", "let's go")),
    Line("pause", _at(HOLDING, "knee_lift", 0), 12.0, ("hold on", "pause the timer")),
    Line("resume", _always, 5.0, ("continue", "keep going")),
    Line("what's next", _at(RESTING, "knee_lift", 1), 2.0, ("what comes next",)),
    Line("skip", _at(HOLDING, "knee_lift", 2), 6.0, ("next", "move on")),
    Line("stop", _rep_at_least(4), 1.0, ("stop the session", "end the session")),
    Line("continue", _always, 3.0, ("resume", "keep going")),
)


class Person:
    """Walks through a script, one line at a time, against a session and a clock."""

    def __init__(self, script: tuple[Line, ...] = SCRIPT) -> None:
        self.script = script
        self.index = 0
        self._ready_at: float | None = None

    def due(self, session: Session, now: float) -> str | None:
        """The line to say now, if one is due."""
        if self.index >= len(self.script):
            return None
        line = self.script[self.index]
        if self._ready_at is None:
            if not line.when(session):
                return None
            self._ready_at = now + line.after
        if now < self._ready_at:
            return None
        self.index += 1
        self._ready_at = None
        return line.text

    def say_again(self, tries: int) -> str:
        """What the person says on try ``tries + 1`` of the line just said: other words if any."""
        line = self.script[self.index - 1]
        options = (line.text, *line.again)
        return options[tries % len(options)]

    @property
    def done(self) -> bool:
        return self.index >= len(self.script)
