"""The coached session: the model behind the state machine in :mod:`voicecoach.coaching.machine`.

One thread owns a session. Time moves it on through :meth:`Session.tick`; commands
reach it through :func:`voicecoach.coaching.handlers.handle`. This module holds the
timers and what happens on entering each state; the position in the routine is its
base, :class:`voicecoach.coaching.course.Course`, and the sentences come from
:mod:`voicecoach.coaching.talk`. Everything it says goes to a Speaker; everything
that happens goes to an event sink (history, display).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from voicecoach.coaching import events as ev
from voicecoach.coaching import talk
from voicecoach.coaching.clock import Clock
from voicecoach.coaching.course import Course
from voicecoach.coaching.cues import cue, hold_schedule, speech_seconds, spoken_seconds
from voicecoach.coaching.events import Event, EventSink
from voicecoach.coaching.machine import (
    HOLDING,
    INTRO,
    LEAD_INS,
    POSITIONING,
    REPPING,
    RESTING,
    RUNNING,
    SWITCHING,
    build_machine,
)  # fmt: skip
from voicecoach.coaching.plan import POSITION, REST, SWITCH, CoachOptions, Segment
from voicecoach.routines.model import Routine
from voicecoach.voice.speaker import Speaker

log = logging.getLogger(__name__)

LEAD_STATE = {POSITION: POSITIONING, SWITCH: SWITCHING, REST: RESTING}
FULL_REPS = 2  # reps that get the whole breath/side cue before the short one
RECENT_SENTENCES = 3  # what the coach may be saying now: the last few sentences it was given


class Session(Course):
    """A coached routine, driven by clock ticks and steered by command handlers."""

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
        super().__init__(options or CoachOptions(), clock.now())
        self.find_routine = find_routine
        self.speaker = speaker
        self.clock = clock
        self.on_event = on_event
        self.progress = progress
        self.routine_names = routine_names or (lambda: [])
        self.quit_requested = False
        self.resuming = False  # the next state entry continues after a pause
        self.restored = False  # set up from a session cut off in an earlier run
        self.stop_pending = False  # "stop" was said once; a second one ends the session
        self._recent: deque[str] = deque(maxlen=RECENT_SENTENCES)
        self._last_second = -1
        self._hold_started = 0.0
        self.machine = build_machine(self)

    # ----------------------------------------------------------------- the basics
    def say(self, text: str) -> None:
        if text:
            self._recent.append(text)
            self.speaker.say(text)

    @property
    def last_said(self) -> str:
        """The last sentence handed to the speaker ("" before any)."""
        return self._recent[-1] if self._recent else ""

    def recently_said(self) -> list[str]:
        """The last few sentences handed to the speaker: what the coach may be saying now
        (for the listener's own-voice guard)."""
        return list(self._recent)

    def emit(self, kind: str, **detail: Any) -> None:
        if self.on_event is not None and self.routine is not None:
            self.on_event(Event(kind=kind, at=self.now, position=self.position(), detail=detail))

    # ----------------------------------------------------------------- time
    def sync(self) -> None:
        """Bring the session's notion of now up to the clock (before acting on a command)."""
        self.now = max(self.now, self.clock.now())

    def tick(self) -> None:
        """Catch up with the clock: expire every deadline that has passed, in order."""
        now = self.clock.now()
        while self.state in RUNNING and self._deadline is not None and self._deadline <= now:
            self.now = self._deadline
            self._expire()
        self.now = max(self.now, now)
        if self.state == HOLDING:
            self._hold_progress()

    def _expire(self) -> None:
        if self.state == INTRO:
            self.enter_segment(0)
        elif self.state in LEAD_INS:
            self.work()
        elif self.state == HOLDING:
            self.hold_done()
            self.segment_done()
        elif self.state == REPPING:
            self._next_half()

    def _set_timer(self, seconds: float) -> None:
        self._deadline = self.now + seconds

    def _say_and_wait(self, lines: list[str], seconds: float) -> None:
        """Say ``lines``, then wait ``seconds`` more than they take to say."""
        for line in lines:
            self.say(line)
        self._set_timer(seconds + sum(speech_seconds(t) for t in lines))

    # ----------------------------------------------------------------- navigation
    def enter_segment(self, index: int) -> None:
        self.seg, self.rep, self.half = index, 0, 0
        self._deadline = None
        if self.segment.lead_in == POSITION:
            self.emit(ev.MOVE_STARTED, move=self.segment.move.name)
        self.lead_in()

    def hold_done(self) -> None:
        """Record the hold now ending, with how long it was really held."""
        held = round(self.now - self._hold_started, 2)
        self.emit(ev.HOLD_DONE, planned=self.segment.active_seconds, actual=held)

    def segment_done(self, quiet: bool = False) -> None:
        seg = self.segment
        last = self.seg + 1 >= len(self.plan)
        if last or self.plan[self.seg + 1].move_index != seg.move_index:
            skipped = seg.move_index in self.cut_short
            (self.skipped if skipped else self.done).add(seg.move_index)
            self.emit(ev.MOVE_SKIPPED if skipped else ev.MOVE_DONE, move=seg.move.name)
            if not quiet and seg.move.closing:
                self.say(seg.move.closing)
        if last:
            self._deadline = None
            self.finish()
        else:
            self.enter_segment(self.seg + 1)

    # ----------------------------------------------------------------- machine callbacks
    def lead_in_is(self, event: Any) -> bool:
        return bool(LEAD_STATE[self.segment.lead_in] == event.transition.dest)

    def segment_is_hold(self, event: Any) -> bool:
        return self.segment.move.kind == "hold"

    def resumes_to(self, event: Any) -> bool:
        return bool(event.transition.dest == self.paused_from)

    def remember_paused_state(self, event: Any) -> None:
        self.paused_from = self.state
        self._remaining = self.remaining()
        self._deadline = None

    def on_enter_intro(self, event: Any) -> None:
        assert self.routine is not None
        if self.resuming:
            return self._resume_timer(cue("resume_wait"))
        self.emit(ev.SESSION_STARTED, routine=self.routine.name)
        opts = self.options
        self._say_and_wait(talk.intro_lines(self.routine, self.verbose, opts.safety_note), 2.0)

    def start_plan(
        self, routine: Routine, plan: list[Segment] | None = None, seg: int = 0, rep: int = 0
    ) -> None:
        """Take the plan (see :meth:`Course.start_plan`) and hand the speaker what it brings,
        from ``seg`` on, to get ready to say."""
        super().start_plan(routine, plan, seg, rep)
        self.speaker.prepare(talk.forecast(self.plan[seg:], self.verbose))

    def _lead_in_enter(self, lines: list[str]) -> None:
        if self.resuming:
            return self._resume_timer(cue("resume_wait"))
        self._say_and_wait(lines, self.segment.lead_seconds)
        self.emit(ev.PROGRESS)  # saved at once: a crash right after resumes here

    def on_enter_positioning(self, event: Any) -> None:
        self._lead_in_enter(talk.positioning_lines(self.segment, self.verbose))

    def on_enter_switching(self, event: Any) -> None:
        self._lead_in_enter(talk.switching_lines(self.segment))

    def on_enter_resting(self, event: Any) -> None:
        self._lead_in_enter([talk.resting_line(self.segment)])

    def on_enter_holding(self, event: Any) -> None:
        seg = self.segment
        if self.resuming:
            return self._resume_timer(cue("resume_hold", seconds=spoken_seconds(self._remaining)))
        self.say(talk.hold_start_line(seg, self.verbose))
        later = seg.move.form if seg.side_name else seg.move.form[1:]
        first_round = seg.round == 0 and self.verbose
        self._cues = hold_schedule(seg.active_seconds, later[:1] if first_round else ())
        self._hold_started = self.now
        self._last_second = -1
        self._set_timer(seg.active_seconds)
        self._hold_progress()

    def on_enter_repping(self, event: Any) -> None:
        reps = self.segment.move.reps
        assert reps is not None
        if self.resuming:
            text = cue("resume_reps", rep=self.rep + 1, count=reps.count)
            return self._resume_timer(text, restart_half=True)
        self.say(cue("reps_start", count=reps.count))
        self._start_half()

    def on_enter_paused(self, event: Any) -> None:
        if event.event.name == "restore":
            return
        self.emit(ev.PAUSED)
        if not event.kwargs.get("quiet"):
            self.say(talk.paused_line(self.snapshot()))

    def on_exit_paused(self, event: Any) -> None:
        if event.event.name == "resume":
            self.emit(ev.RESUMED)

    def on_enter_finished(self, event: Any) -> None:
        self._deadline = None
        self.emit(ev.SESSION_FINISHED, done=len(self.done), skipped=len(self.skipped),
                  seconds=round(self.now - self.started_at, 1))  # fmt: skip
        self.say(talk.summary(self.snapshot()))

    def on_enter_stopped(self, event: Any) -> None:
        self._deadline = None
        self.emit(ev.SESSION_STOPPED, done=len(self.done), skipped=len(self.skipped))
        self.say(talk.stopped(self.snapshot()))

    # ----------------------------------------------------------------- resuming
    def _resume_timer(self, text: str, restart_half: bool = False) -> None:
        self.resuming = False
        if self.restored:
            self.restored = False
            for line in talk.crash_resume_lines(self.segment, self.verbose):
                self.say(line)
        self.say(text)
        if restart_half:
            self._start_half()  # the rep count is kept; the half rep starts again
        else:
            self._set_timer(self._remaining)
        if self.state == HOLDING:
            self._cues = [c for c in self._cues if c[0] < self._remaining]
            held = self.segment.active_seconds - self._remaining
            self._hold_started = self.now - held  # pauses do not count as holding
        self.emit(ev.PROGRESS)

    def restore_paused(self, remaining: float) -> None:
        """Pause where a session cut off in an earlier run was (see handlers.resume_from)."""
        self._remaining = remaining
        if self.paused_from == HOLDING:
            self._cues = hold_schedule(self.segment.active_seconds, ())
        self.restored = True
        self.restore()

    # ----------------------------------------------------------------- holds and reps
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

    def _start_half(self) -> None:
        text = talk.rep_cue(self.snapshot(), full=self.rep < FULL_REPS and self.verbose)
        self.say(text)
        self.emit(ev.PROGRESS)
        self._set_timer(max(self.half_seconds(), speech_seconds(text)))

    def _next_half(self) -> None:
        reps = self.segment.move.reps
        assert reps is not None
        if self.half == 0:
            self.half = 1
        else:
            self.half = 0
            self.rep += 1
            if self.rep >= reps.count:
                self.segment_done()
                return
        self._start_half()
