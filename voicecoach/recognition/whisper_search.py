"""The command grammar walked as Whisper tokens: a best-first search scored by the decoder.

Whisper writes what it hears as text tokens; the question the coach asks is whether one
of its commands explains the audio nearly as well as that free transcription does. The
grammar's word automaton (:mod:`voicecoach.recognition.word_automaton`) is walked one
word at a time, each word as the tokens Whisper would write for it (capitalized where a
sentence starts, "I" always), between optional filler words ("okay", "just", "now",
the intents' skip words) with the commas and full stops Whisper puts around them, and
ended by the end-of-text token (with or without a final ".", "!" or "?"). Without the
end-of-text score, "stop by the shop later" would pass as "stop".

The walk is lazy (a file of millions of sentences is never enumerated) and best-first:
the hypothesis with the highest log-probability so far is extended first, so the first
complete one is the best. Log-probabilities only fall as tokens are added, so any
hypothesis already below ``bound`` (the free transcription's score less the margin)
can never be accepted and is dropped. The decoder scores a whole word prefix at once
(teacher forcing): one batch item per hypothesis extended, several per call; the free
transcription's own distributions are reused, so a command heard exactly as Whisper
wrote it costs no call at all.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from voicecoach.recognition.word_automaton import Automaton

# Words people put around a command ("okay, just stop now"); the intents' skip words join
# them. At most MAX_FILLERS before the command and as many after it.
FILLERS = ("okay", "ok", "oh", "um", "uh", "so", "well", "just", "now", "please", "hey", "then")
MAX_FILLERS = 2
END_MARKS = (".", "!", "?")

Prefix = tuple[int, ...]  # text tokens after the prompt
# Scores each prefix's continuation: for every prefix, the log-probability vectors after
# each of its own prefixes (index i: after prefix[:i]), so one item scores a whole word.
Scorer = Callable[[Sequence[Prefix]], list[list[np.ndarray]]]


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
class SearchResult:
    """The best command found (None: none within the bound) and what the search cost."""

    best: Hypothesis | None
    items: int = 0  # decoder batch items scored
    calls: int = 0  # decoder calls


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


Entry = tuple[float, int, Hypothesis, int]  # -score, order, hypothesis, first unscored token


class Search:
    """Best-first search of the token grammar, scored in batches by ``scorer``.

    A hypothesis whose last word has more than one token is first scored on that word's
    first token only (an upper bound), and exactly once the decoder has seen the word.
    """

    def __init__(
        self,
        grammar: TokenGrammar,
        scorer: Scorer,
        known: dict[Prefix, np.ndarray] | None = None,
        batch: int = 8,
        max_calls: int = 6,
        fillers: Iterable[str] | None = None,
    ) -> None:
        self.grammar = grammar
        self.fillers = tuple(grammar.fillers if fillers is None else fillers)
        self.scorer = scorer
        self.known: dict[Prefix, np.ndarray] = dict(known or {})  # log-probs after a prefix
        self.batch = batch
        self.max_calls = max_calls
        self._order = itertools.count()
        self._floor = self._end_floor = -math.inf

    def _push(self, heap: list[Entry], hyp: Hypothesis, unscored: int | None = None) -> None:
        """Queue ``hyp``; its tokens from ``unscored`` on are not in its score yet."""
        first = len(hyp.tokens) if unscored is None else unscored
        heapq.heappush(heap, (-hyp.score, next(self._order), hyp, first))

    def _needs(self, hyp: Hypothesis) -> bool:
        """Whether the decoder must see ``hyp``'s tokens before it can go on."""
        return not hyp.done and hyp.tokens not in self.known

    def _fetch(self, prefixes: list[Prefix], result: SearchResult) -> None:
        vectors = self.scorer(prefixes)
        result.calls += 1
        result.items += len(prefixes)
        for prefix, dists in zip(prefixes, vectors, strict=True):
            for i, dist in enumerate(dists[: len(prefix) + 1]):
                self.known.setdefault(prefix[:i], dist)

    def run(
        self, bound: float, floor: float = -math.inf, end_floor: float = -math.inf
    ) -> SearchResult:
        """The best complete hypothesis scoring at least ``bound`` in all, no token of it
        below ``floor`` and its end of text not below ``end_floor``.

        When the decoder calls run out first, the best complete one found so far (if any).
        """
        self._floor, self._end_floor = floor, end_floor
        result = SearchResult(None)
        heap: list[Entry] = []
        self._push(heap, self.grammar.start())
        while heap:
            entry = heapq.heappop(heap)
            _, _, hyp, unscored = entry
            if hyp.done:
                result.best = hyp
                return result
            if self._needs(hyp):
                if result.calls >= self.max_calls:
                    heap.append(entry)
                    break
                self._fetch_batch(entry, heap, result)
                continue
            if unscored < len(hyp.tokens):
                rest = self._rest(hyp.tokens, unscored)
                score = hyp.score + sum(rest)
                if score >= bound and min(rest) >= self._floor:
                    self._push(heap, Hypothesis(hyp.tokens, score, hyp.words, hyp.place))
                continue
            self._expand(hyp, bound, heap)
        done = [e[2] for e in heap if e[2].done]
        result.best = max(done, key=lambda h: h.score) if done else None
        return result

    def _fetch_batch(self, entry: Entry, heap: list[Entry], result: SearchResult) -> None:
        """Score ``entry`` and the next best hypotheses that need the decoder, in one call."""
        put_back = [entry]
        prefixes = {self._chain(entry[2]): None}
        while heap and len(prefixes) < self.batch:
            other = heapq.heappop(heap)
            put_back.append(other)
            if self._needs(other[2]):
                prefixes.setdefault(self._chain(other[2]), None)
        self._fetch(list(prefixes), result)
        for item in put_back:
            heapq.heappush(heap, item)

    def _chain(self, hyp: Hypothesis, longest: int = 12) -> Prefix:
        """``hyp``'s tokens and those the grammar must add next (a word with no other way on),
        so that one decoder item scores the whole stretch ("take" -> "take me back to the")."""
        tokens, place = hyp.tokens, hyp.place
        while len(tokens) < len(hyp.tokens) + longest:
            ways = self.grammar.steps(Hypothesis(tokens, 0.0, (), place), self.fillers)
            if len(ways) != 1 or ways[0][2] is None:
                break
            tokens, place = tokens + ways[0][0], ways[0][2]
        return tokens

    def _rest(self, tokens: Prefix, start: int) -> list[float]:
        """Log-probability of each of ``tokens[start:]`` after those before it (all known)."""
        return [float(self.known[tokens[:i]][tokens[i]]) for i in range(start, len(tokens))]

    def _expand(self, hyp: Hypothesis, bound: float, heap: list[Entry]) -> None:
        dist = self.known[hyp.tokens]
        for added, words, place in self.grammar.steps(hyp, self.fillers):
            if place is None:  # the end of text
                end = float(dist[self.grammar.eot])
                score = hyp.score + end
                if score >= bound and end >= self._end_floor:
                    self._push(heap, Hypothesis(hyp.tokens, score, hyp.words, hyp.place, True))
                continue
            step = float(dist[added[0]])
            first = hyp.score + step  # an upper bound for the whole word
            if first >= bound and step >= self._floor:
                child = Hypothesis(hyp.tokens + added, first, hyp.words + words, place)
                self._push(heap, child, len(hyp.tokens) + 1)
