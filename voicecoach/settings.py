"""Personal settings: a TOML file in the user config dir, checked with clear one-line errors.

Each value comes from, in rising priority: the built-in default, the config file
(``<config dir>/config.toml``) and an environment variable ``VOICECOACH_<KEY>`` (for one-off
runs).

Every setting is declared once, as a field of :class:`Settings` made with :func:`setting` from its
note for ``config init`` and its :class:`Spec` (kind, default, range or choices, example value).
Checking, environment parsing, the example file and :data:`KEYS` all follow from that table
(:data:`SPECS`), so adding a setting is one edit.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from voicecoach import paths
from voicecoach.errors import ConfigError

log = logging.getLogger(__name__)

FILE_NAME = "config.toml"
ENV_PREFIX = "VOICECOACH_"
VERBOSITIES: tuple[str, ...] = ("full", "short", "auto")

_T = TypeVar("_T")
# What a setting holds: a whole number, a number, one text, a list of texts, one of some choices,
# or true/false.
Kind = Literal["whole", "number", "text", "texts", "choice", "flag"]
_EXPECT: dict[Kind, str] = {  # what the value "must be", unless the Spec says it better
    "whole": "a whole number",
    "number": "a number",
    "text": "text",
    "texts": "a list of texts",
    "flag": "true or false",
}
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Spec(Generic[_T]):
    """Everything about one setting: how it is checked, read from the environment and explained."""

    kind: Kind
    default: _T
    between: tuple[float, float] | None = None  # numbers: (lowest, highest), both allowed
    choices: tuple[str, ...] = ()  # "choice": the allowed values
    expect: str | None = None  # what the value "must be", in place of the kind's wording
    example: Any = None  # shown in the example file when the default is None ("not set")
    explain: str = ""  # the one-line note above the key in the `config init` file

    def __post_init__(self) -> None:
        if self.kind in ("whole", "number") and self.between is None:
            raise TypeError(f"a {self.kind} setting needs its range: between=(low, high)")
        if self.kind == "choice" and not self.choices:
            raise TypeError("a choice setting needs its choices")
        if self.default is None and self.example is None:
            raise TypeError("a setting without a default needs an example value")

    def problem(self) -> str:
        """The reason given for a value of the wrong type."""
        return f"must be {self.expect or _EXPECT[self.kind]}"

    def check(self, value: Any) -> Any:
        """``value`` converted for this setting; ValueError saying what is wrong."""
        if self.kind in ("whole", "number"):
            whole = self.kind == "whole"
            if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
                raise ValueError(self.problem())
            assert self.between is not None
            low, high = self.between
            if not low <= value <= high:
                raise ValueError(f"must be between {low:g} and {high:g}, not {value:g}")
            return int(value) if whole else float(value)
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise ValueError(self.problem())
            return value.strip()
        if self.kind == "texts":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(self.problem())
            return tuple(v.strip() for v in value)
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"must be one of {', '.join(self.choices)}, not {value!r}")
            return value
        if not isinstance(value, bool):
            raise ValueError(self.problem())
        return value

    def parse(self, text: str) -> Any:
        """An environment value read as the type this setting expects (not yet checked)."""
        text = text.strip()
        if self.kind in ("whole", "number"):
            try:
                return int(text) if self.kind == "whole" else float(text)
            except ValueError:
                raise ValueError(self.problem()) from None
        if self.kind == "texts":
            return [part.strip() for part in text.split(",") if part.strip()]
        if self.kind == "flag":
            if text.lower() in _TRUE_WORDS:
                return True
            if text.lower() in _FALSE_WORDS:
                return False
            raise ValueError(self.problem())
        return text


def setting(explain: str, spec: Spec[_T]) -> _T:
    """A :class:`Settings` field: its default, its :class:`Spec` and its one-line explanation."""
    return field(
        default=spec.default, metadata={"spec": dataclasses.replace(spec, explain=explain)}
    )


@dataclass(frozen=True)
class Settings:
    """The person's preferences; the defaults suit a first session."""

    speech_rate: int = setting(
        "How fast the coach talks, in words per minute (60 to 400).",
        Spec("whole", 150, (60, 400)),
    )
    voice: str | None = setting(  # None: the speech engine's default voice
        'Voice name or id of the speech engine, e.g. "en-us". Leave out for the default.',
        Spec("text", None, expect="a voice name (text)", example="en-us"),
    )
    volume: float = setting(
        "Loudness from 0 (silent) to 1 (full).", Spec("number", 1.0, (0.0, 1.0))
    )
    hold_scale: float = setting(
        "Longer or shorter holds: 1.5 makes every hold half as long again (0.5 to 3).",
        Spec("number", 1.0, (0.5, 3.0)),
    )
    rep_pace: float = setting(
        "Slower or quicker reps: 2 gives each rep twice the time (0.5 to 3).",
        Spec("number", 1.0, (0.5, 3.0)),
    )
    rep_seconds: float | None = setting(
        "Seconds per rep for every move, in place of the routine's own pace.",
        Spec("number", None, (0.5, 30.0), example=3.0),
    )
    rest_seconds: float | None = setting(
        "Seconds of rest between sets and rounds, in place of the routine's.",
        Spec("number", None, (0.0, 300.0), example=20.0),
    )
    transition_seconds: float | None = setting(
        "Seconds to get into the next position, in place of the routine's.",
        Spec("number", None, (0.0, 120.0), example=8.0),
    )
    disabled_moves: tuple[str, ...] = setting(
        'Moves to leave out, by name or id, e.g. ["bird dog"].',
        Spec("texts", (), expect='a list of move names, like ["bridge", "bird dog"]'),
    )
    verbosity: Literal["full", "short", "auto"] = setting(
        '"full" instructions, "short" cues, or "auto": full until you know the routine.',
        Spec("choice", "auto", choices=VERBOSITIES),
    )
    full_sessions: int = setting(
        'With "auto": how many finished sessions of a routine get full instructions.',
        Spec("whole", 3, (0, 1000)),
    )
    history: bool = setting("Keep a history of your sessions (true or false).", Spec("flag", True))

    @property
    def skip_moves(self) -> frozenset[str]:
        """The switched-off moves as the plan matches them (ids or names, lower case)."""
        return frozenset(name.strip().lower() for name in self.disabled_moves)

    def cue_style(self, times_done: int) -> Literal["full", "short"]:
        """Whether to give full instructions, given how often the routine was done to the end."""
        if self.verbosity == "auto":
            return "full" if times_done < self.full_sessions else "short"
        return self.verbosity


# The table every function below works from: each key with its Spec, in declaration order.
SPECS: dict[str, Spec[Any]] = {f.name: f.metadata["spec"] for f in fields(Settings)}
KEYS: tuple[str, ...] = tuple(SPECS)
DEFAULTS = Settings()


def default_path() -> Path:
    """Where the settings file lives: ``<user config dir>/config.toml``."""
    return paths.config_dir() / FILE_NAME


def check_value(key: str, value: Any) -> Any:
    """Return ``value`` converted for ``key``; raise ValueError saying what is wrong."""
    if key not in SPECS:
        raise ValueError("is not a setting")  # pragma: no cover - KEYS guards this
    return SPECS[key].check(value)


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown setting {key!r}{hint}"


def _not_text(path: Path, data: bytes, at: int) -> ConfigError:
    line = data.count(b"\n", 0, at) + 1
    return ConfigError(
        f"{path}: not a text file (line {line} holds bytes that are not UTF-8 text); write it "
        "as UTF-8 text, or move it away and run `voicecoach config init` for a fresh one"
    )


def read_file(path: Path) -> dict[str, Any]:
    """The checked values set in a settings file (empty if there is no file)."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8").removeprefix("\ufeff")  # decoded here, not by tomllib
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise _not_text(path, data, exc.start) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if b"\0" in data:  # text never holds NUL bytes (a file zeroed by a crash does)
        raise _not_text(path, data, data.index(b"\0"))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
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
    for key, spec in SPECS.items():
        name = ENV_PREFIX + key.upper()
        if name not in env:
            continue
        try:
            values[key] = spec.check(spec.parse(env[name]))
        except ValueError as exc:
            raise ConfigError(f"environment {name}: {key} {exc}") from None
        sources[key] = f"environment {name}"
    settings = dataclasses.replace(DEFAULTS, **values)
    log.debug("settings: %s", settings)
    return settings, sources


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
    for key, spec in SPECS.items():
        default = getattr(DEFAULTS, key)
        shown = _toml_value(default if default is not None else spec.example)
        lines += ["", f"# {spec.explain}", f"# {key} = {shown}"]
    return "\n".join(lines) + "\n"
