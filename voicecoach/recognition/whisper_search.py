"""The best command for an utterance: a best-first walk of the token grammar, scored by
Whisper's decoder.

The hypothesis with the highest log-probability so far is extended first, so the first
complete one is the best. Log-probabilities only fall as tokens are added, so any
hypothesis already below ``bound`` (the free transcription's score less the margin), or
holding a token below ``floor``, can never be accepted and is dropped. The decoder
scores a whole word, or a stretch the grammar allows no way out of, in one batch item
(its prefix forced); several hypotheses go in one call; the free transcription's own
steps are reused, so a command heard exactly as Whisper wrote it costs no call at all.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from voicecoach.recognition.whisper_tokens import Hypothesis, Prefix, TokenGrammar

# Scores each prefix's continuation: for every prefix, the log-probability vectors after
# each of its own prefixes (index i: after prefix[:i]), so one item scores a whole word.
Scorer = Callable[[Sequence[Prefix]], list[list[np.ndarray]]]


@dataclass
class SearchResult:
    """The best command found (None: none within the bound) and what the search cost."""

    best: Hypothesis | None
    items: int = 0  # decoder batch items scored
    calls: int = 0  # decoder calls


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
