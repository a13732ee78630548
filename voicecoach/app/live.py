"""``voicecoach run``: the live coach on a microphone and a speaker.

Threads: the sound stream's callback only queues chunks (in :mod:`voicecoach.audio.duplex`,
or :mod:`voicecoach.audio.mic` on the plain path); a listener thread takes the coach's echo
out, runs VAD and recognition and posts commands; the main thread owns the session
(:class:`voicecoach.coaching.coach.Coach`); the voice renders and plays on its own threads.
Every line printed during the session goes through the display, so that none lands on
the terminal row of its status line.

The person can talk over the coach: the microphone and the loudspeaker run as one duplex
stream, so what was played is known beside what was heard, and
:class:`voicecoach.audio.echo.EchoRemover` takes the coach's voice out before the listener
hears it; then every command is heard while the coach speaks (:data:`ECHO_REMOVED`). When
that cannot be (``--no-echo-cancel``, ``--quiet``, no libspeexdsp, devices that will not
run as one stream), one line says so and the plain path is used: the microphone alone, and
over the coach only pause and stop (:data:`PLAIN_MIC`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TextIO

from voicecoach.app.assemble import begin, build_session, coach_voice, named_routine
from voicecoach.app.checks import session_settings
from voicecoach.app.demo import stamp
from voicecoach.app.display import Display
from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.duplex import DuplexAudio
from voicecoach.audio.echo import EchoRemover, speexdsp
from voicecoach.audio.mic import DeviceLost, MicrophoneSource
from voicecoach.audio.playback import Player
from voicecoach.coaching.clock import RealClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.handlers import handle
from voicecoach.coaching.machine import RUNNING, expected_commands
from voicecoach.commands.intents import load_intents
from voicecoach.commands.names import PAUSE, RESUME, Command
from voicecoach.commands.typed import read_commands
from voicecoach.errors import AudioError
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import Decision, Listener, OverCoach, over_coach_for
from voicecoach.routines.library import routine_names
from voicecoach.voice.speaker import PrintSpeaker

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
# Pause and resume on the device's account: they act only on a running / paused session.
DEVICE_LOST = Command(PAUSE, {"device": "lost"})
DEVICE_BACK = Command(RESUME, {"device": "back"})


@dataclass
class Ears:
    """What the listener hears through: the duplex stream and the echo remover, or the
    plain microphone. ``player`` is what the coach's voice plays through (None: its own
    output stream); ``over_coach`` what may be acted on over the coach's voice."""

    source: DuplexAudio | MicrophoneSource
    remover: EchoRemover | None = None

    @property
    def player(self) -> Player | None:
        return self.source if isinstance(self.source, DuplexAudio) else None

    def over_coach(self, start: float) -> OverCoach:
        """Every command over the coach once the remover has learned the room (the first
        seconds of the coach talking); only pause and stop before, or without one."""
        return over_coach_for(self.remover, start)

    def kept_db(self, start: float, end: float) -> float | None:
        """What the echo remover left of what was heard then (None without one)."""
        return None if self.remover is None else self.remover.kept_db(start, end)

    def log_hearing(self, decision: Decision) -> None:
        """Log (``-v``) what the echo remover made of a hearing: how much of it was left
        and how much of the coach's echo it takes out lately."""
        if self.remover is not None and decision.text:
            kept = self.remover.kept_db(decision.start, decision.end)
            erle = self.remover.erle_db
            log.info(
                "heard %r at %.1f-%.1f s: %s dB of it left; echo %s dB down (%s)",
                decision.text,
                decision.start,
                decision.end,
                "?" if kept is None else f"{kept:.1f}",
                "?" if erle is None else f"{erle:.1f}",
                "settled" if self.remover.settled else "not settled",
            )

    def open(self) -> None:
        """Open the devices again (after they were lost): a new stream, a new delay."""
        self.source.open()
        if self.remover is not None and isinstance(self.source, DuplexAudio):
            self.remover.close()
            self.remover = EchoRemover(delay=self.source.latency)

    def close(self) -> None:
        self.source.close()

    def __iter__(self) -> Iterator[AudioChunk]:
        """The microphone's chunks, the coach's echo taken out when it can be."""
        if isinstance(self.source, MicrophoneSource):
            yield from self.source
            return
        for heard, played in self.source:
            yield heard if self.remover is None else self.remover.process(heard, played)


def open_ears(
    microphone: str | None, speaker: str | None, *, cancel: bool, err: TextIO | None = None
) -> Ears:
    """The duplex stream with an echo remover when ``cancel`` and it can be had (else one
    line on ``err`` saying why not, and the plain microphone); AudioError when there is
    no microphone at all."""
    if cancel:
        try:
            speexdsp()  # a missing library is said before the devices are opened
            duplex = DuplexAudio(microphone, speaker).open()
        except AudioError as exc:
            print(
                f"voicecoach: echo cancellation is off ({exc}); over the coach's voice "
                "only pause and stop are heard",
                file=err or sys.stderr,
            )
        else:
            return Ears(duplex, EchoRemover(delay=duplex.latency))  # a first guess at it
    return Ears(MicrophoneSource(microphone).open())


class Source(Protocol):
    """Where the listener thread reads chunks: :class:`Ears`, or a stand-in in tests."""

    def open(self) -> object: ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[AudioChunk]: ...


def listen(
    mic: Source,
    listener: Listener,
    coach: Coach,
    stop: threading.Event,
    err: TextIO | None = None,
) -> None:
    """Listener thread: chunks to commands; on a lost device, pause and reopen every second.

    What it has to tell the person goes to ``err`` (default: standard error).
    """
    lost = False
    while not stop.is_set():
        try:
            if lost:
                mic.open()
                print("voicecoach: the microphone is back; carrying on.", file=err or sys.stderr)
                coach.post(DEVICE_BACK)
                lost = False
            for chunk in mic:
                if stop.is_set():
                    return
                listener.feed(chunk)
        except (DeviceLost, AudioError) as exc:
            if not lost:
                print(f"voicecoach: {exc}; pausing until it is back.", file=err or sys.stderr)
                coach.post(DEVICE_LOST)
                lost = True
            mic.close()
            stop.wait(RETRY_SECONDS)


def run_live(args: argparse.Namespace) -> int:
    """Listen on the microphone and coach by voice until the routine ends or Ctrl-C.

    Reads ``args.routine`` (start it at once) and ``args.voice`` (the coach's voice) as
    ``voicecoach run --text`` does, besides the device and recognizer options.
    """
    settings = session_settings(getattr(args, "voice", None))  # checked, as run --text does
    named = getattr(args, "routine", None)
    routine = named_routine(named) if named else None  # before the microphone: a typo fails fast
    intents = load_intents(getattr(args, "intents", None), routine_names())
    quiet = getattr(args, "quiet", False)
    cancel = not quiet and not getattr(args, "no_echo_cancel", False)
    output = getattr(args, "output", None)
    mic = open_ears(getattr(args, "input", None), output, cancel=cancel)  # none: AudioError
    clock = RealClock(getattr(args, "speed", 1.0))
    display = Display()
    printer = PrintSpeaker(lambda: stamp(clock.now()), display.lines())
    speaker = coach_voice(settings, printer, quiet=quiet, device=output, player=mic.player)
    assembled = build_session(settings, speaker, clock)
    recognizer = make_recognizer(
        getattr(args, "engine", None), getattr(args, "model", None), intents
    )
    coach = Coach(assembled.session, on_tick=display.update)

    def heard(decision: Decision) -> None:
        mic.log_hearing(decision)
        display.heard(decision)

    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        on_decision=heard,
        expected=lambda: expected_commands(assembled.session.state),
        coach_words=assembled.session.recently_said,
        over_coach=mic.over_coach,
        kept_db=mic.kept_db,
    )
    stop = threading.Event()
    err = display.lines(sys.stderr)
    thread = threading.Thread(target=listen, args=(mic, listener, coach, stop, err), daemon=True)
    begin(assembled, routine)
    thread.start()
    # Typed commands work too (e.g. while the microphone is away).
    read_commands(coach.post, coach.quit, intents, echo=display.lines())
    try:
        coach.run()
    except KeyboardInterrupt:
        if assembled.session.state in RUNNING:
            handle(assembled.session, PAUSE)  # the place is kept for next time
        raise
    finally:
        stop.set()
        speaker.close()  # what it still has to say plays out, through the stream if shared
        mic.close()
        thread.join(timeout=1.0)
        if not thread.is_alive():
            listener.close()  # its decoding thread; a listener still feeding keeps it
        assembled.store.close()
        display.close()
    return 0
