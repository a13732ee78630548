"""When to speak during a hold: a countdown that does not chatter."""

from __future__ import annotations

from collections.abc import Sequence

from voicecoach.coaching.cues import cue


def hold_schedule(seconds: float, form: Sequence[str] = ()) -> list[tuple[float, str]]:
    """Cues for a hold of ``seconds``, as (seconds remaining, text), latest-remaining first.

    A form reminder a quarter of the way in (long holds), "halfway", "10 seconds left"
    on long holds, and a 5-4-3-2-1 count (3-2-1 on short holds).
    """
    cues: list[tuple[float, str]] = []
    if form and seconds >= 12:
        cues.append((seconds * 0.75, form[0]))
    if seconds >= 10:
        cues.append((seconds / 2, cue("halfway")))
    if seconds >= 25:
        cues.append((10.0, cue("seconds_left", seconds="10 seconds")))
    last = 5 if seconds >= 8 else 3
    cues.extend((float(n), cue("count", n=n)) for n in range(last, 0, -1) if n < seconds)
    return sorted(cues, key=lambda c: -c[0])
