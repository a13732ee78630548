"""A small checker for YAML data: a table of field kinds, every problem collected.

A person writing a file should see every problem in one run, so :func:`check` reports
them all instead of stopping at the first: each is one line, ``file: field: reason``,
with the field as a path such as ``moves[2].hold.seconds``. A field is described by its
kind: ``text``, ``texts`` (a string or a list of strings), ``name`` (a short
identifier), a tuple of allowed strings, a :class:`Number`, a nested :class:`Schema`, or
a list of mappings (:class:`ListOf`). Rules that look at several fields of one mapping run after
its fields and are told which fields are already at fault, so that one mistake is not
reported twice.

Numbers must be finite: YAML reads ``.nan`` and ``.inf`` as floats, and true/false are
not numbers here although Python counts them as ints.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

from voicecoach.yaml_files import describe

Kind = Union[str, tuple[str, ...], "Number", "Schema", "ListOf"]
# A rule across the fields of one mapping: (mapping, keys already at fault) -> (field, reason)
Rule = Callable[[dict[str, Any], set[str]], Iterator[tuple[str, str]]]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Number:
    """A finite number from ``least`` to ``most``; ``above`` excludes ``least`` itself."""

    least: float
    most: float
    whole: bool = False  # a count: 3, not 3.5 or 3.0
    above: bool = False
    unit: str = ""


@dataclass(frozen=True)
class Schema:
    """Allowed keys of a mapping, the kind of value each holds, and rules across them."""

    required: dict[str, Kind] = field(default_factory=dict)
    optional: dict[str, Kind] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    what: str = ""  # "move fields": named in "expected a mapping of move fields"


@dataclass(frozen=True)
class ListOf:
    """A list of mappings, each checked against ``item``; ``empty`` says why [] is wrong."""

    item: Schema
    empty: str = "must not be empty"


@dataclass
class Report:
    """Problems found in one file so far, each as ``file: field: reason``."""

    source: str
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        field_and_reason = f"{where}: {reason}" if where else reason
        self.problems.append(f"{self.source}: {field_and_reason}")


def join(where: str, key: str) -> str:
    """``moves[1]`` + ``hold`` -> ``moves[1].hold``; an empty part is left out."""
    return f"{where}.{key}" if where and key else where or key


def _show(value: Any) -> str:
    """A value as the person wrote it, short: 'both', -5, 2.5, .nan, -.inf."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if abs(value) < 10**15 else "a number of 16 digits or more"
    if isinstance(value, str | float):
        text = repr(value)
        return text if len(text) <= 40 else text[:36] + "...'"
    return describe(value)


def _number_problem(value: Any, rule: Number) -> str | None:
    if isinstance(value, str):  # "twenty", or 1e6, which YAML 1.1 reads as text
        return f"expected a number, got text {_show(value)}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, got {describe(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {_show(value)}"
    if rule.whole and (not isinstance(value, int) or value < rule.least):
        return f"must be a whole number of at least {rule.least:g}, got {_show(value)}"
    if rule.above and value <= rule.least:
        return f"must be more than {rule.least:g}, got {_show(value)}"
    if value < rule.least:
        at_least = "not be negative" if rule.least == 0 else f"be at least {rule.least:g}"
        return f"must {at_least}, got {_show(value)}"
    if value > rule.most:
        return f"must be at most {rule.most:g}{rule.unit}, got {_show(value)}"
    return None


def _text_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return None if value.strip() else "must not be empty"
    quote = " (put it in quotes)" if isinstance(value, bool | int | float) else ""
    return f"expected text, got {describe(value)}{quote}"


def _check_value(value: Any, kind: Kind, where: str, report: Report) -> None:
    """Report what is wrong with ``value`` as a ``kind`` (nothing when it is fine)."""
    problem: str | None = None
    if isinstance(kind, Schema):
        if isinstance(value, dict):
            check(value, kind, where, report)
        else:
            of = f" of {kind.what}" if kind.what else ""
            problem = f"expected a mapping{of}, got {describe(value)}"
    elif isinstance(kind, ListOf):
        if not isinstance(value, list):
            problem = f"expected a list, got {describe(value)}"
        elif not value:
            problem = kind.empty
        for i, item in enumerate(value if isinstance(value, list) else []):
            _check_value(item, kind.item, f"{where}[{i}]", report)
    elif isinstance(kind, Number):
        problem = _number_problem(value, kind)
    elif isinstance(kind, tuple):
        ok = isinstance(value, str) and value in kind
        problem = None if ok else f"must be one of {', '.join(kind)}, got {_show(value)}"
    elif kind == "text":
        problem = _text_problem(value)
    elif kind == "texts":
        if isinstance(value, str):
            problem = _text_problem(value)
        elif not isinstance(value, list):
            problem = f"expected text or a list of texts, got {describe(value)}"
        elif not value:
            problem = "must not be empty"
        for i, item in enumerate(value if isinstance(value, list) else []):
            _check_value(item, "text", f"{where}[{i}]", report)
    elif kind == "name":
        ok = isinstance(value, str) and NAME_RE.match(value) is not None
        problem = (
            None if ok else f"expected a lowercase name like 'pelvic_tilt', got {_show(value)}"
        )
    else:
        raise ValueError(f"unknown schema kind {kind!r}")
    if problem:
        report.add(where, problem)


def check(data: dict[Any, Any], schema: Schema, where: str, report: Report) -> set[str]:
    """Report every unknown key, bad value and missing field of ``data``; the keys at fault."""
    allowed = {**schema.required, **schema.optional}
    at_fault: set[str] = set()
    for key, value in data.items():
        sub, before = join(where, str(key)), len(report.problems)
        if key in allowed:
            _check_value(value, allowed[key], sub, report)
        else:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            report.add(sub, f"unknown field ({hint}known: {', '.join(sorted(allowed))})")
        if len(report.problems) > before:
            at_fault.add(str(key))
    for key in schema.required:
        if key not in data:
            report.add(join(where, key), "missing field")
            at_fault.add(key)
    for rule in schema.rules:
        for key, reason in rule(data, at_fault):
            report.add(join(where, key), reason)
    return at_fault
