"""What the coach says, worked out from a snapshot of where the session is.

The session hands these functions a :class:`Snapshot` (a small frozen value), never
itself: the sentences depend on the position in the routine, not on how the session
keeps its timers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voicecoach.coaching.cues import (
    cue,
    hold_schedule,
    number_word,
    spoken_count,
    spoken_seconds,
)
from voicecoach.coaching.machine import ENDED, HOLDING, LEAD_INS, REPPING
from voicecoach.coaching.plan import (
    POSITION,
    REST,
    SWITCH,
    Segment,
    Timing,
    build_plan,
    total_seconds,
)
from voicecoach.routines.model import Routine


@dataclass(frozen=True)
class Snapshot:
    """Where a session is, as much as its sentences need."""

    state: str  # the machine's state
    where: str  # the state, or while paused the state the pause interrupted
    routine: Routine | None
    plan: tuple[Segment, ...]
    seg: int  # index into plan
    rep: int  # reps finished in the current set
    half: int  # which half of the current rep
    remaining: float  # seconds left in the current hold, wait or half rep
    half_seconds: float  # seconds per half rep of the current move (0 for holds)
    timing: Timing
    verbose: bool
    done: int  # moves done to the end
    skipped: int  # moves cut short
    elapsed: float  # seconds since the routine began

    @property
    def segment(self) -> Segment:
        return self.plan[self.seg]


# ----------------------------------------------------------------- describing segments
def segment_words(seg: Segment) -> str:
    """'the left side of sky-high stretch', 'round 2 of knee lift', 'pelvic tilt'."""
    name = seg.move.name.lower()
    if seg.lead_in == POSITION:
        return name
    if seg.lead_in == REST:
        return f"round {number_word(seg.round + 1)} of {name}"
    return f"the {seg.side_name or 'other'} side of {name}"


def describe_next(snap: Snapshot, sentence: bool = False) -> str:
    """What comes after the current segment, as words or as a whole sentence."""
    i = snap.seg - 1 if snap.where in LEAD_INS else snap.seg  # a lead-in leads into seg
    if i + 1 >= len(snap.plan):
        return cue("whats_next_last") if sentence else "the end of the routine"
    nxt = snap.plan[i + 1]
    if not sentence:
        return segment_words(nxt)
    if nxt.lead_in == POSITION:
        return cue("whats_next_move", move=nxt.move.name.lower(), position=nxt.move.position)
    if nxt.lead_in == REST:
        return cue("whats_next_round", round=nxt.round + 1, rounds=nxt.rounds)
    return cue("whats_next_side", side=nxt.side_name or "other")


def instructions(seg: Segment, verbose: bool) -> list[str]:
    """Position line, setup and (for a side) how to do that side."""
    move = seg.move
    lines = [cue("position", move=move.name, position=move.position)]
    if verbose or not move.short:
        lines.extend(move.setup)
    else:
        lines.append(move.short)
    if move.side_cues and move.sides == "each":
        lines.append(move.side_cues[seg.side])
    return lines


# ----------------------------------------------------------------- entering states
def intro_lines(routine: Routine, verbose: bool, safety_note: bool) -> list[str]:
    """The routine's introduction (its title once the person knows it), then the safety note."""
    lines = [routine.intro] if verbose else [routine.title + "."]
    if safety_note:
        lines.append(routine.safety)
    return lines


def positioning_lines(seg: Segment, verbose: bool) -> list[str]:
    """Getting into position for a new move."""
    key = "position_first" if seg.index == 0 else "position"
    lines = [cue(key, move=seg.move.name, position=seg.move.position)]
    lines += instructions(seg, verbose)[1:]
    if verbose and seg.index == 0:
        lines.append(cue("get_ready"))
    return lines


def switching_lines(seg: Segment) -> list[str]:
    """Changing sides within a round."""
    lines = [cue("switch_sides")]
    if seg.move.side_cues:
        lines.append(seg.move.side_cues[seg.side])
    return lines


def resting_line(seg: Segment) -> str:
    """The rest before another round."""
    more = number_word(seg.rounds - seg.round).capitalize()
    seconds = spoken_seconds(seg.lead_seconds)
    return cue("rest_round", closing=seg.move.closing, seconds=seconds, more=more)


def hold_start_line(seg: Segment, verbose: bool) -> str:
    """The start of a hold: which round or side, and for how long."""
    seconds = spoken_seconds(seg.active_seconds)
    if seg.round > 0:
        reminder = seg.move.short or (seg.move.form[0] if seg.move.form else "")
        return cue("round_start", round=seg.round + 1, rounds=seg.rounds, reminder=reminder,
                   seconds=seconds)  # fmt: skip
    if seg.side_name:
        return cue("hold_start_side", side=seg.side_name.capitalize(), seconds=seconds)
    form = seg.move.form[:1] if verbose else ()
    return " ".join([*form, cue("hold_start", seconds=seconds)])


def rep_cue(snap: Snapshot, full: bool) -> str:
    """What to say at the start of the current half rep."""
    move = snap.segment.move
    reps = move.reps
    assert reps is not None
    half = snap.half
    if move.sides == "alternate":
        side = move.side_names[half]
        body = move.side_cues[half] if (full and move.side_cues) else f"{side.capitalize()}."
    elif half == 0:
        body = reps.first if full or not reps.first_short else reps.first_short
    else:
        body = reps.second if full or not reps.second_short else reps.second_short
    if half == 0:
        return f"{cue('rep_number', n=snap.rep + 1)} {body}".strip()
    return body


def paused_line(snap: Snapshot) -> str:
    """What the coach says on pausing: how much of the hold or set is left."""
    if snap.where == HOLDING:
        return cue("paused_hold", seconds=spoken_seconds(snap.remaining))
    reps = snap.segment.move.reps if snap.plan else None
    if snap.where == REPPING and reps:
        return cue("paused_reps", rep=snap.rep, count=reps.count)
    return cue("paused")


# ----------------------------------------------------------------- time left
def _remaining_in_segment(snap: Snapshot) -> float:
    """Seconds of work left in the current segment (its lead-in included when in one)."""
    seg = snap.segment
    if snap.where in LEAD_INS:
        return snap.remaining + seg.active_seconds
    if snap.where == REPPING:
        count = seg.move.reps.count if seg.move.reps else 0
        halves_left = (count - snap.rep) * 2 - snap.half - 1
        return snap.remaining + halves_left * snap.half_seconds
    return snap.remaining


def how_long(snap: Snapshot, scope: str | None, default: Routine | None) -> str:
    """Answer 'how much longer' for the hold, the move or the whole routine.

    Before a routine runs the answer is about ``default``, the routine "start" begins.
    """
    if snap.routine is None or snap.state in ENDED:
        routine = snap.routine or default
        if routine is None:
            return cue("not_running")
        total = total_seconds(build_plan(routine, snap.timing))
        return cue("how_long_idle", title=routine.title.lower(), seconds=spoken_seconds(total))
    seg = snap.segment
    later_segments = snap.plan[seg.index + 1 :]
    in_move = _remaining_in_segment(snap) + sum(
        s.lead_seconds + s.active_seconds for s in later_segments if s.move_index == seg.move_index
    )
    later = sum(
        s.lead_seconds + s.active_seconds for s in later_segments if s.move_index != seg.move_index
    )
    if scope == "routine":
        return cue("how_long_routine", seconds=spoken_seconds(in_move + later))
    if scope == "move":
        return cue("how_long_move", seconds=spoken_seconds(in_move), move=seg.move.name.lower())
    parts = []
    if snap.where == HOLDING or (snap.where in LEAD_INS and scope == "hold"):
        what = "hold" if snap.where == HOLDING else "break"
        parts.append(cue("how_long_hold", seconds=spoken_seconds(snap.remaining), what=what))
    elif snap.where == REPPING and seg.move.reps:
        left = seg.move.reps.count - snap.rep
        parts.append(f"{spoken_count(left, 'rep').capitalize()} to go.")
    else:
        parts.append(
            cue("how_long_move", seconds=spoken_seconds(in_move), move=seg.move.name.lower())
        )
    parts.append(cue("how_long_routine", seconds=spoken_seconds(in_move + later)))
    return " ".join(parts)


# ----------------------------------------------------------------- resuming and ending
def where_words(snap: Snapshot) -> str:
    """'rep 6', 'the left side, 8 seconds left', 'round 2, 12 seconds left' for resume offers."""
    seg = snap.segment
    if snap.where == REPPING:
        return f"rep {snap.rep + 1}"
    bits = []
    if seg.side_name:
        bits.append(f"the {seg.side_name} side")
    if seg.rounds > 1:
        bits.append(f"round {seg.round + 1}")
    if snap.where == HOLDING:
        bits.append(f"{spoken_seconds(snap.remaining)} left")
    return ", ".join(bits) or "getting ready"


def crash_resume_lines(seg: Segment, verbose: bool) -> list[str]:
    """Picking up a session cut off in an earlier run: where the person was and how to set up."""
    lines = [cue("resumed_after_crash", move=seg.move.name, position=seg.move.position)]
    return lines + instructions(seg, verbose)[1:]


def summary(snap: Snapshot) -> str:
    """The closing summary: moves done, skipped, time taken, then the outro."""
    routine = snap.routine
    assert routine is not None
    text = cue(
        "summary",
        title=routine.title.lower(),
        done=spoken_count(snap.done, "move"),
        time=spoken_seconds(snap.elapsed),
        skipped="",
    )
    if snap.skipped:
        text += " " + cue("summary_skipped", skipped=spoken_count(snap.skipped, "move"))
    return f"{text} {routine.outro}".strip()


def stopped(snap: Snapshot) -> str:
    """What the coach says when the person stops the routine early."""
    done_part = cue("stopped_done", done=spoken_count(snap.done, "move")) + " " if snap.done else ""
    return cue("stopped", done_part=done_part)


def forecast(plan: Sequence[Segment], verbose: bool) -> list[str]:
    """The lines ``plan``'s segments bring, in the order they come, each once: every lead-in,
    the start of every hold or set of reps and the cues within a hold, for a voice that
    renders slowly to make while it is quiet (:meth:`voicecoach.voice.speaker.Speaker.prepare`).
    """
    lines: list[str] = []
    for seg in plan:
        if seg.lead_in == POSITION:
            lines += positioning_lines(seg, verbose)
        elif seg.lead_in == SWITCH:
            lines += switching_lines(seg)
        elif seg.lead_in == REST:
            lines.append(resting_line(seg))
        reps = seg.move.reps
        if reps is None:
            lines.append(hold_start_line(seg, verbose))
            lines += [text for _, text in hold_schedule(seg.active_seconds, seg.move.form[:1])]
        else:
            lines.append(cue("reps_start", count=reps.count))
            lines += [reps.first, reps.second, reps.first_short, reps.second_short]
    return [line for line in dict.fromkeys(lines) if line.strip()]
