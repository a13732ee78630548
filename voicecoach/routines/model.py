"""Routines as data: a routine, its moves, and how each move is held or repeated."""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("none", "each", "alternate")
DEFAULT_SIDE_NAMES = ("right", "left")


@dataclass(frozen=True)
class Hold:
    """Hold a position: ``seconds`` each time, ``rounds`` times, ``rest`` seconds between."""

    seconds: float
    rounds: int = 1
    rest: float = 0.0


@dataclass(frozen=True)
class Reps:
    """Paced repetitions; each rep has two halves with their own (breath) cue."""

    count: int
    seconds: float  # per rep, both halves together
    first: str = ""  # cue for the first half (e.g. the exhale)
    second: str = ""  # cue for the second half (e.g. the inhale)
    first_short: str = ""  # what to say on later reps, once the cue is known
    second_short: str = ""


@dataclass(frozen=True)
class Move:
    """One exercise of a routine."""

    id: str
    name: str
    position: str
    setup: tuple[str, ...]
    hold: Hold | None = None
    reps: Reps | None = None
    sides: str = "none"
    side_names: tuple[str, ...] = DEFAULT_SIDE_NAMES
    side_cues: tuple[str, ...] = ()  # one per side: how to do it on that side
    form: tuple[str, ...] = ()
    closing: str = ""
    short: str = ""  # a one-line reminder once the person knows the move

    @property
    def kind(self) -> str:
        return "hold" if self.hold is not None else "reps"

    @property
    def side_count(self) -> int:
        return 1 if self.sides == "none" else len(self.side_names)


@dataclass(frozen=True)
class Routine:
    """A named list of moves with what the coach says around them."""

    name: str
    title: str
    intro: str
    safety: str
    moves: tuple[Move, ...]
    transition_seconds: float = 8.0
    switch_seconds: float = 4.0
    source: str = "<built-in>"
    outro: str = ""

    def sentences(self) -> list[str]:
        """What the routine itself gives the coach to say, in the order it comes."""
        said = [self.intro, self.safety]
        for move in self.moves:
            said += [*move.setup, *move.side_cues, *move.form, move.closing, move.short]
            if move.reps is not None:
                r = move.reps
                said += [r.first, r.second, r.first_short, r.second_short]
        said.append(self.outro)
        return [text for text in dict.fromkeys(t.strip() for t in said) if text]
