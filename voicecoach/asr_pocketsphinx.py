"""PocketSphinx engine: grammar-constrained decoding with out-of-grammar rejection.

A grammar search always finds *some* command, whatever was said. To tell a command
from other speech, the same audio is also decoded by an unconstrained phone loop
(allphone search). Speech that fits the grammar scores nearly as well as the free
phone loop; other speech forced through the grammar scores much worse. The mean
per-frame log-likelihood ratio between the two is the confidence measure, and an
utterance is accepted only when it clears a threshold and its words match an intent.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pocketsphinx

from voicecoach.audio import Samples
from voicecoach.errors import ModelError
from voicecoach.grammar import Grammar, compile_grammar
from voicecoach.intents import CommandIntents
from voicecoach.recognizer import Recognition, intent_of

log = logging.getLogger(__name__)

# Mean per-frame log-likelihood ratio (grammar path minus phone loop, x1000) below
# which an utterance is rejected. Chosen on voices the benchmark holds out; see
# benchmarks/recognition.py --tune.
DEFAULT_THRESHOLD = -1.2
CONFIDENCE_SCALE = 0.5  # LLR units per e-fold of the logistic confidence
_FLOOR = 1e-300  # segment scores are linear probabilities and can underflow
PAD_SECONDS = 0.25  # background added around an utterance: the decoder needs a lead-in


MIN_BACKGROUND = 16.0  # RMS of the floor added everywhere (about -66 dBFS)


def pad_with_background(samples: Samples, rate: int, seconds: float = PAD_SECONDS) -> Samples:
    """Surround ``samples`` with noise as loud as their quietest 10 ms frames.

    A recording that starts right on the first word leaves the decoder no silence
    to settle on, and digital silence has no spectrum to normalize; a little noise
    at the utterance's own background level (never below a faint floor) fixes both.
    """
    frame = rate // 100
    usable = len(samples) - len(samples) % frame
    if usable <= 0:
        return samples
    rms = np.sqrt(np.mean(samples[:usable].astype(np.float64).reshape(-1, frame) ** 2, axis=1))
    level = max(MIN_BACKGROUND, float(np.percentile(rms, 10)))
    rng = np.random.default_rng(len(samples))
    pad = rng.normal(0.0, level, int(rate * seconds))
    floor = rng.normal(0.0, MIN_BACKGROUND, len(samples))
    body = samples.astype(np.float64) + floor
    out = np.concatenate([pad, body, pad[::-1]])
    clipped: Samples = np.clip(out, -32768, 32767).astype(np.int16)
    return clipped


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
            loglevel="ERROR",
        )
        self.grammar: Grammar = compile_grammar(intents, self._known)
        self._decoder.add_jsgf_string("commands", self.grammar.to_jsgf())
        self._decoder.add_allphone_file("phones", str(base / "en-us-phone.lm.bin"))
        log.info("pocketsphinx ready: %d grammar words", len(self.grammar.words))

    def _known(self, word: str) -> bool:
        return self._decoder.lookup_word(word) is not None

    def _decode(self, search: str, samples: Samples) -> tuple[str | None, float]:
        """Hypothesis text (None when no full grammar path) and its log acoustic score."""
        dec = self._decoder
        dec.activate_search(search)
        dec.start_utt()
        dec.process_raw(samples.tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        if hyp is None:
            return None, 0.0
        score = sum(math.log(max(seg.ascore, _FLOOR)) for seg in dec.seg())
        return hyp.hypstr, score

    def score(self, samples: Samples) -> tuple[str, float | None]:
        """Grammar hypothesis and its LLR against the phone loop (None: no grammar path)."""
        frames = max(1, len(samples) // 160)
        text, grammar_score = self._decode("commands", samples)
        if text is None or not text.strip():
            return text or "", None
        _, free_score = self._decode("phones", samples)
        return text, 1000.0 * (grammar_score - free_score) / frames

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; reject it unless it clearly fits the grammar."""
        if len(samples) < 1600:
            return Recognition(text="", intent=None)
        text, llr = self.score(pad_with_background(samples, self.sample_rate))
        if llr is None:
            return Recognition(text=text, intent=None)
        confidence = 1.0 / (1.0 + math.exp(-(llr - self.threshold) / CONFIDENCE_SCALE))
        if llr < self.threshold:
            return Recognition(text=text, intent=None, confidence=confidence)
        return intent_of(self.intents, text, confidence)
