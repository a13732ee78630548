"""Finding routines by name: the built-in ones and the user's own files."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from voicecoach.errors import RoutineError
from voicecoach.paths import builtin_routines_dir, user_routines_dir
from voicecoach.routines.model import Routine
from voicecoach.routines.validate import load_routine

log = logging.getLogger(__name__)
DEFAULT_ROUTINE = "back"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RoutineFile:
    """A routine file found on disk and where it came from."""

    name: str
    path: Path
    origin: str  # "built-in" or "user"


def routine_files() -> list[RoutineFile]:
    """Every routine file, user files first so that they can replace a built-in one."""
    found: dict[str, RoutineFile] = {}
    for origin, folder in (("user", user_routines_dir()), ("built-in", builtin_routines_dir())):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SUFFIXES:
                found.setdefault(path.stem.lower(), RoutineFile(path.stem.lower(), path, origin))
    return sorted(found.values(), key=lambda f: (f.name != DEFAULT_ROUTINE, f.name))


def routine_names() -> list[str]:
    """Names a person can say: 'back', and the stems of their own routine files."""
    return [f.name for f in routine_files()]


def find_routine(name: str | None) -> Routine | None:
    """The routine called ``name`` (None or 'my' means the default), or None if unknown.

    A user file that does not validate raises RoutineError: a broken file is not the same
    as a missing one, and the person should hear why.
    """
    wanted = (name or DEFAULT_ROUTINE).strip().lower()
    if wanted in ("my", "my routine", "the", "default"):
        wanted = DEFAULT_ROUTINE
    for f in routine_files():
        if f.name == wanted or f.name.replace("_", " ") == wanted:
            return load_routine(f.path)
    return None


def require_routine(name: str | None) -> Routine:
    """Like :func:`find_routine` but an unknown name is a RoutineError listing the known ones."""
    routine = find_routine(name)
    if routine is None:
        known = ", ".join(routine_names()) or "none"
        raise RoutineError(
            f"no routine called {name!r} (known: {known}); "
            f"put your own in {user_routines_dir()}/NAME.yaml"
        )
    return routine


def move_names() -> dict[str, str]:
    """Every move of every routine that loads: its id and name (lower case) -> its name."""
    names: dict[str, str] = {}
    for f in routine_files():
        try:
            routine = load_routine(f.path)
        except RoutineError:
            continue  # a broken file is reported when it is used, not here
        for move in routine.moves:
            names[move.id.lower()] = names[move.name.lower()] = move.name
    return names
