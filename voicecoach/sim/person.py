"""The simulated person of the demo: what they say, and when.

Each line waits for a moment in the session (a state, a move, some seconds in) rather
than a fixed time, so the script holds whether the coach talks fast or slow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from voicecoach.coaching.machine import HOLDING, POSITIONING, REPPING, RESTING
from voicecoach.coaching.session import Session
from voicecoach.commands.names import HOW_LONG, NEXT, PAUSE, REPEAT, RESUME, START, STOP, WHATS_NEXT

Condition = Callable[[Session], bool]


@dataclass(frozen=True)
class Line:
    """Say ``text`` (meaning the command ``means``) once ``when`` holds and ``after`` more
    seconds have passed."""

    text: str
    means: str  # the command the person wants: what understanding the line means
    when: Condition
    after: float = 0.0
    again: tuple[str, ...] = ()  # other words to try when not understood


@dataclass
class Attempt:
    """How one scripted line went: how often it was said, and at which try it was understood."""

    line: Line
    tries: int = 1
    understood_at: int | None = None  # the try whose words were acted on as ``line.means``
    instead: list[str] = field(default_factory=list)  # other commands acted on meanwhile

    def summary(self) -> str:
        said = f"{self.line.text!r} ({self.line.means})"
        if self.understood_at is not None:
            return f"{said}: understood at try {self.understood_at}"
        line = f"{said}: NEVER understood ({self.tries} {'try' if self.tries == 1 else 'tries'})"
        if not self.instead:
            return line
        counts = Counter(self.instead)
        named = [name if n == 1 else f"{name} ({n} times)" for name, n in counts.items()]
        return f"{line}; acted on instead: {', '.join(named)}"


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
    Line("start back routine", START, _always, 1.0),
    Line("I'm ready", RESUME, _at(POSITIONING, "sky_high_stretch"), 4.0, ("ready", "let's go")),
    Line("how much longer", HOW_LONG, _at(HOLDING, "sky_high_stretch"), 5.0, ("how long is left",)),
    Line("repeat", REPEAT, _rep_at_least(3), 1.0, ("say that again", "what was that")),
    Line("next", NEXT, _rep_at_least(5), 1.0, ("next one", "move on")),  # the rest skipped
    Line("ready", RESUME, _at(POSITIONING, "knee_lift"), 4.0, ("I'm ready", "let's go")),
    Line("pause", PAUSE, _at(HOLDING, "knee_lift", 0), 12.0, ("hold on", "pause the timer")),
    Line("resume", RESUME, _always, 5.0, ("continue", "keep going")),
    Line("what's next", WHATS_NEXT, _at(RESTING, "knee_lift", 1), 2.0, ("what comes next",)),
    Line("skip", NEXT, _at(HOLDING, "knee_lift", 2), 6.0, ("next", "move on")),
    Line("stop", STOP, _rep_at_least(4), 1.0, ("stop the session", "end the session")),
    Line("continue", RESUME, _always, 3.0, ("resume", "keep going")),
)


def script_for(routine: str | None) -> tuple[Line, ...]:
    """The demo's script; with a routine chosen up front the person need not ask to start."""
    return SCRIPT if routine is None else tuple(ln for ln in SCRIPT if ln.means != START)


class Person:
    """Walks through a script, one line at a time, against a session and a clock.

    A line said waits (:attr:`waiting`) until :meth:`heard` reports its command acted on,
    or the person gives up on it; :attr:`attempts` keep how each line went.
    """

    def __init__(self, script: tuple[Line, ...] = SCRIPT) -> None:
        self.script = script
        self.index = 0
        self.attempts: list[Attempt] = []
        self.waiting: Attempt | None = None
        self._ready_at: float | None = None

    def notice(self, session: Session, now: float) -> None:
        """Watch the session: the next line's moment comes (its ``after`` counts from here)."""
        if self.index < len(self.script) and self._ready_at is None:
            line = self.script[self.index]
            if line.when(session):
                self._ready_at = now + line.after

    def due(self, session: Session, now: float) -> str | None:
        """The line to say now, if one is due (its moment came, its ``after`` passed)."""
        self.notice(session, now)
        if self._ready_at is None or now < self._ready_at:
            return None
        line = self.script[self.index]
        self.index += 1
        self._ready_at = None
        self.waiting = Attempt(line)
        self.attempts.append(self.waiting)
        return line.text

    def say_again(self) -> str:
        """The words for the next try of the line waiting: other words, if it has any."""
        assert self.waiting is not None, "nothing was said to say again"
        self.waiting.tries += 1
        line = self.waiting.line
        options = (line.text, *line.again)
        return options[(self.waiting.tries - 1) % len(options)]

    def heard(self, command: str) -> bool:
        """The coach acted on ``command`` from the person's words; True if that was what
        the line waiting meant (it then stops waiting)."""
        if self.waiting is None:
            return False
        if command != self.waiting.line.means:
            self.waiting.instead.append(command)
            return False
        self.waiting.understood_at = self.waiting.tries
        self.waiting = None
        return True

    def give_up(self) -> None:
        """Stop waiting for the line just said to be understood."""
        self.waiting = None

    @property
    def done(self) -> bool:
        """Every line was said."""
        return self.index >= len(self.script)

    @property
    def missed(self) -> list[str]:
        """The lines not understood: said in vain, or never said at all."""
        said = [a.line.text for a in self.attempts if a.understood_at is None]
        return said + [ln.text for ln in self.script[self.index :]]

    def summary(self) -> list[str]:
        """How each line went (at which try it was understood, or that it never was), and
        a tally naming the lines never understood."""
        lines = [a.summary() for a in self.attempts]
        lines += [f"{ln.text!r} ({ln.means}): never said" for ln in self.script[self.index :]]
        missed, total = self.missed, len(self.script)
        tally = f"{total - len(missed)} of {total} scripted commands understood"
        return [*lines, tally + (f"; never: {', '.join(map(repr, missed))}" if missed else "")]
