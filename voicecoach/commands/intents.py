"""Command intents: hassil templates loaded from YAML and matched against text.

The same matcher serves typed lines and the text a speech recognizer heard, so a
phrasing understood in one is understood in the other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hassil import Intents, recognize
from hassil.expression import Expression, Group, ListReference, RuleReference
from hassil.intents import SlotList, TextSlotList, TextSlotValue
from hassil.parse_expression import parse_sentence

from voicecoach import paths
from voicecoach.commands.names import Command
from voicecoach.errors import ConfigError
from voicecoach.yaml_files import YamlFileError, read_mapping

log = logging.getLogger(__name__)

DEFAULT_FILE = "commands.yaml"
ROUTINE_LIST = "routine"
DEFAULT_ROUTINE_WORD = "my"  # "start my routine" means the default routine
MAX_TEMPLATE_DEPTH = 40  # groups within groups; the shipped ones nest 6, hassil recurses

_NOT_WORD = re.compile(r"[^\w' ]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case ``text``, drop punctuation (keeping apostrophes) and squeeze spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    text = _NOT_WORD.sub(" ", text.replace("-", " ").replace("_", " "))
    words = [w.strip("'") for w in _SPACES.split(text)]
    return " ".join(w for w in words if w)


def default_intents_path() -> Path:
    """The intents file that ships with voicecoach."""
    return paths.intents_dir() / DEFAULT_FILE


@dataclass
class CommandIntents:
    """Loaded intents plus the slot lists filled in at load time."""

    intents: Intents
    slot_lists: dict[str, SlotList] = field(default_factory=dict)
    source: Path | None = None

    @property
    def names(self) -> list[str]:
        """Intent names in file order."""
        return list(self.intents.intents)

    def all_lists(self) -> dict[str, SlotList]:
        """The file's own lists overlaid with the lists filled at load time."""
        merged: dict[str, SlotList] = dict(self.intents.slot_lists)
        merged.update(self.slot_lists)
        return merged

    def match(self, text: str) -> Command | None:
        """The command ``text`` asks for, or None; case and punctuation do not matter."""
        clean = normalize(text)
        if not clean:
            return None
        result = recognize(clean, self.intents, slot_lists=self.slot_lists)
        if result is None or result.intent is None:
            return None
        slots = {name: str(entity.value) for name, entity in result.entities.items()}
        return Command(result.intent.name, slots)


def _routine_list(routine_names: Sequence[str]) -> TextSlotList:
    """Each routine by name, with or without "the"; "my" for the first (the default)."""
    values: list[TextSlotValue] = []
    for name in routine_names:
        spoken = normalize(name)
        if spoken:
            text_in = parse_sentence(f"[the] {spoken}").expression
            values.append(TextSlotValue(text_in=text_in, value_out=name))
    if routine_names:
        values.append(
            TextSlotValue(
                text_in=parse_sentence(DEFAULT_ROUTINE_WORD).expression,
                value_out=routine_names[0],
            )
        )
    return TextSlotList(name=ROUTINE_LIST, values=values)


Template = tuple[str, Expression, Collection[str], Collection[str]]


def _templates(intents: Intents) -> list[Template]:
    """Every template with the rule and list names it may use: (intent, expression, rules, lists).

    hassil parses sentence templates on first use; asking for them here moves a
    malformed one from a crash on the first utterance to an error at load time.
    """
    found: list[Template] = []
    for intent in intents.intents.values():
        for block in intent.data:
            rules = {**intents.expansion_rules, **block.expansion_rules}
            lists = {*intents.slot_lists, *block.slot_lists, *block.wildcard_list_names}
            bodies = [s.expression for s in block.sentences]
            bodies += [r.expression for r in rules.values()]
            found += [(intent.name, body, rules.keys(), lists) for body in bodies]
    return found


def _template_problem(
    expression: Expression, rules: Collection[str], lists: Collection[str]
) -> str | None:
    """Why hassil would fail to match ``expression`` (too deep, unknown <rule> or {list})."""
    stack = [(expression, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TEMPLATE_DEPTH:
            return f"a template is nested more than {MAX_TEMPLATE_DEPTH} groups deep"
        if isinstance(node, Group):
            stack += [(item, depth + 1) for item in node.items]
        elif isinstance(node, RuleReference) and node.rule_name not in rules:
            return f"uses <{node.rule_name}> but there is no such expansion rule"
        elif isinstance(node, ListReference) and not (
            node.list_name in lists or node.is_inline_range
        ):
            return f"uses {{{node.list_name}}} but there is no such list"
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = read_mapping(path, "intents")
    except YamlFileError as exc:
        if exc.missing:
            raise ConfigError(f"intents file not found: {path}") from None
        raise ConfigError(f"cannot read intents file {path}: {exc}") from None
    if not isinstance(data.get("intents"), dict):
        raise ConfigError(f"intents file {path} has no 'intents:' mapping")
    lists = data.get("lists")
    if lists is not None and not isinstance(lists, dict):
        raise ConfigError(f"intents file {path}: 'lists:' must be a mapping of list names")
    routine_def = (lists or {}).get(ROUTINE_LIST)
    if routine_def is not None and not isinstance(routine_def, dict):
        raise ConfigError(f"intents file {path}: the list '{ROUTINE_LIST}' must be a mapping")
    return data


def load_intents(
    path: Path | None = None, routine_names: Sequence[str] = ("back",)
) -> CommandIntents:
    """Load a hassil intents file (the shipped one by default).

    ``routine_names`` fill the ``{routine}`` list when the file leaves it empty or
    does not define it; the first name is the default that "my routine" refers to.
    """
    source = path or default_intents_path()
    data = _read_yaml(source)
    data.setdefault("language", "en")
    lists = data.get("lists") or {}
    routine_def = lists.get(ROUTINE_LIST)
    fill_routines = routine_def is None or not routine_def.get("values")
    if fill_routines and routine_def is not None:
        # hassil rejects an empty list definition; ours is filled below.
        lists = {k: v for k, v in lists.items() if k != ROUTINE_LIST}
        data["lists"] = lists
    try:
        intents = Intents.from_dict(data)
        templates = _templates(intents)
    except RecursionError:
        raise ConfigError(f"intents file {source}: a template is nested too deeply") from None
    except Exception as exc:  # hassil raises many kinds on a malformed template
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"intents file {source} is not valid hassil YAML: {reason}") from None
    slot_lists: dict[str, SlotList] = {}
    if fill_routines:
        slot_lists[ROUTINE_LIST] = _routine_list(routine_names)
    for intent_name, expression, rules, lists in templates:
        problem = _template_problem(expression, rules, {*lists, *slot_lists})
        if problem:
            raise ConfigError(f"intents file {source}: intent {intent_name!r}: {problem}")
    log.debug("loaded %d intents from %s", len(intents.intents), source)
    return CommandIntents(intents=intents, slot_lists=slot_lists, source=source)
