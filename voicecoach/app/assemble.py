"""Putting a session together from settings, history and a speaker."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from voicecoach.app.checks import check_settings
from voicecoach.audio.playback import Player
from voicecoach.coaching import events as ev
from voicecoach.coaching import talk
from voicecoach.coaching.clock import Clock, RealClock
from voicecoach.coaching.cues import cue, fixed_cues
from voicecoach.coaching.events import Event
from voicecoach.coaching.handlers import resume_from, start_fresh
from voicecoach.coaching.plan import CoachOptions, Timing, build_plan
from voicecoach.coaching.session import Session
from voicecoach.errors import RoutineError, UserError
from voicecoach.history.store import HistoryStore
from voicecoach.history.view import progress_sentence
from voicecoach.paths import data_dir
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.routines.model import Routine
from voicecoach.settings import Settings
from voicecoach.voice.catalog import open_speaker
from voicecoach.voice.speaker import PrintSpeaker, Speaker, TeeSpeaker

log = logging.getLogger(__name__)
SAFETY_MARKER = "safety-note-given"


def coach_voice(
    settings: Settings, printer: PrintSpeaker, *, quiet: bool, device: str | None = None,
    print_only_on_failure: bool = False, player: Player | None = None,
) -> Speaker:  # fmt: skip
    """The coach's voice (Piper, else pyttsx3: :mod:`voicecoach.voice.catalog`) with the
    printed transcript beside it.

    ``quiet`` prints only. When no speech engine can start, ``print_only_on_failure``
    carries on printing (typed mode); otherwise its AudioError stops the run.
    """
    if quiet:
        return printer
    try:
        voice = open_speaker(
            settings.voice,
            rate_wpm=settings.speech_rate,
            volume=settings.volume,
            device=device,
            player=player,
        )
    except Exception as exc:  # no speech engine
        if not print_only_on_failure:
            raise
        print(f"voicecoach: speech is off ({exc}); cues are printed only", file=sys.stderr)
        return printer
    return TeeSpeaker(voice, printer)


def coach_options(
    settings: Settings, times_done: Mapping[str, int], safety_given: bool
) -> CoachOptions:
    """Map personal settings onto what the session needs.

    ``times_done``: how often each routine was done to the end (short cues once known).
    """
    timing = Timing(
        hold_scale=settings.hold_scale,
        rep_pace=settings.rep_pace,
        rep_seconds=settings.rep_seconds,
        rest_seconds=settings.rest_seconds,
        transition_seconds=settings.transition_seconds,
    )
    return CoachOptions(
        timing=timing,
        skip_moves=settings.skip_moves,
        known_routines=frozenset(
            name for name, done in times_done.items() if settings.cue_style(done) == "short"
        ),
        safety_note=not safety_given,
    )


@dataclass
class Assembled:
    """A session with the store it records into."""

    session: Session
    store: HistoryStore


def safety_given() -> bool:
    return (data_dir() / SAFETY_MARKER).exists()


def remember_safety_given() -> None:
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        (data_dir() / SAFETY_MARKER).touch()
    except OSError as exc:  # not worth stopping a session for
        log.warning("cannot remember that the safety note was given: %s", exc)


def build_session(
    settings: Settings, speaker: Speaker, clock: Clock, *, history: bool = True
) -> Assembled:
    """A ready session: history recording, verbosity and the safety note decided."""
    check_settings(settings)  # before a word is said: a bad setting is one line, exit 6
    if history and settings.history:
        store = HistoryStore.open(recording=True)
        # A fast (or slow) clock is a practice run: kept, not counted as exercise.
        store.practice = isinstance(clock, RealClock) and clock.speed != 1
    else:
        store = HistoryStore.disabled()
    notice = store.take_notice()
    if notice:
        speaker.say(notice)
    done = {name: store.times_done(name) for name in routine_names()}
    options = coach_options(settings, done, safety_given())

    def on_event(event: Event) -> None:
        if event.kind == ev.SESSION_STARTED:
            store.discard_unfinished()  # a fresh start abandons a cut-off session
            if options.safety_note:
                remember_safety_given()
        elif event.kind == ev.RESUMED and store.unfinished() is not None:
            store.resume_unfinished()  # carry on recording into the cut-off session
        store.record(event)

    session = Session(
        find_routine,
        speaker,
        clock,
        options=options,
        on_event=on_event,
        progress=lambda: progress_sentence(store),
        routine_names=routine_names,
    )
    return Assembled(session, store)


def named_routine(name: str) -> Routine:
    """The routine ``--routine NAME`` asks for; a UserError naming the choices when unknown."""
    routine = find_routine(name)  # a broken routine file: RoutineError
    if routine is None:
        raise UserError(
            f"--routine: there is no routine called {name!r} "
            f"(routines: {', '.join(routine_names())}; `voicecoach routines` lists them)"
        )
    return routine


def begin(assembled: Assembled, routine: Routine | None = None) -> None:
    """Open the session: start ``routine`` at once when one was named; otherwise offer to
    resume a cut-off session, or say the coach is ready to hear which routine."""
    if routine is not None:
        start_fresh(assembled.session, routine)
    elif not offer_resume(assembled):
        assembled.session.say(cue("ready"))
    assembled.session.speaker.prepare(said_ahead(routine))


def said_ahead(routine: Routine | None) -> list[str]:
    """What the coach will say often or soon: the fixed cues and counts, and the sentences
    and lead-ins of ``routine`` (or of the default routine), for the speaker to render
    while quiet. Once a routine starts, the session hands over its own plan's lines."""
    if routine is None:
        names = routine_names()
        try:
            routine = find_routine(names[0]) if names else None
        except RoutineError:
            routine = None
    if routine is None:
        return fixed_cues()
    lines = fixed_cues() + talk.forecast(build_plan(routine), True) + routine.sentences()
    return list(dict.fromkeys(lines))


def offer_resume(assembled: Assembled) -> bool:
    """If the last session was cut off, set it up paused and offer to resume; True if so."""
    where = assembled.store.unfinished()
    if where is None:
        return False
    try:
        routine = find_routine(where.routine)
    except RoutineError as exc:
        log.warning("cannot offer to resume: %s", exc)
        return False
    return routine is not None and resume_from(assembled.session, routine, where)
