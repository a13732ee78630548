"""The settings checks that need more than the settings file: routines and installed voices.

:mod:`voicecoach.settings` checks each value on its own (a number in range, a list of texts).
Whether a switched-off move exists, whether a routine keeps a move to do and whether the voice
is installed depend on the routine files and the speech engines, so they are checked here, by
the one function both ``voicecoach config`` and every session (``build_session``) call: what
``config`` accepts, ``run`` accepts too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from voicecoach.coaching.plan import build_plan
from voicecoach.errors import AudioError, ConfigError, RoutineError, UserError
from voicecoach.routines.library import move_names, routine_files
from voicecoach.routines.validate import load_routine
from voicecoach.settings import ENV_PREFIX, Settings, check_value, default_path, load_settings
from voicecoach.voice import catalog

log = logging.getLogger(__name__)


def check_settings(settings: Settings, sources: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError (one line) for settings a session cannot run with.

    ``sources`` (from :func:`voicecoach.settings.load_settings`, e.g. ``{"voice": "--voice"}``
    for a value from the command line) says where a value came from, so the message can say
    where to change it. The voice is checked against the installed voices (Piper's files, or
    two ``espeak-ng`` listings, about 20 ms) only when it is set; with no speech engine it is
    left to the speaker.
    """
    if settings.disabled_moves:
        check_disabled_moves(settings, sources)
    if settings.voice:  # None or "": the engine's default voice
        check_voice(settings.voice, sources)


def check_disabled_moves(settings: Settings, sources: Mapping[str, str] | None = None) -> None:
    """Every switched-off move is a move of some routine, and every routine keeps one to do."""
    known = move_names()
    for name in settings.disabled_moves:
        if name.strip().lower() not in known:
            raise ConfigError(
                f"disabled_moves: {name!r} is not a move of any routine "
                f"(moves: {', '.join(sorted(set(known.values())))}); "
                f"{_change('disabled_moves', sources)}"
            )
    skip = settings.skip_moves
    for found in routine_files():
        try:
            routine = load_routine(found.path)
        except RoutineError:
            continue  # a broken file is reported when it is used, not here
        if routine.moves and not build_plan(routine, skip=skip):
            moves = ", ".join(move.name for move in routine.moves)
            raise ConfigError(
                f"disabled_moves switches off every move of the {routine.name!r} routine "
                f"({moves}), leaving it nothing to do; keep at least one of them: "
                f"{_change('disabled_moves', sources)}"
            )


def check_voice(voice: str, sources: Mapping[str, str] | None = None) -> None:
    """The voice is one a speaker accepts (see :mod:`voicecoach.voice.catalog`)."""
    try:
        problem = catalog.problem(voice)
    except AudioError as exc:  # no engine: the speaker says so when it starts, if it is needed
        log.info("voice %r not checked: %s", voice, exc)
        return
    if problem is not None:
        raise ConfigError(f"voice: {problem}; {_change('voice', sources)}")


def _change(key: str, sources: Mapping[str, str] | None) -> str:
    """Where to change ``key``: where its value came from, or else everywhere it can be set."""
    source = (sources or {}).get(key, "default")
    if source.startswith("config file "):
        return f"change it in {source.removeprefix('config file ')}"
    if source.startswith("environment "):
        return f"change or unset {source.removeprefix('environment ')}"
    if source != "default":
        return f"change {source}"
    return f"change it in {default_path()} or {ENV_PREFIX}{key.upper()}"


def session_settings(voice: str | None = None) -> Settings:
    """The settings a session runs with: the file and environment, ``--voice`` over them,
    all checked before a word is said (one line, exit 6, naming where to change a value)."""
    settings, sources = load_settings()
    if voice:
        try:
            settings = replace(settings, voice=check_value("voice", voice))
        except ValueError as exc:
            raise UserError(f"--voice: {exc}") from None
        sources = {**sources, "voice": "the --voice option"}
    check_settings(settings, sources)
    return settings
