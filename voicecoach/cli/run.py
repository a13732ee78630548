"""``voicecoach run``, ``demo`` and ``diagram``: the coached session itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicecoach.app.assemble import begin, build_session, coach_voice, named_routine
from voicecoach.app.checks import session_settings
from voicecoach.app.demo import run_text_demo, stamp
from voicecoach.app.live import run_live
from voicecoach.app.room_demo import run_room_demo
from voicecoach.audio.devices import find_device
from voicecoach.coaching.clock import RealClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.machine import mermaid_diagram
from voicecoach.commands.intents import load_intents
from voicecoach.commands.typed import read_commands
from voicecoach.errors import AudioError
from voicecoach.recognition.engines import ENGINES
from voicecoach.routines.library import routine_names
from voicecoach.voice.speaker import PrintSpeaker

MAX_SPEED = 1000.0  # a clock faster than this only skips cues


NO_MICROPHONE_ADVICE = (
    "to go on without one, type commands (`voicecoach run --text`), watch a scripted session "
    "(`voicecoach demo`), or pick a device with --input (`voicecoach devices` lists them)"
)


def speed(text: str) -> float:
    """``--speed``: a clock speed above 0 (a usage mistake otherwise: exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give more than 0, at most "
                                         f"{MAX_SPEED:g} (1 = real time)")  # fmt: skip
    return value


def _session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--intents", type=Path, help="a hassil intents YAML file to use")
    parser.add_argument("--routine", metavar="NAME", help="start this routine at once")
    parser.add_argument("--voice", help="the coach's voice (`voicecoach voices` lists them)")
    _recognizer_options(parser)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a coached session (the default command)")
    run.add_argument("--text", action="store_true", help="type commands instead of speaking")
    run.add_argument(
        "--speed", type=speed, default=1.0,
        help="clock speed (2 = twice as fast; a changed clock is recorded as practice)",
    )  # fmt: skip
    run.add_argument("--quiet", action="store_true", help="print cues without speaking them")
    _session_options(run)
    run.add_argument("--input", help="microphone: a device index or part of its name")
    run.add_argument("--output", help="speaker: a device index or part of its name")
    run.add_argument(
        "--no-echo-cancel", action="store_true",
        help="do not take the coach's voice out of the microphone (then over it only pause "
        "and stop are heard); for headphones, or to compare",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="play a whole scripted session")
    demo.add_argument("--text", action="store_true", help="typed lines, no audio (instant)")
    demo.add_argument("--fast", action="store_true", help="run the clock as fast as possible")
    demo.add_argument("--wav", type=Path, help="where to write the room audio")
    _session_options(demo)
    demo.set_defaults(func=cmd_demo)
    start = sub.add_parser("start", help="live session, or the demo when there is no microphone")
    start.set_defaults(func=cmd_start)
    diagram = sub.add_parser("diagram", help="print the session state machine (mermaid)")
    diagram.set_defaults(func=cmd_diagram)


def _recognizer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="speech recognizer (default: whisper; pocketsphinx if it cannot load)",
    )
    parser.add_argument("--model", type=Path, help="the engine's model directory (Vosk, Whisper)")


def cmd_run(args: argparse.Namespace) -> int:
    if not args.text:
        try:
            find_device(args.input, "input")
        except AudioError as exc:
            raise AudioError(f"{exc}; {NO_MICROPHONE_ADVICE}") from None
        return run_live(args)
    settings = session_settings(args.voice)
    routine = named_routine(args.routine) if args.routine else None
    intents = load_intents(args.intents, routine_names())
    clock = RealClock(args.speed)
    printer = PrintSpeaker(lambda: stamp(clock.now()))
    speaker = coach_voice(settings, printer, quiet=args.quiet, print_only_on_failure=True)
    assembled = build_session(settings, speaker, clock)
    coach = Coach(assembled.session)
    begin(assembled, routine)
    read_commands(coach.post, coach.quit, intents)
    try:
        coach.run()
    finally:
        speaker.close()
        assembled.store.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The scripted session; exit 1 unless it finished with every command understood."""
    # The coach's voice as a session would have it (the settings, --voice over them); an
    # unknown voice is one line, before anything is said.
    args.voice = session_settings(args.voice).voice
    if args.routine:
        named_routine(args.routine)  # an unknown routine: a usage mistake, said at once
    intents = load_intents(args.intents, routine_names())
    if args.text:
        state = run_text_demo(intents, routine=args.routine)
    else:
        state = run_room_demo(args, intents)
    return 0 if state == "finished" else 1


def cmd_start(args: argparse.Namespace) -> int:
    """The main job: coach by voice when a microphone is there, else play the demo."""
    try:
        find_device(None, "input")
    except AudioError as exc:
        print(f"voicecoach: {exc}. Playing the demo instead.", file=sys.stderr)
        demo_args = argparse.Namespace(text=False, intents=None, fast=True, wav=None)
        demo_args.verbose = args.verbose
        demo_args.engine = demo_args.model = demo_args.routine = demo_args.voice = None
        return cmd_demo(demo_args)
    run_args = argparse.Namespace(text=False, speed=1.0, intents=None, quiet=False)
    run_args.engine = run_args.model = run_args.input = run_args.output = None
    run_args.routine = run_args.voice = None
    return cmd_run(run_args)


def cmd_diagram(args: argparse.Namespace) -> int:
    print(mermaid_diagram())
    return 0
