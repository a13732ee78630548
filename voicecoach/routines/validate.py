"""A small validator for the YAML mappings voicecoach reads (routine files).

Kinds: ``text``, ``texts`` (a string or a list of strings), ``name`` (a short
identifier), ``list``, ``positive``/``nonnegative`` numbers, ``count`` (a whole number
of at least 1), a tuple of allowed strings, or a nested :class:`Schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

from voicecoach.errors import RoutineError

Kind = Union[str, tuple[str, ...], "Schema"]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Schema:
    """Allowed keys of a mapping and the kind of value each holds."""

    required: dict[str, Kind] = field(default_factory=dict)
    optional: dict[str, Kind] = field(default_factory=dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problem(value: Any, kind: Kind, where: str) -> str | None:
    """Why ``value`` is not of ``kind``, or None when it is."""
    if isinstance(kind, Schema):
        if not isinstance(value, dict):
            return f"expected a mapping, got {_describe(value)}"
        check(value, kind, where)
        return None
    if isinstance(kind, tuple):
        return None if value in kind else f"must be one of {', '.join(kind)}, got {value!r}"
    if kind == "text":
        if not isinstance(value, str):
            return f"expected text, got {_describe(value)}"
        return None if value.strip() else "must not be empty"
    if kind == "texts":
        items = [value] if isinstance(value, str) else value
        ok = isinstance(items, list) and items and all(isinstance(i, str) for i in items)
        return None if ok else f"expected text or a list of texts, got {_describe(value)}"
    if kind == "name":
        ok = isinstance(value, str) and NAME_RE.match(value) is not None
        return None if ok else f"expected a lowercase name like 'pelvic_tilt', got {value!r}"
    if kind == "list":
        return None if isinstance(value, list) else f"expected a list, got {_describe(value)}"
    if kind in ("positive", "nonnegative", "count"):
        if not _is_number(value):
            return f"expected a number, got {_describe(value)}"
        if kind == "count" and (not isinstance(value, int) or value < 1):
            return f"must be a whole number of at least 1, got {value}"
        if kind == "positive" and value <= 0:
            return f"must be more than 0, got {value}"
        if kind == "nonnegative" and value < 0:
            return f"must not be negative, got {value}"
        return None
    raise ValueError(f"unknown schema kind {kind!r}")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {bool: "true/false", int: "a number", float: "a number", str: "text"}
    names |= {list: "a list", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


def field_path(where: str, key: str) -> str:
    """``file: moves[1]`` + ``hold`` -> ``file: moves[1].hold``; ``file`` + ``x`` -> ``file: x``."""
    return f"{where}.{key}" if ": " in where else f"{where}: {key}"


def check(data: dict[str, Any], schema: Schema, where: str) -> None:
    """Raise RoutineError for the first unknown key, missing field or bad value."""
    allowed = {**schema.required, **schema.optional}
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise RoutineError(f"{field_path(where, str(key))}: unknown field (known: {known})")
    for key in schema.required:
        if key not in data:
            raise RoutineError(f"{field_path(where, key)}: missing field")
    for key, value in data.items():
        sub = field_path(where, key)
        problem = _problem(value, allowed[key], sub)
        if problem:
            raise RoutineError(f"{sub}: {problem}")
