"""What the session reports as it goes: for history, resume and the terminal display."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

# Event kinds
SESSION_STARTED = "session_started"  # detail: routine
MOVE_STARTED = "move_started"
MOVE_DONE = "move_done"  # detail: seconds (time spent in the move)
MOVE_SKIPPED = "move_skipped"
MOVE_REPEATED = "move_repeated"  # restarted or gone back to
HOLD_DONE = "hold_done"  # detail: planned, actual (seconds held)
PAUSED = "paused"
RESUMED = "resumed"  # detail: paused_for (seconds)
PROGRESS = "progress"  # frequent: position changed (rep counted, second passed)
SESSION_FINISHED = "session_finished"  # detail: done, skipped, seconds
SESSION_STOPPED = "session_stopped"  # ended early by the person


@dataclass(frozen=True)
class Position:
    """Where a session is: enough to resume it after a crash."""

    routine: str
    state: str
    move: int  # index into the routine's moves
    round: int = 0  # index of the round (holds done several times)
    side: int = 0  # index into the move's sides (0 when it has none)
    rep: int = 0  # reps completed in the current set
    remaining: float = 0.0  # seconds left in the current hold or wait

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Position:
        return cls(**data)


@dataclass(frozen=True)
class Event:
    """One thing that happened, at session time ``at`` (seconds from the clock)."""

    kind: str
    at: float
    position: Position
    detail: dict[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    """Receives session events (history store, display)."""

    def __call__(self, event: Event, /) -> None: ...
