"""What each command does to a session: a table keyed by the command names.

Commands arrive on the coordinator's thread (:mod:`voicecoach.coaching.coach`) and go
through :func:`handle`, which looks the name up in :data:`HANDLERS`. A handler may say
why a command does not apply now (e.g. "next" while paused) rather than ignore it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from voicecoach.coaching import events as ev
from voicecoach.coaching import talk
from voicecoach.coaching.cues import cue, spoken_seconds
from voicecoach.coaching.events import Position
from voicecoach.coaching.machine import (
    ENDED,
    FINISHED,
    HOLDING,
    INTRO,
    LEAD_INS,
    PAUSED,
    REPPING,
    RUNNING,
)  # fmt: skip
from voicecoach.coaching.plan import POSITION
from voicecoach.coaching.session import Session
from voicecoach.commands import names
from voicecoach.errors import RoutineError
from voicecoach.routines.model import Routine
from voicecoach.voice.speaker import clamp_rate

log = logging.getLogger(__name__)

Slots = dict[str, str]
Handler = Callable[[Session, Slots], None]
PACE_STEP = 1.2
PACE_BOUNDS = (0.6, 1.75)


def handle(session: Session, name: str, slots: Slots | None = None) -> None:
    """Act on one command (see :mod:`voicecoach.commands.names`).

    A command said while the coach talks cuts it off first (barge-in): what it was saying
    is no longer what the person wants to hear, and the answer comes at once. A change of
    device (a slot ``device``) is no one's words and cuts nothing off.
    """
    if not (slots or {}).get("device") and session.speaker.is_speaking():
        session.speaker.interrupt()
    session.sync()
    if name != names.STOP:
        session.stop_pending = False
    handler = HANDLERS.get(name)
    if handler is None:
        log.warning("no handler for command %s", name)
        session.say(cue("help"))
        return
    handler(session, slots or {})


# ----------------------------------------------------------------- moving through the plan
def start_fresh(session: Session, routine: Routine) -> None:
    """Begin ``routine`` from its first move (also from a paused, restored session)."""
    session.start_plan(routine)
    session.restored = False
    if session.state == PAUSED:
        session.machine.set_state(ENDED[0], session)
    session.begin()


def jump(session: Session, target: int) -> None:
    """Go to segment ``target`` (back, or the start of this move); later moves count again."""
    plan = session.plan
    if plan[target].move_index != session.segment.move_index or target <= session.seg:
        session.emit(ev.MOVE_REPEATED, move=plan[target].move.name)
    session.forget_from(target)
    session.enter_segment(target)


def resume_from(session: Session, routine: Routine, where: Position) -> bool:
    """Set up a session that was cut off at ``where``, paused, and offer to resume it."""
    plan = session.plan_for(routine)
    wanted = (where.move, where.round, where.side)
    matches = [s for s in plan if (s.move_index, s.round, s.side) == wanted]
    if not matches or where.state not in RUNNING:
        return False
    session.start_plan(routine, plan, seg=matches[0].index, rep=where.rep)
    session.done = {s.move_index for s in plan[: session.seg] if s.move_index != where.move}
    session.paused_from = where.state
    session.restore_paused(where.remaining)
    where_words = talk.where_words(session.snapshot())
    session.say(cue("offer_resume", move=session.segment.move.name, where=where_words))
    return True


def _not_running(session: Session) -> bool:
    """Say why a running-only command cannot apply now; True if it cannot."""
    if session.state in ENDED:
        session.say(cue("finished_already" if session.state == FINISHED else "not_running"))
        return True
    if session.state == PAUSED:
        session.say(cue("not_while_paused"))
        return True
    return False


def _cannot_navigate(session: Session) -> bool:
    """Going back and restarting also work while paused."""
    return session.state != PAUSED and _not_running(session)


# ----------------------------------------------------------------- the commands
def start(session: Session, slots: Slots) -> None:
    if session.state not in ENDED:
        if session.state == PAUSED and session.restored:
            assert session.routine is not None
            start_fresh(session, session.routine)
            return
        assert session.routine is not None
        session.say(cue("already_running", title=session.routine.title.lower()))
        return
    name = slots.get("routine")
    try:
        routine = session.find_routine(name)
    except RoutineError as exc:
        log.warning("%s", exc)  # the file, the field and the reason, on the terminal
        session.say(cue("routine_broken", name=name or "that"))
        return
    if routine is None:
        known = ", ".join(session.routine_names()) or "none"
        session.say(cue("no_routine", name=name or "that", known=known))
        return
    start_fresh(session, routine)


def next_(session: Session, slots: Slots) -> None:
    if _not_running(session):
        return
    if session.state == INTRO:
        session.enter_segment(0)
    elif session.state in LEAD_INS:
        session.work()
    else:
        session.cut_short.add(session.segment.move_index)
        if session.state == HOLDING:
            session.hold_done()
        session.say(cue("skip_to", what=talk.describe_next(session.snapshot())))
        session.segment_done(quiet=True)


def previous(session: Session, slots: Slots) -> None:
    """Back one side or round; from a move's first part, back to the move before."""
    if _cannot_navigate(session):
        return
    seg = session.segment
    if session.state == INTRO or seg.index == 0:
        session.say(cue("nothing_before"))
        jump(session, 0)
        return
    if seg.lead_in == POSITION:
        target = session.first_segment(session.plan[seg.index - 1].move_index)
    else:
        target = seg.index - 1
    session.say(cue("previous", what=talk.segment_words(session.plan[target])))
    jump(session, target)


def restart(session: Session, slots: Slots) -> None:
    if session.state == PAUSED and session.restored:
        assert session.routine is not None
        start_fresh(session, session.routine)
        return
    if _cannot_navigate(session):
        return
    if session.where == INTRO:
        session.enter_segment(0)
        return
    target = session.first_segment(session.segment.move_index)
    session.say(cue("restart_move", move=session.segment.move.name.lower()))
    jump(session, target)


def repeat(session: Session, slots: Slots) -> None:
    if session.state in ENDED or session.routine is None:
        session.say(session.last_said or cue("nothing_to_repeat"))
        return
    snap = session.snapshot()
    where = snap.where
    if where == INTRO:
        session.say(session.routine.intro)
    elif where in (*LEAD_INS, HOLDING):
        for line in talk.instructions(snap.segment, snap.verbose):
            session.say(line)
        if where == HOLDING:
            session.say(cue("seconds_left", seconds=spoken_seconds(snap.remaining)))
    elif where == REPPING:
        session.say(talk.rep_cue(snap, full=True))
    if session.state == PAUSED:
        session.say(cue("paused"))


def pause(session: Session, slots: Slots) -> None:
    if slots.get("device") and session.state not in RUNNING:
        return  # the microphone went away while nothing was running
    if session.state == PAUSED:
        session.say(cue("already_paused"))
    elif not _not_running(session):
        session.speaker.interrupt()
        session.pause()


def resume(session: Session, slots: Slots) -> None:
    if slots.get("device") and session.state != PAUSED:
        return  # the microphone came back; nothing was paused on its account
    if session.state == PAUSED:
        session.resuming = True
        session.resume()
    elif session.state in LEAD_INS or session.state == INTRO:
        next_(session, slots)  # "I'm ready" during a wait
    elif session.state in ENDED:
        session.say(cue("not_running"))
    else:
        session.say(cue("not_paused"))


def stop(session: Session, slots: Slots) -> None:
    if session.state in ENDED:
        session.quit_requested = True
        return
    if not session.stop_pending:
        session.stop_pending = True
        if session.state != PAUSED:
            session.speaker.interrupt()
            session.pause(quiet=True)
        session.say(cue("stop_confirm"))
        return
    session.stop_pending = False
    session.speaker.interrupt()
    session.stop()


def how_long(session: Session, slots: Slots) -> None:
    default = session.routine or session.find_routine(None)
    session.say(talk.how_long(session.snapshot(), slots.get("scope"), default))


def whats_next(session: Session, slots: Slots) -> None:
    if not _not_running(session):
        session.say(talk.describe_next(session.snapshot(), sentence=True))


def help_(session: Session, slots: Slots) -> None:
    session.say(cue("help"))
    if session.routine is not None:
        session.say(session.routine.safety)


def _change_pace(session: Session, factor: float) -> None:
    low, high = PACE_BOUNDS
    new = round(min(high, max(low, session.pace * factor)), 3)
    if new == session.pace:
        session.say(cue("slowest" if factor > 1 else "fastest"))
        return
    session.pace = new
    session.speaker.set_rate(clamp_rate(1 / new))
    session.say(cue("slower" if factor > 1 else "faster"))


def slower(session: Session, slots: Slots) -> None:
    _change_pace(session, PACE_STEP)


def faster(session: Session, slots: Slots) -> None:
    _change_pace(session, 1 / PACE_STEP)


def progress(session: Session, slots: Slots) -> None:
    session.say(session.progress() if session.progress else cue("no_progress"))


HANDLERS: dict[str, Handler] = {
    names.START: start,
    names.NEXT: next_,
    names.PREVIOUS: previous,
    names.REPEAT: repeat,
    names.PAUSE: pause,
    names.RESUME: resume,
    names.RESTART: restart,
    names.STOP: stop,
    names.HOW_LONG: how_long,
    names.WHATS_NEXT: whats_next,
    names.HELP: help_,
    names.SLOWER: slower,
    names.FASTER: faster,
    names.PROGRESS: progress,
}
