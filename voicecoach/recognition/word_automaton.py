"""The command grammar as a minimal word automaton, for PocketSphinx's FSG search.

PocketSphinx turns a JSGF grammar into a finite-state grammar by copying every rule at
each place it is used and joining the copies with empty (null) transitions: the large
home-control file of the tests became 4,003 states and 20,267 transitions, and the
search pays for every one of them in every frame. The sentences the grammar allows are
a regular language, so they have a smallest deterministic automaton; this module builds
it (Brzozowski: determinize the reversed automaton, then reverse and determinize again)
and hands its transitions to PocketSphinx directly. The same file then needs 32 states
and 924 transitions, and the coach's own commands 116 states instead of 511.

Slots are not lost: the recognizer returns the heard words and the intents matcher
(hassil) finds the intent and slots in them, as it does for typed commands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from voicecoach.recognition.grammar import Grammar, Node, Ref, Seq, Word

# Determinizing can grow an automaton exponentially in the worst case; past this many
# states the recognizer keeps PocketSphinx's own JSGF compilation instead.
MAX_STATES = 200_000

Arc = tuple[int, str | None, int]  # from, word (None: empty), to
Transition = tuple[int, int, float, str]  # from, to, probability, word: PocketSphinx's form


class TooLarge(Exception):
    """The automaton would pass MAX_STATES."""


@dataclass(frozen=True)
class Automaton:
    """A word automaton; after :func:`minimal_automaton`, deterministic and minimal."""

    start: int
    finals: frozenset[int]
    arcs: tuple[Arc, ...]

    @property
    def states(self) -> int:
        return 1 + max([self.start, *(max(a, b) for a, _, b in self.arcs)])

    def fsg_transitions(self) -> tuple[int, int, list[Transition]]:
        """Start state, final state and transitions for ``Decoder.create_fsg``.

        PocketSphinx wants one final state. Rather than join the accepting states to a
        new one by empty transitions (which the search would follow at every word
        exit), a word that can end a sentence also leads straight to the new final
        state, and only there when nothing can follow it. Each state shares its
        probability evenly among the ways on.
        """
        final = self.states
        ongoing = {a for a, _, _ in self.arcs}
        leaving: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for a, word, b in self.arcs:
            assert word is not None, "only a minimal automaton has no empty transitions"
            if b in self.finals:
                leaving[a].append((final, word))
            if b in ongoing:
                leaving[a].append((b, word))
        transitions: list[Transition] = []
        for a, ways in leaving.items():
            share = 1.0 / len(ways)
            transitions.extend((a, b, share, word) for b, word in ways)
        return self.start, final, transitions


def word_automaton(grammar: Grammar) -> Automaton:
    """The grammar's sentences as an automaton with empty transitions (rules inlined)."""
    arcs: list[Arc] = []
    count = 2  # 0: start, 1: final

    def new() -> int:
        nonlocal count
        count += 1
        if count > MAX_STATES:
            raise TooLarge(f"more than {MAX_STATES} states")
        return count - 1

    def build(node: Node, a: int, b: int) -> None:
        if isinstance(node, Word):
            arcs.append((a, node.text, b))
        elif isinstance(node, Ref):
            build(grammar.rules[node.rule], a, b)
        elif isinstance(node, Seq):
            if not node.items:
                arcs.append((a, None, b))
            here = a
            for i, item in enumerate(node.items):
                there = b if i == len(node.items) - 1 else new()
                build(item, here, there)
                here = there
        else:
            for item in node.items:
                build(item, a, b)
            if node.optional:
                arcs.append((a, None, b))

    for sentence in grammar.sentences:
        build(sentence, 0, 1)
    return Automaton(0, frozenset({1}), tuple(arcs))


def minimal_automaton(grammar: Grammar) -> Automaton:
    """The smallest deterministic automaton of the grammar's sentences; TooLarge past MAX_STATES."""
    return _determinize(_reverse(_determinize(_reverse(word_automaton(grammar)))))


def _reverse(auto: Automaton) -> _Reversed:
    return _Reversed(auto.finals, frozenset({auto.start}), [(b, w, a) for a, w, b in auto.arcs])


@dataclass(frozen=True)
class _Reversed:
    """An automaton with several start states (what reversing a deterministic one gives)."""

    starts: frozenset[int]
    finals: frozenset[int]
    arcs: list[Arc]


def _determinize(auto: _Reversed) -> Automaton:
    """Subset construction, empty transitions followed; only reachable states are kept."""
    empty: dict[int, list[int]] = defaultdict(list)
    moves: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for a, word, b in auto.arcs:
        if word is None:
            empty[a].append(b)
        else:
            moves[a].append((word, b))

    def closure(states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        todo = list(seen)
        while todo:
            for nxt in empty[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    first = closure(auto.starts)
    ids = {first: 0}
    todo = [first]
    arcs: list[Arc] = []
    finals: set[int] = set()
    while todo:
        subset = todo.pop()
        here = ids[subset]
        if subset & auto.finals:
            finals.add(here)
        targets: dict[str, set[int]] = defaultdict(set)
        for state in subset:
            for word, nxt in moves[state]:
                targets[word].add(nxt)
        for word in sorted(targets):
            there = closure(targets[word])
            if there not in ids:
                if len(ids) >= MAX_STATES:
                    raise TooLarge(f"more than {MAX_STATES} states")
                ids[there] = len(ids)
                todo.append(there)
            arcs.append((here, word, ids[there]))
    return Automaton(0, frozenset(finals), tuple(arcs))
