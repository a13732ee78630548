"""PocketSphinx engine: grammar-constrained decoding with out-of-grammar rejection.

A grammar search always finds *some* command, whatever was said. To tell a command
from other speech, the same audio is also decoded by an unconstrained phone loop
(allphone search), and two measures are combined by a small logistic model:

* the mean per-frame log-likelihood ratio between the grammar path and the phone
  loop: speech that fits the grammar scores nearly as well as the free loop;
* how many frames of speech the phone loop found per phone of the grammar's words:
  a sentence forced into a short command leaves far too much speech per phone.

The weights were fitted on the benchmark's tuning voices only (benchmarks/recognition.py
--tune, with pitch and tempo changes and noise); the held-out voices report.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pocketsphinx

from voicecoach.audio import Samples
from voicecoach.denoise import prepare
from voicecoach.errors import ModelError
from voicecoach.grammar import Grammar, compile_grammar
from voicecoach.intents import CommandIntents
from voicecoach.recognizer import Recognition, intent_of

log = logging.getLogger(__name__)

# Logistic acceptance model: score = W_LLR * llr + W_PACE * log(1 + frames per phone)
# + BIAS, where llr is the mean per-frame log-likelihood ratio (grammar path minus
# phone loop, x1000). An utterance is accepted when the score clears the threshold.
W_LLR = 2.75
W_PACE = -3.71
BIAS = 11.76
DEFAULT_THRESHOLD = 0.5
_FLOOR = 1e-300  # segment scores are linear probabilities and can underflow
_FILLER = ("<", "[", "+", "SIL")  # silence and noise entries in a segmentation


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

    def _decode(self, search: str, samples: Samples) -> tuple[str | None, float, int]:
        """Hypothesis text (None: no full grammar path), its log acoustic score, and a
        count: phones of the grammar's words, or frames of speech in the phone loop."""
        dec = self._decoder
        dec.activate_search(search)
        dec.start_utt()
        dec.process_raw(samples.tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        if hyp is None:
            return None, 0.0, 0
        segments = list(dec.seg())
        score = sum(math.log(max(seg.ascore, _FLOOR)) for seg in segments)
        spoken = [seg for seg in segments if not seg.word.startswith(_FILLER)]
        if search == "phones":
            count = sum(seg.end_frame - seg.start_frame + 1 for seg in spoken)
        else:
            count = sum(self._phones(seg.word) for seg in spoken)
        return hyp.hypstr, score, count

    def score(self, samples: Samples) -> tuple[str, float | None]:
        """Grammar hypothesis and its acceptance score (None: no grammar path).

        ``samples`` are decoded as given (see :func:`voicecoach.denoise.prepare`).
        """
        frames = max(1, len(samples) // 160)
        text, grammar_score, phones = self._decode("commands", samples)
        if text is None or not text.strip():
            return text or "", None
        _, free_score, speech_frames = self._decode("phones", samples)
        llr = 1000.0 * (grammar_score - free_score) / frames
        pace = math.log(1.0 + speech_frames / max(phones, 1))
        return text, W_LLR * llr + W_PACE * pace + BIAS

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
