"""Where a session is in its routine: the plan, the current segment and rep, the moves
done, skipped and cut short, and the time left at this point.

:class:`voicecoach.coaching.session.Session` builds on this with the timers and the
state entries; the command handlers move it with :meth:`Course.start_plan` and
:meth:`Course.forget_from`; what the coach says is worked out from :meth:`Course.snapshot`.
"""

from __future__ import annotations

import math

from voicecoach.coaching.events import Position
from voicecoach.coaching.machine import HOLDING, PAUSED, RUNNING
from voicecoach.coaching.plan import CoachOptions, Segment, build_plan, rep_seconds
from voicecoach.coaching.talk import Snapshot
from voicecoach.routines.model import Routine


class Course:
    """The position in a routine's plan and what has been done so far."""

    state: str  # the machine's state (set by the state machine)

    def __init__(self, options: CoachOptions, now: float) -> None:
        self.options = options
        self.routine: Routine | None = None
        self.plan: list[Segment] = []
        self.seg = 0  # index into plan
        self.rep = 0  # reps finished in the current set
        self.half = 0  # which half of the current rep
        self.pace = 1.0  # rep time factor ("slower" / "faster")
        self.paused_from = ""  # the state a pause interrupted
        self.done: set[int] = set()  # moves done to the end (move indices)
        self.skipped: set[int] = set()  # moves ended early
        self.cut_short: set[int] = set()  # moves skipped out of with "next"
        self.now = now  # the session's notion of now (a deadline while catching up)
        self.started_at = 0.0
        self._deadline: float | None = None
        self._remaining = 0.0  # time left when paused
        self._cues: list[tuple[float, str]] = []  # hold cues still to come: (remaining, text)

    @property
    def segment(self) -> Segment:
        return self.plan[self.seg]

    @property
    def where(self) -> str:
        """The state, or while paused the state the pause interrupted."""
        return self.paused_from if self.state == PAUSED else self.state

    def plan_for(self, routine: Routine) -> list[Segment]:
        """``routine``'s segments with the person's timing and skipped moves."""
        return build_plan(routine, self.options.timing, self.options.skip_moves)

    def start_plan(
        self, routine: Routine, plan: list[Segment] | None = None, seg: int = 0, rep: int = 0
    ) -> None:
        """Take ``plan`` (by default :meth:`plan_for` the routine) and stand at ``seg``."""
        self.routine = routine
        self.plan = self.plan_for(routine) if plan is None else plan
        self.seg, self.rep, self.half = seg, rep, 0
        self.done, self.cut_short, self.skipped = set(), set(), set()
        self.started_at = self.now

    def first_segment(self, move_index: int) -> int:
        return next(s.index for s in self.plan if s.move_index == move_index)

    def forget_from(self, target: int) -> None:
        """Moves from segment ``target`` on count as not done yet (going back)."""
        for s in self.plan[target:]:
            self.done.discard(s.move_index)
            self.cut_short.discard(s.move_index)
            self.skipped.discard(s.move_index)

    def remaining(self) -> float:
        """Seconds left in the current hold, wait or rep phase (never negative)."""
        if self.state == PAUSED:
            return self._remaining
        if self._deadline is None:
            return 0.0
        return max(0.0, self._deadline - self.now)

    def quiet_for(self) -> float:
        """Seconds until the coach speaks again by itself: its next hold cue or timer
        (``inf`` while nothing is timed, as when paused). What is already said is not counted."""
        if self.state not in RUNNING or self._deadline is None:
            return math.inf
        left = self.remaining()
        if self.state == HOLDING:
            return min(left - at for at, _ in [*self._cues, (0.0, "")])
        return left

    def half_seconds(self) -> float:
        """Seconds per half rep of the current move, at the current pace."""
        return rep_seconds(self.segment.move, self.options.timing) * self.pace / 2

    def position(self) -> Position:
        """Where the session is now (enough to resume it)."""
        seg = self.plan[self.seg] if self.plan else None
        return Position(
            routine=self.routine.name if self.routine else "",
            state=self.where,
            move=seg.move_index if seg else 0,
            round=seg.round if seg else 0,
            side=seg.side if seg else 0,
            rep=self.rep,
            remaining=round(max(0.0, self.remaining()), 2),
        )

    @property
    def verbose(self) -> bool:
        """Full instructions, unless the person knows the routine being run."""
        return self.routine is None or self.routine.name not in self.options.known_routines

    def snapshot(self) -> Snapshot:
        """Where the session is, for what it says (see :mod:`voicecoach.coaching.talk`)."""
        reps = bool(self.plan) and self.segment.move.reps is not None
        return Snapshot(
            state=self.state,
            where=self.where,
            routine=self.routine,
            plan=tuple(self.plan),
            seg=self.seg,
            rep=self.rep,
            half=self.half,
            remaining=self.remaining(),
            half_seconds=self.half_seconds() if reps else 0.0,
            timing=self.options.timing,
            verbose=self.verbose,
            done=len(self.done),
            skipped=len(self.skipped),
            elapsed=self.now - self.started_at,
        )
