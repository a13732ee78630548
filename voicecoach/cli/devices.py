"""The ``voicecoach devices`` subcommand: which microphones and speakers there are."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict

from voicecoach.audio.devices import describe, list_devices

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``devices`` subcommand."""
    parser = sub.add_parser(
        "devices",
        help="list microphones and speakers",
        description=(
            "List the sound devices voicecoach can use, with the number and name to give "
            "--input/--output. The defaults are marked with *."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.set_defaults(func=run_devices)


def run_devices(args: argparse.Namespace) -> int:
    """Print the devices; finding none is reported, not an error (exit 0)."""
    devices = list_devices()
    if getattr(args, "json", False):
        print(json.dumps([asdict(d) for d in devices], indent=2))
        return 0
    if not devices:
        print(
            "No sound devices found. Connect a microphone and a speaker (or start your "
            "sound server), or try `voicecoach demo`, which needs neither."
        )
        return 0
    for line in describe(devices):
        print(line)
    return 0
