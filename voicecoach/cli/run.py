"""``voicecoach run``, ``demo`` and ``diagram``: the coached session itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicecoach.app.assemble import build_session, coach_voice, offer_resume
from voicecoach.app.demo import run_text_demo, stamp
from voicecoach.app.live import run_live
from voicecoach.app.room_demo import run_room_demo
from voicecoach.audio.devices import find_device
from voicecoach.coaching.clock import RealClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.cues import cue
from voicecoach.coaching.machine import mermaid_diagram
from voicecoach.commands.intents import load_intents
from voicecoach.commands.typed import read_commands
from voicecoach.errors import AudioError
from voicecoach.routines.library import routine_names
from voicecoach.settings import load_settings
from voicecoach.voice.speaker import PrintSpeaker


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a coached session (the default command)")
    run.add_argument("--text", action="store_true", help="type commands instead of speaking")
    run.add_argument("--speed", type=float, default=1.0, help="clock speed (2 = twice as fast)")
    run.add_argument("--intents", type=Path, help="a hassil intents YAML file to use")
    run.add_argument("--quiet", action="store_true", help="print cues without speaking them")
    _recognizer_options(run)
    run.add_argument("--input", help="microphone: a device index or part of its name")
    run.add_argument("--output", help="speaker: a device index or part of its name")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="play a whole scripted session")
    demo.add_argument("--text", action="store_true", help="typed lines, no audio (instant)")
    demo.add_argument("--intents", type=Path, help="a hassil intents YAML file to use")
    demo.add_argument("--fast", action="store_true", help="run the clock as fast as possible")
    demo.add_argument("--wav", type=Path, help="where to write the room audio")
    _recognizer_options(demo)
    demo.set_defaults(func=cmd_demo)
    start = sub.add_parser("start", help="live session, or the demo when there is no microphone")
    start.set_defaults(func=cmd_start)
    diagram = sub.add_parser("diagram", help="print the session state machine (mermaid)")
    diagram.set_defaults(func=cmd_diagram)


def _recognizer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=["pocketsphinx", "vosk"], help="speech recognizer")
    parser.add_argument("--model", type=Path, help="a Vosk model directory")


def cmd_run(args: argparse.Namespace) -> int:
    if not args.text:
        return run_live(args)
    settings, _ = load_settings()
    if args.speed <= 0:
        raise SystemExit("voicecoach: --speed must be more than 0")
    clock = RealClock(args.speed)
    printer = PrintSpeaker(lambda: stamp(clock.now()))
    speaker = coach_voice(settings, printer, quiet=args.quiet, print_only_on_failure=True)
    assembled = build_session(settings, speaker, clock)
    intents = load_intents(args.intents, routine_names())
    coach = Coach(assembled.session)
    if not offer_resume(assembled):
        speaker.say(cue("ready"))
    read_commands(coach.post, coach.quit, intents)
    try:
        coach.run()
    finally:
        speaker.close()
        assembled.store.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    intents = load_intents(args.intents, routine_names())
    state = run_text_demo(intents) if args.text else run_room_demo(args, intents)
    return 0 if state == "finished" else 1


def cmd_start(args: argparse.Namespace) -> int:
    """The main job: coach by voice when a microphone is there, else play the demo."""
    try:
        find_device(None, "input")
    except AudioError as exc:
        print(f"voicecoach: {exc}. Playing the demo instead.", file=sys.stderr)
        demo_args = argparse.Namespace(text=False, intents=None, fast=True, wav=None)
        demo_args.engine = demo_args.model = None
        return cmd_demo(demo_args)
    run_args = argparse.Namespace(text=False, speed=1.0, intents=None, quiet=False)
    run_args.engine = run_args.model = run_args.input = run_args.output = None
    return cmd_run(run_args)


def cmd_diagram(args: argparse.Namespace) -> int:
    print(mermaid_diagram())
    return 0
