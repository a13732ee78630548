"""The command grammar as Whisper writes it: words as tokens, with fillers and marks.

Whisper writes what it hears as text tokens. To score a command against the audio, its
words must be the tokens Whisper would write: capitalized where a sentence starts, "I"
always, between optional filler words ("okay", "just", "now", the intents' skip words)
with the commas and full stops Whisper puts around them, and ended by the end-of-text
token (with or without a final ".", "!" or "?"). The grammar's word automaton
(:mod:`voicecoach.recognition.word_automaton`) is determinized as it is walked, so a
file of millions of sentences is never enumerated. :func:`parse_words` asks the same
of a transcription's words, with no decoder at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from unicode_rbnf import RbnfEngine

from voicecoach.commands.intents import normalize
from voicecoach.recognition.word_automaton import Automaton

# Words people put around a command ("okay, just stop now"); the intents' skip words join
# them. At most MAX_FILLERS before the command and as many after it.
FILLERS = ("okay", "ok", "oh", "um", "uh", "so", "well", "just", "now", "please", "hey", "then")
MAX_FILLERS = 2
END_MARKS = (".", "!", "?")

Prefix = tuple[int, ...]  # text tokens after the prompt


class Stage(Enum):
    LEAD = 0  # fillers before the command; the command has not started
    COMMAND = 1  # inside the command
    TRAIL = 2  # fillers after a complete command
    END = 3  # after the final mark: only the end of text


@dataclass(frozen=True)
class Place:
    """Where a hypothesis stands: stage, automaton states, how the next word is written."""

    stage: Stage
    states: frozenset[int]
    capital: bool  # the next word starts a sentence
    fillers: int = 0  # fillers used in this stage
    after_filler: bool = False  # a comma or full stop may come next


@dataclass(frozen=True)
class Hypothesis:
    """A partial (or, with ``done``, complete) path through the token grammar."""

    tokens: Prefix
    score: float  # log-probability of ``tokens`` (and of the end, when done)
    words: tuple[str, ...]  # the command's words so far (no fillers)
    place: Place
    done: bool = False


class Lazy:
    """The word automaton with its empty transitions followed, determinized as it is walked."""

    def __init__(self, automaton: Automaton) -> None:
        self._empty: dict[int, list[int]] = defaultdict(list)
        self._moves: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for a, word, b in automaton.arcs:
            if word is None:
                self._empty[a].append(b)
            else:
                self._moves[a].append((word, b))
        self._finals = automaton.finals
        self._cache: dict[frozenset[int], dict[str, frozenset[int]]] = {}
        self.start = self._closure([automaton.start])

    def _closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        todo = list(seen)
        while todo:
            for nxt in self._empty[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def moves(self, states: frozenset[int]) -> dict[str, frozenset[int]]:
        """Each word that can come next, and the states it leads to."""
        found = self._cache.get(states)
        if found is None:
            targets: dict[str, set[int]] = defaultdict(set)
            for state in states:
                for word, nxt in self._moves[state]:
                    targets[word].add(nxt)
            found = {word: self._closure(nxt) for word, nxt in targets.items()}
            self._cache[states] = found
        return found

    def final(self, states: frozenset[int]) -> bool:
        return bool(states & self._finals)


def surface(word: str, capital: bool) -> str:
    """How Whisper writes a grammar word: "I" and "I'm" always capitalized."""
    if word == "i" or word.startswith("i'"):
        return "I" + word[1:]
    return word[:1].upper() + word[1:] if capital else word


_NUMBERS = RbnfEngine.for_language("en")
MAX_SPELLED = 10**9  # a longer run of digits is no number a person says as a command


def spell_numbers(words: Sequence[str]) -> list[str]:
    """``words`` with each number Whisper wrote in digits ("5", "25") spelled out as the
    grammar has it ("five", "twenty five"), so a command with a number slot parses."""
    out: list[str] = []
    for word in words:
        if word.isdigit() and int(word) < MAX_SPELLED:
            out.extend(normalize(_NUMBERS.format_number(int(word)).text).split())
        else:
            out.append(word)
    return out


def parse_words(
    automaton: Lazy, fillers: Iterable[str], words: Sequence[str]
) -> tuple[str, ...] | None:
    """The command in ``words`` when they are a command with at most MAX_FILLERS fillers
    before and after it (None: they are not); the longest command when several fit."""
    filler_set = frozenset(fillers)
    # (command started?, states, fillers used in this stage, command words)
    configs: set[tuple[bool, frozenset[int], int, tuple[str, ...]]] = {
        (False, automaton.start, 0, ())
    }
    for word in words:
        nxt: set[tuple[bool, frozenset[int], int, tuple[str, ...]]] = set()
        for started, states, used, said in configs:
            trailing = started and used > 0
            if not trailing:
                target = automaton.moves(states).get(word)
                if target is not None:
                    nxt.add((True, target, 0, (*said, word)))
            may_filler = not started or automaton.final(states)
            if word in filler_set and may_filler and used < MAX_FILLERS:
                nxt.add((started, states, used + 1, said))
        configs = nxt
    done = [said for started, states, _, said in configs if started and automaton.final(states)]
    return max(done, key=len) if done else None


@dataclass
class TokenGrammar:
    """The command grammar plus fillers and marks, as Whisper token sequences."""

    automaton: Lazy
    encode: Callable[[str], list[int]]
    eot: int
    fillers: tuple[str, ...] = FILLERS
    _tokens: dict[tuple[str, bool], Prefix] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._comma = self._text(",")
        self._marks = tuple(self._text(m) for m in END_MARKS)

    def _text(self, text: str) -> Prefix:
        return tuple(self.encode(text))

    def word_tokens(self, word: str, capital: bool) -> Prefix:
        key = (word, capital)
        found = self._tokens.get(key)
        if found is None:
            found = self._tokens[key] = self._text(" " + surface(word, capital))
        return found

    def start(self) -> Hypothesis:
        place = Place(Stage.LEAD, self.automaton.start, capital=True)
        return Hypothesis((), 0.0, (), place)

    def steps(
        self, hyp: Hypothesis, fillers: Iterable[str] | None = None
    ) -> list[tuple[Prefix, tuple[str, ...], Place | None]]:
        """Every way on from ``hyp``: tokens added, command words added, new place
        (None: the end of text follows the tokens). ``fillers``: those allowed here (by
        default all)."""
        place = hyp.place
        out: list[tuple[Prefix, tuple[str, ...], Place | None]] = []
        if place.stage is Stage.END:
            return [((), (), None)]
        can_end = place.stage is Stage.TRAIL or (
            place.stage is Stage.COMMAND and self.automaton.final(place.states)
        )
        if place.stage in (Stage.LEAD, Stage.COMMAND):
            for word, states in self.automaton.moves(place.states).items():
                after = Place(Stage.COMMAND, states, capital=False)
                out.append((self.word_tokens(word, place.capital), (word,), after))
        if place.stage is Stage.LEAD or can_end:
            stage = Stage.LEAD if place.stage is Stage.LEAD else Stage.TRAIL
            used = place.fillers if place.stage is stage else 0
            if used < MAX_FILLERS:
                after = Place(stage, place.states, False, used + 1, after_filler=True)
                for word in self.fillers if fillers is None else fillers:
                    out.append((self.word_tokens(word, place.capital), (), after))
            if place.after_filler:
                out.append((self._comma, (), Place(stage, place.states, False, used)))
                if stage is Stage.LEAD:
                    out.append((self._marks[0], (), Place(stage, place.states, True, used)))
        if can_end:
            out.append(((), (), None))
            end = Place(Stage.END, place.states, capital=True)
            out.extend((mark, (), end) for mark in self._marks)
            if place.stage is Stage.COMMAND:
                trail = Place(Stage.TRAIL, place.states, capital=False)
                out.append((self._comma, (), trail))
        return out
