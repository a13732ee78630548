"""``voicecoach run``: the live coach on a microphone and a speaker.

Threads: the microphone's audio callback only queues chunks (in :mod:`voicecoach.audio.mic`);
a listener thread runs VAD and recognition and posts commands; the main thread owns
the session (:class:`voicecoach.coaching.coach.Coach`); pyttsx3 speaks from its own thread.
Every line printed during the session goes through the display, so that none lands on
the terminal row of its status line.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import TextIO

from voicecoach.app.assemble import begin, build_session, coach_voice, named_routine
from voicecoach.app.checks import session_settings
from voicecoach.app.demo import stamp
from voicecoach.app.display import Display
from voicecoach.audio.mic import DeviceLost, MicrophoneSource
from voicecoach.coaching.clock import RealClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.handlers import handle
from voicecoach.coaching.machine import RUNNING, expected_commands
from voicecoach.commands.intents import load_intents
from voicecoach.commands.names import PAUSE, RESUME, Command
from voicecoach.commands.typed import read_commands
from voicecoach.errors import AudioError
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import Listener
from voicecoach.routines.library import routine_names
from voicecoach.voice.speaker import PrintSpeaker

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
# Pause and resume on the device's account: they act only on a running / paused session.
DEVICE_LOST = Command(PAUSE, {"device": "lost"})
DEVICE_BACK = Command(RESUME, {"device": "back"})


def listen(
    mic: MicrophoneSource,
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
    mic = MicrophoneSource(getattr(args, "input", None)).open()  # no microphone: AudioError
    clock = RealClock(getattr(args, "speed", 1.0))
    display = Display()
    printer = PrintSpeaker(lambda: stamp(clock.now()), display.lines())
    quiet = getattr(args, "quiet", False)
    speaker = coach_voice(settings, printer, quiet=quiet, device=getattr(args, "output", None))
    assembled = build_session(settings, speaker, clock)
    recognizer = make_recognizer(
        getattr(args, "engine", None), getattr(args, "model", None), intents
    )
    coach = Coach(assembled.session, on_tick=display.update)
    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        on_decision=display.heard,
        expected=lambda: expected_commands(assembled.session.state),
        coach_words=assembled.session.recently_said,
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
        mic.close()
        thread.join(timeout=1.0)
        if not thread.is_alive():
            listener.close()  # its decoding thread; a listener still feeding keeps it
        speaker.close()
        assembled.store.close()
        display.close()
    return 0
