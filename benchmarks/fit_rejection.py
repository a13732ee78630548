"""Fit the PocketSphinx engine's acceptance model (voicecoach/asr_pocketsphinx.py).

Commands are synthesized with the recognition benchmark's TUNE voices (every spoken
phrasing, two speeds, clean and with noise at 9 dB), other speech from this file's own
sentences (none of them in the benchmark), and each utterance goes through the live
path (VAD segmenter, preparation, both searches). An utterance is a positive when the
grammar path gives the intended command and slots. A logistic regression over the
engine's features is fitted and printed with what each threshold would accept, to
paste into the engine by hand. The benchmark's EVAL voices are never used here.

    python benchmarks/fit_rejection.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from dataclasses import astuple
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from recognition import SPEEDS, TUNE_VOICES, every_phrasing, mix, place, synth

from voicecoach.asr_pocketsphinx import Features, PocketSphinxRecognizer
from voicecoach.denoise import prepare
from voicecoach.intents import load_intents
from voicecoach.vad import segment

OTHER_SPEECH = [
    "could you turn the light off when you leave",
    "the next train to the city is at half past",
    "I stopped at the bakery on the way",
    "we went back home after the game",
    "my shoulder has been sore since Tuesday",
    "please remind me to call my sister",
    "the dog needs a walk before it rains",
    "I think the soup is ready to eat",
    "let me know when you are done with the laptop",
    "this song always makes me smile",
    "we are out of coffee again",
    "the children start school next month",
    "hold still while I take the picture",
    "there is a long queue at the post office",
    "I forgot my keys in the car",
    "the plumber said he would come back tomorrow",
    "my legs are tired after the long walk",
    "can we watch the rest of the film tonight",
    "the garden looks lovely in the spring",
    "wait for me at the corner",
    "he kept talking through the whole lecture",
    "I will pause the game and come down",
    "that was the best holiday we ever had",
    "the meeting moved to Thursday afternoon",
    "breathe in the fresh air by the sea",
    "she is going to repeat the exam in June",
    "the kettle is on if you want some tea",
    "I need new running shoes",
    "how long does the cake need in the oven",
    "stretching after work helps me sleep",
]
REGULARIZATION = 1e-3
THRESHOLDS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # log-odds
# Other speech the chosen threshold may accept. Not zero: with some 60 sentences, one accept
# is noise, and the threshold that rejects all of them turned down a quarter of right
# commands ("wait" and "pause the workout" failed a live PulseAudio run three times in a row).
MAX_OTHER = 0.02


def features_of(
    recognizer: PocketSphinxRecognizer, audio: np.ndarray
) -> list[tuple[str, Features]]:
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    out = []
    for utterance in segment(pcm, 16000):
        text, features = recognizer.features(prepare(utterance.samples))
        if features is not None:
            out.append((text, features))
    return out


def fit(
    x: np.ndarray, y: np.ndarray, steps: int = 5000, rate: float = 0.2
) -> tuple[np.ndarray, float]:
    """Logistic regression on standardized features; returns raw-scale weights and bias."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= rate * (z.T @ (p - y) / len(y) + REGULARIZATION * w)
        b -= rate * float(np.mean(p - y))
    return w / scale, b - float(np.sum(w * mean / scale))


def main() -> int:
    intents = load_intents(routine_names=["back"])
    recognizer = PocketSphinxRecognizer(intents)
    rng = np.random.default_rng(23)
    phrases = every_phrasing(intents, random.Random(17), per_template=2)
    rows: list[tuple[Features, bool, bool]] = []  # features, positive, is a command
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "s.wav"
        for i, phrase in enumerate(phrases):
            voice, speed = TUNE_VOICES[i % len(TUNE_VOICES)], SPEEDS[i // len(TUNE_VOICES) % 2]
            speech = synth(phrase, voice, speed, work)
            clean = place(speech, rng)
            want = intents.match(phrase)
            for audio in (clean, mix(clean, speech, 9.0, rng)):
                for text, features in features_of(recognizer, audio):
                    got = intents.match(text)
                    right = want is not None and got is not None and got == want
                    rows.append((features, right, True))
        for i, sentence in enumerate(OTHER_SPEECH * 2):
            voice = TUNE_VOICES[i % len(TUNE_VOICES)]
            speech = synth(sentence, voice, SPEEDS[i % 2], work)
            audio = place(speech, rng)
            if i >= len(OTHER_SPEECH):
                audio = mix(audio, speech, 12.0, rng)
            rows.extend((f, False, False) for _, f in features_of(recognizer, audio))
    x = np.array([astuple(f) for f, _, _ in rows])
    y = np.array([1.0 if positive else 0.0 for _, positive, _ in rows])
    weights, bias = fit(x, y)
    names = [field for field in Features.__dataclass_fields__]
    print(f"{len(rows)} utterances: {int(y.sum())} right commands")
    for name, weight in zip(names, weights, strict=True):
        print(f"W_{name.upper()} = {weight:.4f}")
    print(f"BIAS = {bias:.4f}")
    scores = x @ weights + bias
    commands = np.array([c for _, _, c in rows])
    print("| threshold | right commands accepted | other speech accepted |\n|---|---|---|")
    chosen = None
    for threshold in THRESHOLDS:
        accepted = scores > threshold
        right = accepted[(y == 1)].mean()
        other = accepted[~commands].mean()
        print(f"| {threshold} | {right:.1%} | {other:.1%} |")
        if chosen is None and other <= MAX_OTHER:
            chosen = threshold
    print(
        f"DEFAULT_THRESHOLD = {chosen}"
        f"  # the lowest that accepts at most {MAX_OTHER:.0%} of the other speech"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
