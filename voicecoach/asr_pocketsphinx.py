"""PocketSphinx engine: grammar-constrained decoding with out-of-grammar rejection.

A grammar search always finds *some* command, whatever was said. To tell a command
from other speech, the same audio is also decoded by an unconstrained phone loop
(allphone search), and three measures are combined by a small logistic model:

* the mean per-frame log-likelihood ratio between the grammar path and the phone
  loop: speech that fits the grammar scores nearly as well as the free loop;
* how many frames of speech the phone loop found per phone of the grammar's words:
  a sentence forced into a short command leaves far too much speech per phone;
* the share of the phone loop's speech that the grammar path calls silence or noise:
  words that are not in a command are swallowed by the silence model.

The weights come from ``benchmarks/fit_rejection.py``, which fits them on its own
voices and sentences; the recognition benchmark's held-out voices and negative
sentences are not used.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pocketsphinx

from voicecoach.audio import Samples
from voicecoach.denoise import prepare
from voicecoach.errors import ModelError
from voicecoach.grammar import Grammar, compile_grammar
from voicecoach.intents import CommandIntents
from voicecoach.recognizer import Recognition, intent_of

log = logging.getLogger(__name__)

# Logistic acceptance model (benchmarks/fit_rejection.py): an utterance is accepted
# when W_LLR * llr + W_PACE * pace + W_SWALLOWED * swallowed + BIAS clears the threshold.
W_LLR = 1.1372
W_PACE = -0.1342
W_SWALLOWED = -8.4267
BIAS = 4.7308
DEFAULT_THRESHOLD = 1.5  # log-odds: the lowest that accepts at most 2% of the fit's other speech
_FLOOR = 1e-300  # segment scores are linear probabilities and can underflow
_FILLER = ("<", "[", "+", "SIL", "(NULL)")  # silence, noise and empty entries


@dataclass(frozen=True)
class Segment:
    """One word or phone of a decoded path, frames inclusive."""

    label: str
    start: int
    end: int
    log_score: float

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    @property
    def filler(self) -> bool:
        return self.label.startswith(_FILLER)


@dataclass(frozen=True)
class Features:
    """What the acceptance model looks at (see the module docstring)."""

    llr: float
    pace: float
    swallowed: float

    def score(self) -> float:
        return W_LLR * self.llr + W_PACE * self.pace + W_SWALLOWED * self.swallowed + BIAS


def swallowed_share(grammar: list[Segment], phones: list[Segment]) -> float:
    """Share of the phone loop's speech frames that the grammar path gives to fillers."""
    speech = [p for p in phones if not p.filler]
    total = sum(p.frames for p in speech)
    if total == 0:
        return 0.0
    fillers = [g for g in grammar if g.filler and g.start >= 0]
    inside = sum(
        max(0, min(p.end, g.end) - max(p.start, g.start) + 1) for p in speech for g in fillers
    )
    return inside / total


class PocketSphinxRecognizer:
    """Decodes 16 kHz utterances against the command grammar."""

    engine = "pocketsphinx"
    sample_rate = 16000

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
        self._decoder.add_jsgf_string("commands", self.grammar.to_jsgf())
        self._decoder.add_allphone_file("phones", str(base / "en-us-phone.lm.bin"))
        log.info("pocketsphinx ready: %d grammar words", len(self.grammar.words))

    def _known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def _phones(self, word: str) -> int:
        found = self._decoder.lookup_word(word.split("(")[0])
        return len(found.split()) if found else 3

    def _decode(self, search: str, samples: Samples) -> tuple[str | None, list[Segment]]:
        """Hypothesis text (None: no full path) and its segmentation."""
        dec = self._decoder
        dec.activate_search(search)
        dec.start_utt()
        dec.process_raw(samples.tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        if hyp is None:
            return None, []
        segments = [
            Segment(seg.word, seg.start_frame, seg.end_frame, math.log(max(seg.ascore, _FLOOR)))
            for seg in dec.seg()
        ]
        return hyp.hypstr, segments

    def features(self, samples: Samples) -> tuple[str, Features | None]:
        """Grammar hypothesis and the acceptance features (None: no grammar path).

        ``samples`` are decoded as given (see :func:`voicecoach.denoise.prepare`).
        """
        frames = max(1, len(samples) // 160)
        text, grammar = self._decode("commands", samples)
        if text is None or not text.strip():
            return text or "", None
        _, phones = self._decode("phones", samples)
        grammar_score = sum(g.log_score for g in grammar)
        free_score = sum(p.log_score for p in phones)
        word_phones = sum(self._phones(g.label) for g in grammar if not g.filler)
        speech_frames = sum(p.frames for p in phones if not p.filler)
        return text, Features(
            llr=1000.0 * (grammar_score - free_score) / frames,
            pace=math.log(1.0 + speech_frames / max(word_phones, 1)),
            swallowed=swallowed_share(grammar, phones),
        )

    def score(self, samples: Samples) -> tuple[str, float | None]:
        """Grammar hypothesis and its acceptance score in log-odds (None: no grammar path)."""
        text, features = self.features(samples)
        return text, None if features is None else features.score()

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; reject it unless it clearly fits the grammar."""
        if len(samples) < 1600:
            return Recognition(text="", intent=None)
        text, value = self.score(prepare(samples))
        if value is None:
            return Recognition(text=text, intent=None)
        margin = max(-50.0, min(50.0, value - self.threshold))
        confidence = 1.0 / (1.0 + math.exp(-margin))
        if value < self.threshold:
            return Recognition(text=text, intent=None, confidence=confidence)
        return intent_of(self.intents, text, confidence)
