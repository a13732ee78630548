"""Vosk engine: grammar mode with an unknown-word token for out-of-grammar speech.

Vosk builds a small language model from a list of phrases. The list comes from the
command grammar (bounded, every branch covered) plus ``[unk]``, so speech that is not
a command decodes to ``[unk]`` instead of being forced into the nearest command; any
result holding ``[unk]`` is rejected.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from voicecoach.audio.chunk import SPEECH_RATE, Samples
from voicecoach.commands.intents import CommandIntents
from voicecoach.errors import ModelError
from voicecoach.recognition.grammar import Grammar, compile_grammar
from voicecoach.recognition.model_files import check_model
from voicecoach.recognition.recognizer import Recognition

log = logging.getLogger(__name__)

UNK = "[unk]"
MAX_PHRASES = 3000
MIN_WORD_CONFIDENCE = 0.5


def _vosk() -> Any:
    """The vosk module, imported only when Vosk is used: it adds start-up time for nothing
    on the default engine."""
    import vosk

    return vosk


def load_model(path: Path) -> Any:
    """Load a Vosk model folder, or raise ModelError saying what is wrong with it."""
    check = check_model(path)
    if not check.ok:
        raise ModelError(f"Vosk model {path} is not usable: {'; '.join(check.problems)}")
    if not check.grammar:
        raise ModelError(f"Vosk model {path} has a static graph: grammars need HCLr.fst + Gr.fst")
    vosk = _vosk()
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception on any load failure
        raise ModelError(f"Vosk model {path} failed to load: {exc}") from None


class VoskRecognizer:
    """Decodes utterances at SPEECH_RATE with a Vosk model restricted to the command phrases."""

    engine = "vosk"
    sample_rate = SPEECH_RATE

    def __init__(
        self,
        model_dir: Path,
        intents: CommandIntents,
        min_confidence: float = MIN_WORD_CONFIDENCE,
    ) -> None:
        self.model_dir = model_dir
        self.intents = intents
        self.min_confidence = min_confidence
        self._model = load_model(model_dir)
        self.grammar: Grammar = compile_grammar(intents, self._known)
        self.has_unk = self._known(UNK)
        if not self.has_unk:
            log.info("model %s has no %s word: rejection relies on intent matching", model_dir, UNK)
        self.phrases = self.grammar.phrases(MAX_PHRASES) + ([UNK] if self.has_unk else [])
        self._grammar_json = json.dumps(self.phrases, ensure_ascii=False)
        log.info("vosk ready: %s, %d phrases", model_dir, len(self.phrases))

    def _known(self, word: str) -> bool:
        return int(self._model.vosk_model_find_word(word)) >= 0

    def _new_decoder(self) -> Any:
        rec = _vosk().KaldiRecognizer(self._model, float(self.sample_rate), self._grammar_json)
        rec.SetWords(True)
        return rec

    def decode(self, samples: Samples) -> dict[str, Any]:
        """Vosk's final result for one utterance, as a dict."""
        rec = self._new_decoder()
        rec.AcceptWaveform(samples.tobytes())
        result: dict[str, Any] = json.loads(rec.FinalResult())
        return result

    def recognize(self, samples: Samples) -> Recognition:
        """Decode one utterance; reject it when any word is unknown or unsure."""
        result = self.decode(samples)
        text = str(result.get("text", "")).strip()
        words = result.get("result") or []
        confs = [float(w.get("conf", 0.0)) for w in words]
        confidence = min(confs) if confs else 0.0
        if not text or UNK in text.split():
            return Recognition(text=text, confidence=0.0)
        return Recognition(text, accepted=confidence >= self.min_confidence, confidence=confidence)
