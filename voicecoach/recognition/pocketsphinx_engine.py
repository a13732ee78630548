"""PocketSphinx engine: grammar-constrained decoding with out-of-grammar rejection.

A grammar search always finds *some* command, whatever was said. To tell a command
from other speech, one decoding pass is measured five ways and the measures are
combined by a small logistic model:

* the best path's total score: PocketSphinx scores each frame against the best
  senone of that frame, so a path that fits the speech stays near zero and a
  sentence forced into a command falls far below it;
* the same score per frame, inside the words only (how well the words fit);
* speech frames (by energy) per phone of the heard words: a sentence forced into a
  short command leaves far too much speech per phone;
* frames the words take per phone: forced words are stretched over other speech;
* the share of speech frames the path gives to silence or noise: words that are not
  in a command are swallowed by the silence model.

An earlier version compared the grammar path with a second, unconstrained phone-loop
pass. These measures reject other speech as well without it, at 40% of the cost.

The weights come from ``benchmarks/fit_rejection.py``, which fits them on its own
voices and sentences; the recognition benchmark's held-out voices and negative
sentences are not used.
"""

from __future__ import annotations

import logging
import math
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import pocketsphinx

from voicecoach.audio.chunk import SPEECH_RATE, Samples
from voicecoach.commands.intents import CommandIntents
from voicecoach.errors import ModelError
from voicecoach.recognition.denoise import prepare, speech_frames
from voicecoach.recognition.grammar import Grammar, compile_grammar
from voicecoach.recognition.recognizer import Recognition
from voicecoach.recognition.word_automaton import TooLarge, minimal_automaton

log = logging.getLogger(__name__)

# Logistic acceptance model (benchmarks/fit_rejection.py): an utterance is accepted when
# the weighted sum of its Features plus BIAS clears the threshold (in log-odds).
WEIGHTS = {
    "path": 2.9029,
    "word_fit": 1.2461,
    "pace": 0.6222,
    "word_pace": -2.7575,
    "swallowed": -11.8453,
}
BIAS = 13.2552
DEFAULT_THRESHOLD = 1.25  # log-odds: the highest that accepts 85% of the fit's right commands
_FLOOR = 1e-300  # path and segment scores are linear probabilities and can underflow
_FILLER = ("<", "[", "+", "SIL", "(NULL)")  # silence, noise and empty entries


@dataclass(frozen=True)
class Segment:
    """One word of a decoded path, frames inclusive."""

    label: str
    start: int
    end: int
    log_score: float  # acoustic

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    @property
    def filler(self) -> bool:
        return self.label.startswith(_FILLER)


@dataclass(frozen=True)
class Features:
    """What the acceptance model looks at (see the module docstring)."""

    path: float
    word_fit: float
    pace: float
    word_pace: float
    swallowed: float

    def score(self) -> float:
        values = astuple(self)  # in the order of WEIGHTS
        return float(sum(w * v for w, v in zip(WEIGHTS.values(), values, strict=True))) + BIAS


def swallowed_share(path: list[Segment], speech: np.ndarray) -> float:
    """Share of the speech frames (``speech``: one flag per frame) the path gives to fillers."""
    total = int(speech.sum())
    if total == 0:
        return 0.0
    filled = np.zeros(len(speech), dtype=bool)
    for seg in path:
        if seg.filler and seg.start >= 0:
            filled[seg.start : seg.end + 1] = True
    return float((speech & filled).sum()) / total


class PocketSphinxRecognizer:
    """Decodes utterances at SPEECH_RATE (its model's rate) against the command grammar."""

    engine = "pocketsphinx"
    sample_rate = SPEECH_RATE

    def __init__(
        self,
        intents: CommandIntents,
        threshold: float = DEFAULT_THRESHOLD,
        model_dir: Path | None = None,
    ) -> None:
        self.intents = intents
        self.threshold = threshold
        base = model_dir or Path(pocketsphinx.get_model_path()) / "en-us"
        hmm = base / "en-us"
        if not hmm.is_dir():
            raise ModelError(f"PocketSphinx model not found in {base}")
        self._decoder = pocketsphinx.Decoder(
            hmm=str(hmm),
            dict=str(base / "cmudict-en-us.dict"),
            lm=None,
            bestpath=False,  # the lattice pass can return paths the grammar does not allow
            loglevel="FATAL",  # "final result does not match the grammar" is expected noise
        )
        self.grammar: Grammar = compile_grammar(intents, self._known)
        self._load_grammar()
        self._decoder.activate_search("commands")
        log.info("pocketsphinx ready: %d grammar words", len(self.grammar.words))

    def _load_grammar(self) -> None:
        """The grammar as its minimal automaton (see voicecoach.recognition.word_automaton)."""
        try:
            automaton = minimal_automaton(self.grammar)
        except TooLarge as exc:
            log.info("grammar automaton not built (%s); PocketSphinx compiles the JSGF", exc)
            self._decoder.add_jsgf_string("commands", self.grammar.to_jsgf())
            return
        start, final, transitions = automaton.fsg_transitions()
        fsg = self._decoder.create_fsg("commands", start, final, transitions)
        self._decoder.add_fsg("commands", fsg)

    def _known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def _phones(self, word: str) -> int:
        found = self._decoder.lookup_word(word.split("(")[0])
        return len(found.split()) if found else 3

    def _decode(self, samples: Samples) -> tuple[str | None, float, list[Segment]]:
        """Hypothesis text (None: no full path), the path's log score, its segmentation."""
        dec = self._decoder
        dec.start_utt()
        dec.process_raw(samples.tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        if hyp is None:
            return None, 0.0, []
        segments = [
            Segment(seg.word, seg.start_frame, seg.end_frame, math.log(max(seg.ascore, _FLOOR)))
            for seg in dec.seg()
        ]
        return hyp.hypstr, math.log(max(hyp.best_score, _FLOOR)), segments

    def features(self, samples: Samples) -> tuple[str, Features | None]:
        """Grammar hypothesis and the acceptance features (None: no grammar path).

        ``samples`` are decoded as given (see :func:`voicecoach.recognition.denoise.prepare`).
        """
        text, path_score, path = self._decode(samples)
        if text is None or not text.strip():
            return text or "", None
        words = [seg for seg in path if not seg.filler]
        phones = max(1, sum(self._phones(seg.label) for seg in words))
        word_frames = max(1, sum(seg.frames for seg in words))
        speech = speech_frames(samples)
        return text, Features(
            path=path_score,
            word_fit=1000.0 * sum(seg.log_score for seg in words) / word_frames,
            pace=math.log(1.0 + int(speech.sum()) / phones),
            word_pace=math.log(1.0 + word_frames / phones),
            swallowed=swallowed_share(path, speech),
        )

    def score(self, samples: Samples) -> tuple[str, float | None]:
        """Grammar hypothesis and its acceptance score in log-odds (None: no grammar path)."""
        text, features = self.features(samples)
        return text, None if features is None else features.score()

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; accept it only when it clearly fits the grammar."""
        if len(samples) < self.sample_rate // 10:  # under 0.1 s: nothing to decode
            return Recognition(text="")
        text, value = self.score(prepare(samples))
        if value is None:
            return Recognition(text=text)
        margin = max(-50.0, min(50.0, value - self.threshold))
        confidence = 1.0 / (1.0 + math.exp(-margin))
        return Recognition(text, accepted=value >= self.threshold, confidence=confidence)
