"""The ``config`` subcommand: the settings in effect, the file's path, an example file."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from voicecoach import settings as settings_mod
from voicecoach.app.checks import check_settings
from voicecoach.errors import ConfigError, UserError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` subcommand with its actions show (the default), path and init."""
    cfg = sub.add_parser("config", help="show the settings in effect and where each comes from")
    cfg.add_argument("--json", action="store_true", help="print JSON for scripts")
    cfg.set_defaults(func=config_show)
    actions = cfg.add_subparsers(dest="config_action", metavar="{show,path,init}")
    show = actions.add_parser("show", help="the settings in effect (the default action)")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    show.set_defaults(func=config_show)
    actions.add_parser("path", help="print where the settings file is").set_defaults(
        func=config_path
    )
    actions.add_parser(
        "init", help="write a commented example settings file (never overwrites one)"
    ).set_defaults(func=config_init)


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _shown(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_show(args: argparse.Namespace) -> int:
    """``voicecoach config``: every setting in effect and where its value comes from.

    The settings are checked as a session checks them (ConfigError, exit 6): what ``config``
    shows without complaint, ``run`` starts with.
    """
    path = settings_mod.default_path()
    try:
        settings, sources = settings_mod.load_settings(path)
        check_settings(settings, sources)
    except ConfigError as exc:
        if args.json:  # scripts read stdout: the error is there too, as history --json does
            error = {"code": exc.exit_code, "kind": "settings", "message": str(exc)}
            _print(json.dumps({"error": error}, indent=2))
        raise
    if args.json:
        values = {key: getattr(settings, key) for key in settings_mod.KEYS}
        values["disabled_moves"] = list(settings.disabled_moves)
        _print(json.dumps({"file": str(path), "values": values, "sources": sources}, indent=2))
        return 0
    state = "" if path.exists() else " (no file yet: `voicecoach config init` writes an example)"
    _print(f"Settings file: {path}{state}")
    width = max(len(key) for key in settings_mod.KEYS)
    for key in settings_mod.KEYS:
        shown = _shown(getattr(settings, key))
        _print(f"  {key:<{width}}  {shown:<18}  {sources[key]}")
    return 0


def config_path(args: argparse.Namespace) -> int:
    """``voicecoach config path``: print where the settings file is (existing or not)."""
    _print(str(settings_mod.default_path()))
    return 0


def config_init(args: argparse.Namespace) -> int:
    """``voicecoach config init``: write a commented example file unless one exists."""
    path = settings_mod.default_path()
    exists = UserError(f"{path} exists already; edit it, or move it away to start afresh")
    if path.exists():
        raise exists
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:  # "x": fail rather than overwrite
            fh.write(settings_mod.example_config())
    except FileExistsError:
        raise UserError(
            f"{path} exists already; edit it, or move it away to start afresh"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    _print(f"Wrote {path}. Remove the # in front of a setting to change it.")
    return 0
