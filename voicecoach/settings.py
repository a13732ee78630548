"""Personal settings: a TOML file in the user config dir, checked with clear one-line errors.

Each value comes from, in rising priority: the built-in default, the config file
(``<config dir>/config.toml``), an environment variable ``VOICECOACH_<KEY>`` (for one-off runs),
and overrides passed by the command line (:func:`apply_overrides`).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from voicecoach import paths
from voicecoach.errors import ConfigError

log = logging.getLogger(__name__)

FILE_NAME = "config.toml"
ENV_PREFIX = "VOICECOACH_"
Verbosity = Literal["full", "short", "auto"]
VERBOSITIES: tuple[str, ...] = ("full", "short", "auto")


@dataclass(frozen=True)
class Settings:
    """The person's preferences; the defaults suit a first session."""

    speech_rate: int = 150  # words per minute
    voice: str | None = None  # a voice name or id of the speech engine; None: its default
    volume: float = 1.0  # 0 (silent) .. 1 (full)
    hold_scale: float = 1.0  # multiplies every hold: 1.5 holds half as long again
    rep_pace: float = 1.0  # multiplies the time per rep: 2 is twice as slow
    rep_seconds: float | None = None  # fixed seconds per rep, replacing the routine's
    rest_seconds: float | None = None  # fixed rest between sets and rounds
    transition_seconds: float | None = None  # fixed time to get into the next position
    disabled_moves: tuple[str, ...] = ()  # move names or ids to leave out
    verbosity: Verbosity = "auto"  # full instructions, short cues, or full until known
    full_sessions: int = 3  # with "auto": finished sessions of a routine before cues go short
    history: bool = True  # record sessions in the history database

    def cue_style(self, times_done: int) -> Literal["full", "short"]:
        """Whether to give full instructions, given how often the routine was done to the end."""
        if self.verbosity == "auto":
            return "full" if times_done < self.full_sessions else "short"
        return self.verbosity


# Range per numeric key: (lowest, highest), both allowed.
_RANGES: dict[str, tuple[float, float]] = {
    "speech_rate": (60, 400),
    "volume": (0.0, 1.0),
    "hold_scale": (0.5, 3.0),
    "rep_pace": (0.5, 3.0),
    "rep_seconds": (0.5, 30.0),
    "rest_seconds": (0.0, 300.0),
    "transition_seconds": (0.0, 120.0),
    "full_sessions": (0, 1000),
}
_INT_KEYS = {"speech_rate", "full_sessions"}
_FLOAT_KEYS = {"volume", "hold_scale", "rep_pace", "rep_seconds", "rest_seconds"} | {
    "transition_seconds"
}
KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings))
DEFAULTS = Settings()


def default_path() -> Path:
    """Where the settings file lives: ``<user config dir>/config.toml``."""
    return paths.config_dir() / FILE_NAME


def check_value(key: str, value: Any) -> Any:
    """Return ``value`` converted for ``key``; raise ValueError saying what is wrong."""
    if key in _INT_KEYS or key in _FLOAT_KEYS:
        whole = key in _INT_KEYS
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be {'a whole number' if whole else 'a number'}")
        if whole and not isinstance(value, int):
            raise ValueError("must be a whole number")
        low, high = _RANGES[key]
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}, not {value:g}")
        return int(value) if whole else float(value)
    if key == "voice":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a voice name (text)")
        return value.strip()
    if key == "disabled_moves":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError('must be a list of move names, like ["bridge", "bird dog"]')
        return tuple(v.strip() for v in value)
    if key == "verbosity":
        if value not in VERBOSITIES:
            raise ValueError(f"must be one of {', '.join(VERBOSITIES)}, not {value!r}")
        return value
    if key == "history":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    raise ValueError("is not a setting")  # pragma: no cover - KEYS guards this


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown setting {key!r}{hint}"


def _parse_env(key: str, text: str) -> Any:
    """Read an environment value as the type its key expects."""
    text = text.strip()
    if key in _INT_KEYS:
        try:
            return int(text)
        except ValueError:
            raise ValueError("must be a whole number") from None
    if key in _FLOAT_KEYS:
        try:
            return float(text)
        except ValueError:
            raise ValueError("must be a number") from None
    if key == "disabled_moves":
        return [part.strip() for part in text.split(",") if part.strip()]
    if key == "history":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("must be true or false")
    return text


def read_file(path: Path) -> dict[str, Any]:
    """The checked values set in a settings file (empty if there is no file)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: {_unknown_key(key)}")
        try:
            values[key] = check_value(key, value)
        except ValueError as exc:
            raise ConfigError(f"{path}: {key} {exc}") from None
    return values


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[Settings, dict[str, str]]:
    """The effective settings, and for each key where its value came from.

    Sources are "default", "config file <path>" and "environment VOICECOACH_<KEY>".
    Raises ConfigError (one line naming the file or variable, the key and the reason).
    """
    path = default_path() if path is None else path
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources = dict.fromkeys(KEYS, "default")
    for key, value in read_file(path).items():
        values[key], sources[key] = value, f"config file {path}"
    for key in KEYS:
        name = ENV_PREFIX + key.upper()
        if name not in env:
            continue
        try:
            values[key] = check_value(key, _parse_env(key, env[name]))
        except ValueError as exc:
            raise ConfigError(f"environment {name}: {key} {exc}") from None
        sources[key] = f"environment {name}"
    settings = dataclasses.replace(DEFAULTS, **values)
    log.debug("settings: %s", settings)
    return settings, sources


def apply_overrides(
    settings: Settings,
    sources: dict[str, str],
    overrides: Mapping[str, Any],
    origin: str = "command line",
) -> tuple[Settings, dict[str, str]]:
    """Settings with ``overrides`` (None values ignored) checked and applied, sources updated."""
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in KEYS:
            raise ConfigError(f"{origin}: {_unknown_key(key)}")
        if key == "disabled_moves" and isinstance(value, tuple):
            value = list(value)
        try:
            values[key] = check_value(key, value)
        except ValueError as exc:
            raise ConfigError(f"{origin}: {key} {exc}") from None
    new_sources = dict(sources)
    new_sources.update(dict.fromkeys(values, origin))
    return dataclasses.replace(settings, **values), new_sources


_EXPLAIN = {
    "speech_rate": "How fast the coach talks, in words per minute (60 to 400).",
    "voice": 'Voice name or id of the speech engine, e.g. "en-us". Leave out for the default.',
    "volume": "Loudness from 0 (silent) to 1 (full).",
    "hold_scale": "Longer or shorter holds: 1.5 makes every hold half as long again (0.5 to 3).",
    "rep_pace": "Slower or quicker reps: 2 gives each rep twice the time (0.5 to 3).",
    "rep_seconds": "Seconds per rep for every move, in place of the routine's own pace.",
    "rest_seconds": "Seconds of rest between sets and rounds, in place of the routine's.",
    "transition_seconds": "Seconds to get into the next position, in place of the routine's.",
    "disabled_moves": 'Moves to leave out, by name or id, e.g. ["bird dog"].',
    "verbosity": '"full" instructions, "short" cues, or "auto": full until you know the routine.',
    "full_sessions": 'With "auto": how many finished sessions of a routine get full instructions.',
    "history": "Keep a history of your sessions (true or false).",
}


# Example values for the settings whose default is "not set".
_EXAMPLE: dict[str, Any] = {
    "voice": "en-us",
    "rep_seconds": 3.0,
    "rest_seconds": 20.0,
    "transition_seconds": 8.0,
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return str(value)


def example_config() -> str:
    """A settings file with every key commented out at its default, each with a short note."""
    lines = [
        "# voicecoach settings. Remove the # in front of a line to change that setting.",
        "# `voicecoach config` shows the values in effect and where each comes from.",
    ]
    for key in KEYS:
        default = getattr(DEFAULTS, key)
        shown = _toml_value(default if default is not None else _EXAMPLE[key])
        lines += ["", f"# {_EXPLAIN[key]}", f"# {key} = {shown}"]
    return "\n".join(lines) + "\n"
