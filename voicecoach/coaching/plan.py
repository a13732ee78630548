"""A routine flattened into timed segments: what the session walks through.

A segment is one stretch of work (a hold, or a set of reps) on one side in one round.
What comes before it is a *lead-in*: getting into position for a new move, switching
sides, or resting between rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicecoach.routines.model import Move, Routine

POSITION = "position"  # first segment of a move: announce the position and set up
SWITCH = "switch"  # another side in the same round
REST = "rest"  # another round of the same move


@dataclass(frozen=True)
class Timing:
    """Personal adjustments to a routine's times (from settings)."""

    hold_scale: float = 1.0
    rep_pace: float = 1.0  # > 1 is slower (longer reps)
    rep_seconds: float | None = None  # overrides every move's seconds per rep
    transition_seconds: float | None = None  # overrides the routine's wait between moves
    rest_seconds: float | None = None  # overrides the rest between rounds


@dataclass(frozen=True)
class CoachOptions:
    """How this person likes to be coached (from settings)."""

    timing: Timing = field(default_factory=Timing)
    skip_moves: frozenset[str] = frozenset()
    # Routines the person knows well enough for the short cues (the rest get full instructions).
    known_routines: frozenset[str] = frozenset()
    safety_note: bool = True  # say the safety note before the first move


@dataclass(frozen=True)
class Segment:
    """One stretch of work."""

    index: int
    move_index: int
    move: Move
    round: int
    side: int  # index into move.side_names; 0 for moves without sides
    lead_in: str  # POSITION, SWITCH or REST
    lead_seconds: float
    active_seconds: float

    @property
    def side_name(self) -> str | None:
        return None if self.move.sides in ("none", "alternate") else self.move.side_names[self.side]

    @property
    def rounds(self) -> int:
        return self.move.hold.rounds if self.move.hold else 1


def hold_seconds(move: Move, timing: Timing) -> float:
    assert move.hold is not None
    return round(move.hold.seconds * timing.hold_scale, 1)


def rep_seconds(move: Move, timing: Timing) -> float:
    """Seconds for one whole rep (both halves)."""
    assert move.reps is not None
    base = move.reps.seconds if timing.rep_seconds is None else timing.rep_seconds
    return round(base * timing.rep_pace, 2)


def active_seconds(move: Move, timing: Timing) -> float:
    if move.hold is not None:
        return hold_seconds(move, timing)
    assert move.reps is not None
    return move.reps.count * rep_seconds(move, timing)


def build_plan(
    routine: Routine, timing: Timing | None = None, skip: frozenset[str] = frozenset()
) -> list[Segment]:
    """Every segment of ``routine`` in order; moves whose id or name is in ``skip`` are left out."""
    timing = timing or Timing()
    transition = (
        routine.transition_seconds
        if timing.transition_seconds is None
        else timing.transition_seconds
    )
    segments: list[Segment] = []
    for move_index, move in enumerate(routine.moves):
        if move.id in skip or move.name.lower() in skip:
            continue
        rounds = move.hold.rounds if move.hold else 1
        rest = move.hold.rest if move.hold else 0.0
        if timing.rest_seconds is not None:
            rest = timing.rest_seconds
        sides = 1 if move.sides == "alternate" else move.side_count
        for round_ in range(rounds):
            for side in range(sides):
                if round_ == 0 and side == 0:
                    lead, lead_s = POSITION, transition
                elif side == 0:
                    lead, lead_s = REST, rest
                else:
                    lead, lead_s = SWITCH, routine.switch_seconds
                segments.append(
                    Segment(
                        index=len(segments),
                        move_index=move_index,
                        move=move,
                        round=round_,
                        side=side,
                        lead_in=lead,
                        lead_seconds=lead_s,
                        active_seconds=active_seconds(move, timing),
                    )
                )
    return segments


def total_seconds(segments: list[Segment]) -> float:
    """Planned time of the whole plan: lead-ins plus work."""
    return sum(s.lead_seconds + s.active_seconds for s in segments)
