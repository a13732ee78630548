"""Sentences the session builds from its position: summaries, time left, what's next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecoach.coaching.cues import cue, number_word, speech_seconds, spoken_count, spoken_seconds
from voicecoach.coaching.machine import HOLDING, LEAD_INS, PAUSED, REPPING
from voicecoach.coaching.plan import POSITION, REST, Segment

if TYPE_CHECKING:
    from voicecoach.coaching.session import Session


def segment_words(seg: Segment) -> str:
    """'the left side of sky-high stretch', 'round 2 of knee lift', 'pelvic tilt'."""
    name = seg.move.name.lower()
    if seg.lead_in == POSITION:
        return name
    if seg.lead_in == REST:
        return f"round {number_word(seg.round + 1)} of {name}"
    return f"the {seg.side_name or 'other'} side of {name}"


def describe_next(session: Session, sentence: bool = False) -> str:
    """What comes after the current segment, as words or as a whole sentence."""
    plan, i = session.plan, session.seg
    state = session._paused_from if session.state == PAUSED else session.state
    if state in LEAD_INS:
        i -= 1  # in a lead-in, what comes next is the segment being led into
    if i + 1 >= len(plan):
        return cue("whats_next_last") if sentence else "the end of the routine"
    nxt = plan[i + 1]
    if not sentence:
        return segment_words(nxt)
    if nxt.lead_in == POSITION:
        return cue("whats_next_move", move=nxt.move.name.lower(), position=nxt.move.position)
    if nxt.lead_in == REST:
        return cue("whats_next_round", round=nxt.round + 1, rounds=nxt.rounds)
    return cue("whats_next_side", side=nxt.side_name or "other")


def instructions(session: Session, seg: Segment) -> list[str]:
    """Position line, setup and (for a side) how to do that side."""
    move = seg.move
    lines = [cue("position", move=move.name, position=move.position)]
    if session.options.verbose or not move.short:
        lines.extend(move.setup)
    else:
        lines.append(move.short)
    if move.side_cues and move.sides == "each":
        lines.append(move.side_cues[seg.side])
    return lines


def rep_cue(session: Session, full: bool) -> str:
    """What to say at the start of the current half rep."""
    move = session.segment.move
    reps = move.reps
    assert reps is not None
    half = session.half
    if move.sides == "alternate":
        side = move.side_names[half]
        body = move.side_cues[half] if (full and move.side_cues) else f"{side.capitalize()}."
    elif half == 0:
        body = reps.first if full or not reps.first_short else reps.first_short
    else:
        body = reps.second if full or not reps.second_short else reps.second_short
    if half == 0:
        return f"{cue('rep_number', n=session.rep + 1)} {body}".strip()
    return body


def _remaining_in_segment(session: Session) -> float:
    """Seconds of work left in the current segment (its lead-in included when in one)."""
    seg = session.segment
    state = session._paused_from if session.state == PAUSED else session.state
    left = session.remaining()
    if state in LEAD_INS:
        return left + seg.active_seconds
    if state == REPPING:
        count = seg.move.reps.count if seg.move.reps else 0
        halves_left = (count - session.rep) * 2 - session.half - 1
        return left + halves_left * session._half_seconds()
    return left


def how_long(session: Session, scope: str | None) -> str:
    """Answer 'how much longer' for the hold, the move or the whole routine."""
    routine = session.routine or session.find_routine(None)
    if session.routine is None or session.state in ("idle", "finished", "stopped"):
        if routine is None:
            return cue("not_running")
        from voicecoach.coaching.plan import build_plan, total_seconds

        total = total_seconds(build_plan(routine, session.options.timing))
        return cue("how_long_idle", title=routine.title.lower(), seconds=spoken_seconds(total))
    seg = session.segment
    state = session._paused_from if session.state == PAUSED else session.state
    in_move = _remaining_in_segment(session) + sum(
        s.lead_seconds + s.active_seconds
        for s in session.plan[seg.index + 1 :]
        if s.move_index == seg.move_index
    )
    later = sum(
        s.lead_seconds + s.active_seconds
        for s in session.plan[seg.index + 1 :]
        if s.move_index != seg.move_index
    )
    if scope == "routine":
        return cue("how_long_routine", seconds=spoken_seconds(in_move + later))
    if scope == "move":
        return cue("how_long_move", seconds=spoken_seconds(in_move), move=seg.move.name.lower())
    parts = []
    if state == HOLDING or (state in LEAD_INS and scope == "hold"):
        what = "hold" if state == HOLDING else "break"
        parts.append(cue("how_long_hold", seconds=spoken_seconds(session.remaining()), what=what))
    elif state == REPPING and seg.move.reps:
        left = seg.move.reps.count - session.rep
        parts.append(f"{spoken_count(left, 'rep').capitalize()} to go.")
    else:
        parts.append(
            cue("how_long_move", seconds=spoken_seconds(in_move), move=seg.move.name.lower())
        )
    parts.append(cue("how_long_routine", seconds=spoken_seconds(in_move + later)))
    return " ".join(parts)


def where_words(session: Session) -> str:
    """'rep 6', 'the left side, 8 seconds left', 'round 2, 12 seconds left' for resume offers."""
    seg = session.segment
    if session._paused_from == REPPING:
        return f"rep {session.rep + 1}"
    bits = []
    if seg.side_name:
        bits.append(f"the {seg.side_name} side")
    if seg.rounds > 1:
        bits.append(f"round {seg.round + 1}")
    if session._paused_from == HOLDING:
        bits.append(f"{spoken_seconds(session.remaining())} left")
    return ", ".join(bits) or "getting ready"


def _moves_words(n: int) -> str:
    return spoken_count(n, "move")


def summary(session: Session) -> str:
    """The closing summary: moves done, skipped, time taken, then the outro."""
    routine = session.routine
    assert routine is not None
    skipped = len(session._skipped)
    text = cue(
        "summary",
        title=routine.title.lower(),
        done=_moves_words(len(session._done)),
        time=spoken_seconds(session._t - session._started_at),
        skipped="",
    )
    if skipped:
        text += " " + cue("summary_skipped", skipped=_moves_words(skipped))
    return f"{text} {routine.outro}".strip()


def stopped(session: Session) -> str:
    done = len(session._done)
    done_part = cue("stopped_done", done=_moves_words(done)) + " " if done else ""
    return cue("stopped", done_part=done_part)


__all__ = ["describe_next", "how_long", "instructions", "rep_cue", "speech_seconds", "summary"]
