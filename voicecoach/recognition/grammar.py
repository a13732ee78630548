"""Speech grammars compiled from hassil templates without expanding every sentence.

Templates become a small tree of words, sequences, alternatives and rule references.
Each slot list and expansion rule is compiled once into a named rule, so a file whose
templates expand to millions of sentences still yields a grammar of a few kilobytes.
Blocks marked ``metadata: {speech: false}`` are left out: they are for typed lines.
From that tree come the minimal word automaton PocketSphinx searches
(:mod:`voicecoach.recognition.word_automaton`), a JSGF grammar (PocketSphinx's fallback when that
automaton would be too large) and a bounded set of phrases that covers every branch
(Vosk builds its language model from phrases).
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from hassil import expression as hx
from hassil.intents import IntentData, RangeSlotList, SlotList, TextSlotList, WildcardSlotList
from unicode_rbnf import RbnfEngine

from voicecoach.commands.intents import CommandIntents, normalize
from voicecoach.errors import ConfigError

log = logging.getLogger(__name__)

MAX_PERMUTATION_ITEMS = 6
MAX_RANGE_VALUES = 2000


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Ref:
    rule: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    items: tuple[Node, ...]
    optional: bool = False


Node = Word | Ref | Seq | Alt


def _seq(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else Seq(tuple(items))


@dataclass
class Grammar:
    """A compiled command grammar: named rules plus the top-level alternatives."""

    rules: dict[str, Node] = field(default_factory=dict)
    sentences: list[Node] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    dropped_words: set[str] = field(default_factory=set)

    def to_jsgf(self, name: str = "commands") -> str:
        """The grammar in JSGF with one public rule, ``<command>``."""
        lines = ["#JSGF V1.0;", f"grammar {name};", ""]
        body = " | ".join(_jsgf(s) for s in self.sentences)
        lines.append(f"public <command> = {body};")
        lines.extend(f"<{rule}> = {_jsgf(node)};" for rule, node in self.rules.items())
        return "\n".join(lines) + "\n"

    def phrases(self, limit: int = 3000, seed: int = 7) -> list[str]:
        """Phrases that together use every branch of the grammar at least once (bounded)."""
        sampler = _Sampler(self.rules, random.Random(seed))
        out: dict[str, None] = {}
        for _ in range(limit):
            for sentence in self.sentences:
                out.setdefault(" ".join(sampler.walk(sentence)), None)
            if sampler.covered() or len(out) >= limit:
                break
        return list(out)[:limit]


def _jsgf(node: Node) -> str:
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Ref):
        return f"<{node.rule}>"
    if isinstance(node, Seq):
        return " ".join(_jsgf_atom(i) for i in node.items)
    inner = " | ".join(_jsgf(i) for i in node.items)
    return f"[{inner}]" if node.optional else f"({inner})"


def _jsgf_atom(node: Node) -> str:
    return f"({_jsgf(node)})" if isinstance(node, Seq) else _jsgf(node)


class _Sampler:
    """Walks the tree choosing the least-used branch of every alternative."""

    def __init__(self, rules: dict[str, Node], rng: random.Random) -> None:
        self._rules = rules
        self._rng = rng
        self._uses: dict[tuple[int, int], int] = {}
        self._seen_alts: dict[int, int] = {}

    def covered(self) -> bool:
        return all(
            self._uses.get((alt, i), 0) > 0 for alt, n in self._seen_alts.items() for i in range(n)
        )

    def walk(self, node: Node) -> Iterator[str]:
        if isinstance(node, Word):
            yield node.text
        elif isinstance(node, Ref):
            yield from self.walk(self._rules[node.rule])
        elif isinstance(node, Seq):
            for item in node.items:
                yield from self.walk(item)
        else:
            n = len(node.items) + (1 if node.optional else 0)
            key = id(node)
            self._seen_alts[key] = n
            counts = [self._uses.get((key, i), 0) for i in range(n)]
            low = min(counts)
            pick = self._rng.choice([i for i, c in enumerate(counts) if c == low])
            self._uses[(key, pick)] = low + 1
            if pick < len(node.items):
                yield from self.walk(node.items[pick])


class GrammarCompiler:
    """Compiles :class:`CommandIntents` into a :class:`Grammar`.

    ``known`` tells whether the recognizer can say a word; branches holding an
    unknown word are dropped (and reported), since no audio could ever match them.
    """

    def __init__(
        self,
        intents: CommandIntents,
        known: Callable[[str], bool],
        only: Collection[str] | None = None,
    ) -> None:
        self._intents = intents
        self._known = known
        self._only = None if only is None else frozenset(only)
        self._lists = intents.all_lists()
        self._rules_src = dict(intents.intents.expansion_rules)
        self._grammar = Grammar()
        self._building: set[str] = set()
        self._names: dict[int, str] = {}  # id of a list or rule's source -> its rule name
        self._numbers = RbnfEngine.for_language("en")

    def compile(self) -> Grammar:
        """Build the grammar; a ConfigError when no sentence survives."""
        for name, intent in self._intents.intents.intents.items():
            if self._only is not None and name not in self._only:
                continue
            for data in intent.data:
                if not spoken(data):
                    continue
                for sentence in data.sentences:
                    node = self._node(sentence.expression, data.slot_lists, data.expansion_rules)
                    if node is not None:
                        self._grammar.sentences.append(node)
        if not self._grammar.sentences:
            raise ConfigError("no intent sentence can be spoken with this recognizer's words")
        if self._grammar.dropped_words:
            log.warning(
                "words not in the recognizer's dictionary, phrasings left out: %s",
                ", ".join(sorted(self._grammar.dropped_words)),
            )
        return self._grammar

    def _word_node(self, text: str) -> Node | None:
        words = normalize(text).split()
        if not words:
            return Seq(())
        for word in words:
            if not self._known(word):
                self._grammar.dropped_words.add(word)
                return None
        self._grammar.words.update(words)
        return _seq([Word(w) for w in words])

    def _node(
        self,
        expr: hx.Expression,
        local_lists: dict[str, SlotList],
        local_rules: dict[str, hx.Sentence],
    ) -> Node | None:
        if isinstance(expr, hx.TextChunk):
            return self._word_node(expr.original_text or expr.text)
        if isinstance(expr, hx.Permutation):
            if len(expr.items) > MAX_PERMUTATION_ITEMS:
                raise ConfigError(f"a permutation of {len(expr.items)} parts is too large")
            orders = [hx.Sequence(items=list(p)) for p in itertools.permutations(expr.items)]
            return self._node(hx.Alternative(items=list(orders)), local_lists, local_rules)
        if isinstance(expr, hx.Alternative):
            kids = [self._node(i, local_lists, local_rules) for i in expr.items]
            alive = [k for k in kids if k is not None and k != Seq(())]
            optional = expr.is_optional or any(k == Seq(()) for k in kids)
            if not alive:
                return Seq(()) if optional else None
            if len(alive) == 1 and not optional:
                return alive[0]
            return Alt(tuple(alive), optional)
        if isinstance(expr, hx.Group):  # a Sequence
            items: list[Node] = []
            for item in expr.items:
                node = self._node(item, local_lists, local_rules)
                if node is None:
                    return None
                if node != Seq(()):
                    items.extend(node.items if isinstance(node, Seq) else [node])
            return Seq(()) if not items else _seq(items)
        if isinstance(expr, hx.ListReference):
            return self._list_ref(expr, local_lists, local_rules)
        if isinstance(expr, hx.RuleReference):
            body = local_rules.get(expr.rule_name) or self._rules_src.get(expr.rule_name)
            if body is None:
                raise ConfigError(f"template uses undefined rule <{expr.rule_name}>")
            name = self._name_for(body, f"rule_{expr.rule_name}")
            return self._rule(name, body.expression, local_lists, local_rules)
        return Seq(())

    def _rule(
        self,
        name: str,
        expr: hx.Expression | None,
        local_lists: dict[str, SlotList],
        local_rules: dict[str, hx.Sentence],
        values: list[Node | None] | None = None,
    ) -> Node | None:
        name = _rule_name(name)
        if name in self._grammar.rules:
            return Ref(name)
        if name in self._building:
            raise ConfigError(f"rule <{name}> refers to itself")
        self._building.add(name)
        if values is None:
            node = self._node(expr, local_lists, local_rules) if expr is not None else None
        else:
            alive = tuple(v for v in values if v is not None and v != Seq(()))
            node = Alt(alive) if len(alive) > 1 else (alive[0] if alive else None)
        self._building.discard(name)
        if node is None or node == Seq(()):
            return node
        self._grammar.rules[name] = node
        return Ref(name)

    def _list_ref(
        self,
        ref: hx.ListReference,
        local_lists: dict[str, SlotList],
        local_rules: dict[str, hx.Sentence],
    ) -> Node | None:
        if ref.is_inline_range:
            bounds = ref.get_inline_range()
            assert bounds is not None
            return self._rule(
                f"range_{bounds[0]}_{bounds[1]}_{bounds[2]}",
                None, local_lists, local_rules,
                self._number_nodes(range(bounds[0], bounds[1] + 1, bounds[2])),
            )  # fmt: skip
        slot_list = local_lists.get(ref.list_name) or self._lists.get(ref.list_name)
        if slot_list is None:
            raise ConfigError(f"template uses undefined list {{{ref.list_name}}}")
        if isinstance(slot_list, WildcardSlotList):
            log.warning("wildcard list {%s} cannot be spoken; left out", ref.list_name)
            return None
        if isinstance(slot_list, RangeSlotList):
            numbers = range(slot_list.start, slot_list.stop + 1, slot_list.step)
            return self._rule(
                self._name_for(slot_list, f"list_{ref.list_name}"),
                None, local_lists, local_rules, self._number_nodes(numbers),
            )  # fmt: skip
        assert isinstance(slot_list, TextSlotList)
        nodes = [self._node(v.text_in, local_lists, local_rules) for v in slot_list.values]
        name = self._name_for(slot_list, f"list_{ref.list_name}")
        return self._rule(name, None, local_lists, local_rules, nodes)

    def _name_for(self, source: object, wanted: str) -> str:
        """One rule name per list or rule definition.

        Two intents may each define a local ``{thing}`` with other values, and two
        names may clean up to the same one: each definition gets a name of its own.
        """
        key = id(source)  # the sources live as long as the intents being compiled
        if key not in self._names:
            name, n = _rule_name(wanted), 1
            taken = set(self._names.values())
            while name in taken:
                n += 1
                name = f"{_rule_name(wanted)}_{n}"
            self._names[key] = name
        return self._names[key]

    def _number_nodes(self, numbers: range) -> list[Node | None]:
        if len(numbers) > MAX_RANGE_VALUES:
            raise ConfigError(f"a number range of {len(numbers)} values is too large to speak")
        return [self._word_node(self._numbers.format_number(n).text) for n in numbers]


def spoken(data: IntentData) -> bool:
    """False for a block marked ``metadata: {speech: false}`` (typed only)."""
    return (data.metadata or {}).get("speech", True) is not False


def _rule_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def compile_grammar(
    intents: CommandIntents, known: Callable[[str], bool], only: Collection[str] | None = None
) -> Grammar:
    """Compile ``intents`` for a recognizer whose vocabulary test is ``known`` (``only``:
    the sentences of the intents so named, not all)."""
    return GrammarCompiler(intents, known, only).compile()
