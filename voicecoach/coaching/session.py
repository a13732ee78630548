"""The coached session: the model behind the state machine in :mod:`voicecoach.coaching.machine`.

One thread owns a session. It changes only through :meth:`Session.handle` (a command)
and :meth:`Session.tick` (the clock moved). Everything it says goes to a Speaker;
everything that happens goes to an event sink (history, display).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicecoach.coaching import events as ev
from voicecoach.coaching.clock import Clock
from voicecoach.coaching.cues import cue, number_word, speech_seconds, spoken_seconds
from voicecoach.coaching.events import Event, EventSink, Position
from voicecoach.coaching.hold_cues import hold_schedule
from voicecoach.coaching.machine import (
    ENDED,
    HOLDING,
    INTRO,
    LEAD_INS,
    PAUSED,
    POSITIONING,
    REPPING,
    RESTING,
    RUNNING,
    SWITCHING,
    build_machine,
)
from voicecoach.coaching.plan import (
    POSITION,
    REST,
    SWITCH,
    Segment,
    Timing,
    build_plan,
    rep_seconds,
)
from voicecoach.errors import RoutineError
from voicecoach.routines.model import Routine
from voicecoach.voice.speaker import Speaker

log = logging.getLogger(__name__)

LEAD_STATE = {POSITION: POSITIONING, SWITCH: SWITCHING, REST: RESTING}
PACE_STEP = 1.2
PACE_BOUNDS = (0.6, 1.75)
FULL_REPS = 2  # reps that get the whole breath/side cue before the short one


@dataclass(frozen=True)
class CoachOptions:
    """How this person likes to be coached (from settings)."""

    timing: Timing = field(default_factory=Timing)
    skip_moves: frozenset[str] = frozenset()
    verbose: bool = True  # full instructions; False once the person knows the routine
    safety_note: bool = True  # say the safety note before the first move


class Session:
    """A coached routine, steered by commands and driven by clock ticks."""

    # Set by the machine (annotations only, so that transitions binds them).
    state: str
    begin: Callable[..., bool]
    lead_in: Callable[..., bool]
    work: Callable[..., bool]
    finish: Callable[..., bool]
    pause: Callable[..., bool]
    resume: Callable[..., bool]
    stop: Callable[..., bool]
    restore: Callable[..., bool]

    def __init__(
        self,
        find_routine: Callable[[str | None], Routine | None],
        speaker: Speaker,
        clock: Clock,
        *,
        options: CoachOptions | None = None,
        on_event: EventSink | None = None,
        progress: Callable[[], str] | None = None,
        routine_names: Callable[[], list[str]] | None = None,
    ) -> None:
        self.find_routine = find_routine
        self.speaker = speaker
        self.clock = clock
        self.options = options or CoachOptions()
        self.on_event = on_event
        self.progress = progress
        self.routine_names = routine_names or (lambda: [])
        self.routine: Routine | None = None
        self.plan: list[Segment] = []
        self.seg = 0  # index into plan
        self.rep = 0  # reps finished in the current set
        self.half = 0  # which half of the current rep
        self.pace = 1.0
        self.quit_requested = False
        self._t = clock.now()  # the session's notion of now (a deadline while catching up)
        self._deadline: float | None = None
        self._remaining = 0.0  # time left when paused
        self._paused_from = ""
        self._resuming = False
        self._restored = False
        self._stop_pending = False
        self._cues: list[tuple[float, str]] = []  # hold cues still to come: (remaining, text)
        self._last_second = -1
        self._hold_started = 0.0
        self._started_at = 0.0
        self._done: set[int] = set()
        self._cut_short: set[int] = set()
        self._skipped: set[int] = set()
        self.last_said = ""
        self.machine = build_machine(self)

    # ----------------------------------------------------------------- the basics
    @property
    def segment(self) -> Segment:
        return self.plan[self.seg]

    def say(self, text: str) -> None:
        if text:
            self.last_said = text
            self.speaker.say(text)

    def emit(self, kind: str, **detail: Any) -> None:
        if self.on_event is not None and self.routine is not None:
            self.on_event(Event(kind=kind, at=self._t, position=self.position(), detail=detail))

    def position(self) -> Position:
        """Where the session is now (enough to resume it)."""
        state = self._paused_from if self.state == PAUSED else self.state
        seg = self.plan[self.seg] if self.plan else None
        return Position(
            routine=self.routine.name if self.routine else "",
            state=state,
            move=seg.move_index if seg else 0,
            round=seg.round if seg else 0,
            side=seg.side if seg else 0,
            rep=self.rep,
            remaining=round(max(0.0, self.remaining()), 2),
        )

    def remaining(self) -> float:
        """Seconds left in the current hold, wait or rep phase (never negative)."""
        if self.state == PAUSED:
            return self._remaining
        if self._deadline is None:
            return 0.0
        return max(0.0, self._deadline - self._t)

    # ----------------------------------------------------------------- time
    def tick(self) -> None:
        """Catch up with the clock: expire every deadline that has passed, in order."""
        now = self.clock.now()
        while self.state in RUNNING and self._deadline is not None and self._deadline <= now:
            self._t = self._deadline
            self._expire()
        self._t = max(self._t, now)
        if self.state == HOLDING:
            self._hold_progress()

    def _expire(self) -> None:
        state = self.state
        if state == INTRO:
            self._enter_segment(0)
        elif state in LEAD_INS:
            self.work()
        elif state == HOLDING:
            self.emit(ev.HOLD_DONE, planned=self.segment.active_seconds, actual=self._held())
            self._segment_done()
        elif state == REPPING:
            self._next_half()

    def _set_timer(self, seconds: float) -> None:
        self._deadline = self._t + seconds

    # ----------------------------------------------------------------- commands
    def handle(self, name: str, slots: dict[str, str] | None = None) -> None:
        """Act on one command (see :mod:`voicecoach.commands.names` for the names)."""
        self._t = max(self._t, self.clock.now())
        slots = slots or {}
        if name != "stop":
            self._stop_pending = False
        handler = getattr(self, f"cmd_{name}", None)
        if handler is None:
            log.warning("no handler for command %s", name)
            self.say(cue("help"))
            return
        handler(slots)

    def cmd_start(self, slots: dict[str, str]) -> None:
        if self.state not in ENDED:
            if self.state == PAUSED and self._restored:
                self._start_fresh(self.routine)
                return
            assert self.routine is not None
            self.say(cue("already_running", title=self.routine.title.lower()))
            return
        name = slots.get("routine")
        try:
            routine = self.find_routine(name)
        except RoutineError as exc:
            log.warning("%s", exc)  # the file, the field and the reason, on the terminal
            self.say(cue("routine_broken", name=name or "that"))
            return
        if routine is None:
            known = ", ".join(self.routine_names()) or "none"
            self.say(cue("no_routine", name=name or "that", known=known))
            return
        self._start_fresh(routine)

    def _start_fresh(self, routine: Routine | None) -> None:
        assert routine is not None
        self.routine = routine
        self.plan = build_plan(routine, self.options.timing, self.options.skip_moves)
        self.seg = self.rep = self.half = 0
        self._done, self._cut_short, self._skipped = set(), set(), set()
        self._restored = False
        self._started_at = self._t
        if self.state == PAUSED:
            self.machine.set_state(ENDED[0], self)
        self.begin()

    def cmd_next(self, slots: dict[str, str]) -> None:
        if self._not_running():
            return
        if self.state == INTRO:
            self._enter_segment(0)
        elif self.state in LEAD_INS:
            self.work()
        else:
            self._cut_short.add(self.segment.move_index)
            if self.state == HOLDING:
                self.emit(ev.HOLD_DONE, planned=self.segment.active_seconds, actual=self._held())
            self.say(cue("skip_to", what=self._describe_next()))
            self._segment_done(quiet=True)

    def cmd_previous(self, slots: dict[str, str]) -> None:
        """Back one side or round; from a move's first part, back to the move before."""
        if self._cannot_navigate():
            return
        seg = self.segment
        if self.state == INTRO or seg.index == 0:
            self.say(cue("nothing_before"))
            self._jump(0)
            return
        if seg.lead_in == POSITION:
            target = self._first_segment(self.plan[seg.index - 1].move_index)
        else:
            target = seg.index - 1
        self.say(cue("previous", what=self._segment_words(self.plan[target])))
        self._jump(target)

    def cmd_restart(self, slots: dict[str, str]) -> None:
        if self.state == PAUSED and self._restored:
            self._start_fresh(self.routine)
            return
        if self._cannot_navigate():
            return
        if self.state == INTRO or (self.state == PAUSED and self._paused_from == INTRO):
            self._enter_segment(0)
            return
        target = self._first_segment(self.segment.move_index)
        self.say(cue("restart_move", move=self.segment.move.name.lower()))
        self._jump(target)

    def cmd_repeat(self, slots: dict[str, str]) -> None:
        if self.state in ENDED or self.routine is None:
            self.say(self.last_said or cue("nothing_to_repeat"))
            return
        state = self._paused_from if self.state == PAUSED else self.state
        seg = self.segment
        if state == INTRO:
            self.say(self.routine.intro)
        elif state in (POSITIONING, SWITCHING, RESTING):
            for line in self._instructions(seg):
                self.say(line)
        elif state == HOLDING:
            for line in self._instructions(seg):
                self.say(line)
            self.say(cue("seconds_left", seconds=spoken_seconds(self.remaining())))
        elif state == REPPING:
            self.say(self._rep_cue(full=True))
        if self.state == PAUSED:
            self.say(cue("paused"))

    def cmd_pause(self, slots: dict[str, str]) -> None:
        if slots.get("device") and self.state not in RUNNING:
            return  # the microphone went away while nothing was running
        if self.state == PAUSED:
            self.say(cue("already_paused"))
        elif self._not_running():
            return
        else:
            self.speaker.interrupt()
            self.pause()

    def cmd_resume(self, slots: dict[str, str]) -> None:
        if slots.get("device") and self.state != PAUSED:
            return  # the microphone came back; nothing was paused on its account
        if self.state == PAUSED:
            self._resuming = True
            self.resume()
        elif self.state in LEAD_INS or self.state == INTRO:
            self.cmd_next(slots)  # "I'm ready" during a wait
        elif self.state in ENDED:
            self.say(cue("not_running"))
        else:
            self.say(cue("not_paused"))

    def cmd_stop(self, slots: dict[str, str]) -> None:
        if self.state in ENDED:
            self.quit_requested = True
            return
        if not self._stop_pending:
            self._stop_pending = True
            if self.state != PAUSED:
                self.speaker.interrupt()
                self.pause(quiet=True)
            self.say(cue("stop_confirm"))
            return
        self._stop_pending = False
        self.speaker.interrupt()
        self.stop()

    def cmd_how_long(self, slots: dict[str, str]) -> None:
        from voicecoach.coaching.talk import how_long

        self.say(how_long(self, slots.get("scope")))

    def cmd_whats_next(self, slots: dict[str, str]) -> None:
        if self._not_running():
            return
        self.say(self._describe_next(sentence=True))

    def cmd_help(self, slots: dict[str, str]) -> None:
        self.say(cue("help"))
        if self.routine is not None:
            self.say(self.routine.safety)

    def cmd_slower(self, slots: dict[str, str]) -> None:
        self._change_pace(PACE_STEP)

    def cmd_faster(self, slots: dict[str, str]) -> None:
        self._change_pace(1 / PACE_STEP)

    def cmd_progress(self, slots: dict[str, str]) -> None:
        self.say(self.progress() if self.progress else cue("no_progress"))

    def _cannot_navigate(self) -> bool:
        """Going back and restarting also work while paused."""
        return self.state != PAUSED and self._not_running()

    def _not_running(self) -> bool:
        """Say why a running-only command cannot apply now; True if it cannot."""
        if self.state in ENDED:
            self.say(cue("finished_already" if self.state == "finished" else "not_running"))
            return True
        if self.state == PAUSED:
            self.say(cue("not_while_paused"))
            return True
        return False

    def _change_pace(self, factor: float) -> None:
        low, high = PACE_BOUNDS
        new = round(min(high, max(low, self.pace * factor)), 3)
        if new == self.pace:
            self.say(cue("slowest" if factor > 1 else "fastest"))
            return
        self.pace = new
        self.speaker.set_rate(min(1.3, max(0.75, 1 / new)))
        self.say(cue("slower" if factor > 1 else "faster"))

    # ----------------------------------------------------------------- navigation
    def _first_segment(self, move_index: int) -> int:
        return next(s.index for s in self.plan if s.move_index == move_index)

    def _jump(self, target: int) -> None:
        if self.plan[target].move_index != self.segment.move_index or target <= self.seg:
            self.emit(ev.MOVE_REPEATED, move=self.plan[target].move.name)
        for s in self.plan[target:]:
            self._done.discard(s.move_index)
            self._cut_short.discard(s.move_index)
            self._skipped.discard(s.move_index)
        self._enter_segment(target)

    def _enter_segment(self, index: int) -> None:
        self.seg, self.rep, self.half = index, 0, 0
        self._deadline = None
        if self.segment.lead_in == POSITION:
            self.emit(ev.MOVE_STARTED, move=self.segment.move.name)
        self.lead_in()

    def _segment_done(self, quiet: bool = False) -> None:
        seg = self.segment
        last_of_move = self.seg + 1 >= len(self.plan) or self.plan[self.seg + 1].move_index != (
            seg.move_index
        )
        if last_of_move:
            skipped = seg.move_index in self._cut_short
            (self._skipped if skipped else self._done).add(seg.move_index)
            self.emit(ev.MOVE_SKIPPED if skipped else ev.MOVE_DONE, move=seg.move.name)
            if not quiet and seg.move.closing:
                self.say(seg.move.closing)
        if self.seg + 1 >= len(self.plan):
            self._deadline = None
            self.finish()
        else:
            self._enter_segment(self.seg + 1)

    # ----------------------------------------------------------------- machine callbacks
    def lead_in_is(self, event: Any) -> bool:
        return bool(LEAD_STATE[self.segment.lead_in] == event.transition.dest)

    def segment_is_hold(self, event: Any) -> bool:
        return self.segment.move.kind == "hold"

    def resumes_to(self, event: Any) -> bool:
        return bool(event.transition.dest == self._paused_from)

    def remember_paused_state(self, event: Any) -> None:
        self._paused_from = self.state
        self._remaining = self.remaining()
        self._deadline = None

    def on_enter_intro(self, event: Any) -> None:
        assert self.routine is not None
        if self._resuming:
            return self._resume_timer(cue("resume_wait"))
        self.emit(ev.SESSION_STARTED, routine=self.routine.name)
        text = [self.routine.intro] if self.options.verbose else [self.routine.title + "."]
        if self.options.safety_note:
            text.append(self.routine.safety)
        for line in text:
            self.say(line)
        self._set_timer(2.0 + sum(speech_seconds(t) for t in text))

    def _lead_in_enter(self, lines: list[str], seconds: float) -> None:
        if self._resuming:
            return self._resume_timer(cue("resume_wait"))
        for line in lines:
            self.say(line)
        self._set_timer(seconds + sum(speech_seconds(t) for t in lines))
        self.emit(ev.PROGRESS)  # saved at once: a crash right after resumes here

    def on_enter_positioning(self, event: Any) -> None:
        seg = self.segment
        key = "position_first" if seg.index == 0 else "position"
        lines = [cue(key, move=seg.move.name, position=seg.move.position)]
        lines += self._instructions(seg)[1:]
        if self.options.verbose and seg.index == 0:
            lines.append(cue("get_ready"))
        self._lead_in_enter(lines, seg.lead_seconds)

    def on_enter_switching(self, event: Any) -> None:
        seg = self.segment
        lines = [cue("switch_sides")]
        if seg.move.side_cues:
            lines.append(seg.move.side_cues[seg.side])
        self._lead_in_enter(lines, seg.lead_seconds)

    def on_enter_resting(self, event: Any) -> None:
        seg = self.segment
        more = number_word(seg.rounds - seg.round).capitalize()
        text = cue(
            "rest_round",
            closing=seg.move.closing,
            seconds=spoken_seconds(seg.lead_seconds),
            more=more,
        )
        self._lead_in_enter([text], seg.lead_seconds)

    def on_enter_holding(self, event: Any) -> None:
        seg = self.segment
        if self._resuming:
            return self._resume_timer(cue("resume_hold", seconds=spoken_seconds(self._remaining)))
        seconds = spoken_seconds(seg.active_seconds)
        if seg.round > 0:
            reminder = seg.move.short or (seg.move.form[0] if seg.move.form else "")
            self.say(cue("round_start", round=seg.round + 1, rounds=seg.rounds, reminder=reminder,
                         seconds=seconds))  # fmt: skip
        elif seg.side_name:
            self.say(cue("hold_start_side", side=seg.side_name.capitalize(), seconds=seconds))
        else:
            form = seg.move.form[:1] if self.options.verbose else ()
            self.say(" ".join([*form, cue("hold_start", seconds=seconds)]))
        later = seg.move.form if seg.side_name else seg.move.form[1:]
        self._cues = hold_schedule(
            seg.active_seconds, later[:1] if seg.round == 0 and self.options.verbose else ()
        )
        self._hold_started = self._t
        self._last_second = -1
        self._set_timer(seg.active_seconds)
        self._hold_progress()

    def on_enter_repping(self, event: Any) -> None:
        seg = self.segment
        if self._resuming:
            count = seg.move.reps.count if seg.move.reps else 0
            text = cue("resume_reps", rep=self.rep + 1, count=count)
            return self._resume_timer(text, restart_half=True)
        assert seg.move.reps is not None
        self.say(cue("reps_start", count=seg.move.reps.count))
        self._start_half()

    def on_enter_paused(self, event: Any) -> None:
        if event.event.name == "restore":
            return
        self.emit(ev.PAUSED)
        if event.kwargs.get("quiet"):
            return
        if self._paused_from == HOLDING:
            self.say(cue("paused_hold", seconds=spoken_seconds(self._remaining)))
        elif self._paused_from == REPPING and self.segment.move.reps:
            self.say(cue("paused_reps", rep=self.rep, count=self.segment.move.reps.count))
        else:
            self.say(cue("paused"))

    def on_exit_paused(self, event: Any) -> None:
        if event.event.name == "resume":
            self.emit(ev.RESUMED)

    def on_enter_finished(self, event: Any) -> None:
        from voicecoach.coaching.talk import summary

        self._deadline = None
        self.emit(ev.SESSION_FINISHED, done=len(self._done), skipped=len(self._skipped),
                  seconds=round(self._t - self._started_at, 1))  # fmt: skip
        self.say(summary(self))

    def on_enter_stopped(self, event: Any) -> None:
        from voicecoach.coaching.talk import stopped

        self._deadline = None
        self.emit(ev.SESSION_STOPPED, done=len(self._done), skipped=len(self._skipped))
        self.say(stopped(self))

    # ----------------------------------------------------------------- pause/resume helpers
    def _resume_timer(self, text: str, restart_half: bool = False) -> None:
        self._resuming = False
        if self._restored:
            self._restored = False
            seg = self.segment
            self.say(cue("resumed_after_crash", move=seg.move.name, position=seg.move.position))
            for line in self._instructions(seg)[1:]:
                self.say(line)
        self.say(text)
        if restart_half:
            self._start_half()  # the rep count is kept; the half rep starts again
        else:
            self._set_timer(self._remaining)
        if self.state == HOLDING:
            self._cues = [c for c in self._cues if c[0] < self._remaining]
            held = self.segment.active_seconds - self._remaining
            self._hold_started = self._t - held  # pauses do not count as holding
        self.emit(ev.PROGRESS)

    def resume_from(self, routine: Routine, where: Position) -> bool:
        """Set up a session that was cut off at ``where``, paused, and offer to resume it."""
        plan = build_plan(routine, self.options.timing, self.options.skip_moves)
        wanted = (where.move, where.round, where.side)
        matches = [s for s in plan if (s.move_index, s.round, s.side) == wanted]
        if not matches or where.state not in RUNNING:
            return False
        self.routine, self.plan, self.seg = routine, plan, matches[0].index
        self.rep, self.half = where.rep, 0
        self._paused_from, self._remaining = where.state, where.remaining
        self._done = {s.move_index for s in plan[: self.seg] if s.move_index != where.move}
        self._started_at = self._t
        self._restored = True
        if where.state == HOLDING:
            self._cues = hold_schedule(self.segment.active_seconds, ())
        self.restore()
        from voicecoach.coaching.talk import where_words

        self.say(cue("offer_resume", move=self.segment.move.name, where=where_words(self)))
        return True

    # ----------------------------------------------------------------- holds and reps
    def _held(self) -> float:
        return round(self._t - self._hold_started, 2)

    def _hold_progress(self) -> None:
        left = self.remaining()
        due = [text for threshold, text in self._cues if left <= threshold]
        if due:
            self._cues = [c for c in self._cues if left > c[0]]
            self.say(due[-1])
        second = int(left)
        if second != self._last_second:
            self._last_second = second
            self.emit(ev.PROGRESS)

    def _half_seconds(self) -> float:
        return rep_seconds(self.segment.move, self.options.timing) * self.pace / 2

    def _start_half(self) -> None:
        text = self._rep_cue(full=self.rep < FULL_REPS and self.options.verbose)
        self.say(text)
        self.emit(ev.PROGRESS)
        self._set_timer(max(self._half_seconds(), speech_seconds(text)))

    def _next_half(self) -> None:
        reps = self.segment.move.reps
        assert reps is not None
        if self.half == 0:
            self.half = 1
        else:
            self.half = 0
            self.rep += 1
            if self.rep >= reps.count:
                self._segment_done()
                return
        self._start_half()

    def _rep_cue(self, full: bool) -> str:
        from voicecoach.coaching.talk import rep_cue

        return rep_cue(self, full)

    def _instructions(self, seg: Segment) -> list[str]:
        from voicecoach.coaching.talk import instructions

        return instructions(self, seg)

    def _segment_words(self, seg: Segment) -> str:
        from voicecoach.coaching.talk import segment_words

        return segment_words(seg)

    def _describe_next(self, sentence: bool = False) -> str:
        from voicecoach.coaching.talk import describe_next

        return describe_next(self, sentence)


def expected_commands(session: Session) -> frozenset[str]:
    """Commands the session is waiting for in its state: likelier to be what was said."""
    if session.state in ENDED:
        return frozenset({"start"})
    if session.state == PAUSED:
        return frozenset({"resume", "stop", "restart"})
    if session.state in LEAD_INS:
        return frozenset({"next", "resume"})
    return frozenset()
