"""Reading a YAML file that a person wrote, with every way it can fail said in one sentence.

Routine files and ``--intents`` files are written by hand, so they can be missing, a
folder, binary or not UTF-8, empty, not YAML, a list where a mapping belongs, or nested
so deeply that PyYAML's recursive parser runs out of stack (``"[" * 5000`` is a
RecursionError, not a YAMLError). PyYAML's constructors also raise plain ValueError,
KeyError or AttributeError for values they cannot build (``2024-13-45``, ``!!int abc``,
``!!bool maybe``). All of these become one :class:`YamlFileError` whose text names no
file: each caller adds the file's name and raises its own error type.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1_000_000  # a routine is a few kB; this stops /dev/zero or a video being read whole


class YamlFileError(Exception):
    """Why a YAML file cannot be used, in words for the person (without the file name)."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.missing = missing  # the file does not exist


def describe(value: Any) -> str:
    """What kind of YAML value ``value`` is, in plain words: 'a list', 'text', 'nothing'."""
    if value is None:
        return "nothing"
    names: dict[type, str] = {bool: "true/false", int: "a number", float: "a number"}
    names |= {str: "text", list: "a list", dict: "a mapping", bytes: "binary data"}
    names |= {datetime.date: "a date", datetime.datetime: "a date and time"}
    return names.get(type(value), type(value).__name__)


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise YamlFileError("no such file", missing=True) from None
    except IsADirectoryError:
        raise YamlFileError("is a folder, not a file") from None
    except OSError as exc:
        raise YamlFileError(f"cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise YamlFileError(f"is larger than {MAX_BYTES // 1_000_000} MB; is it the right file?")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlFileError(
            f"is not UTF-8 text (line {line}); save it as UTF-8 in a text editor"
        ) from None


def read_yaml(path: Path) -> Any:
    """The data in the YAML file at ``path`` (YamlFileError for any reason it cannot be had)."""
    text = _read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlFileError(f"not valid YAML{at}: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a control character, such as a NUL byte
        line = text[: exc.position].count("\n") + 1
        raise YamlFileError(f"not valid YAML at line {line}: {str(exc).splitlines()[0]}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise YamlFileError(
            "not valid YAML: nested too deeply (hundreds of levels of brackets or indentation)"
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise YamlFileError(f"not valid YAML: cannot read a value ({exc})") from None


def read_mapping(path: Path, what: str) -> dict[Any, Any]:
    """Like :func:`read_yaml` for a file that must hold a mapping of ``what`` at the top."""
    data = read_yaml(path)
    if data is None:
        raise YamlFileError("the file is empty")
    if not isinstance(data, dict):
        raise YamlFileError(f"expected a mapping of {what} at the top, got {describe(data)}")
    return data
