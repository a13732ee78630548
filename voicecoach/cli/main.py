"""The ``voicecoach`` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from voicecoach.cli import config, devices, history, recognize, routines, run, voices
from voicecoach.errors import UserError

log = logging.getLogger(__name__)

# Modules that add their own subcommands through register(sub), in the order --help lists them.
COMMAND_MODULES = (run, routines, recognize, devices, history, voices, config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicecoach",
        description="An offline, hands-free exercise coach you steer by voice.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if all(a in ("-v", "--verbose") for a in args_list):
        args_list.append(
            "start"
        )  # a bare `voicecoach`: live if there is a microphone, else the demo
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
        return code
    except UserError as exc:
        print(f"voicecoach: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nvoicecoach: interrupted; your place is saved.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `voicecoach voices | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 141  # what a shell reports for a command killed by SIGPIPE
