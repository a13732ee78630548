"""Fit the PocketSphinx engine's acceptance model (voicecoach/recognition/pocketsphinx_engine.py).

Commands are synthesized with the recognition benchmark's TUNE voices (every spoken
phrasing, two speeds, clean and with noise at 9 dB), other speech from this file's own
sentences (none of them in the benchmark), and each utterance goes through the live
path (the live VAD segmenter on 30 ms chunks, preparation, the grammar search). An
utterance is a positive when the grammar path gives the intended command and slots. A
logistic regression over the engine's features is fitted and printed with what each
threshold would accept, to paste into the engine by hand. The benchmark's EVAL voices
are never used here.

    python benchmarks/fit_rejection.py
"""

from __future__ import annotations

import random
import sys
from dataclasses import astuple
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from recognition import SPEEDS, TUNE_VOICES, chunks, every_phrasing, mix, place, synth

from voicecoach.commands.intents import load_intents
from voicecoach.recognition.denoise import prepare
from voicecoach.recognition.pocketsphinx_engine import Features, PocketSphinxRecognizer
from voicecoach.recognition.recognizer import samples_for
from voicecoach.recognition.vad import UtteranceSegmenter

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
    "the parcel came while you were out",
    "do you know where the scissors went",
    "I should really water those plants",
    "the radio said it might snow",
    "turn left after the second bridge",
    "we could have pasta for dinner",
    "my phone is almost out of battery",
    "the neighbours are painting their fence",
    "just put it on the table",
    "I'll be there in five minutes",
    "go and ask your father",
    "that's not what I meant",
    "did anyone see my glasses",
    "the match starts at eight",
    "move the chair a bit closer",
    "I'm going to make some toast",
    "she called back about the job",
    "the window won't stay open",
    "next time bring an umbrella",
    "keep an eye on the oven",
]
# Short talk: a word or two from a conversation, the shape a command has.
SHORT_TALK = [
    "oh really",
    "okay then",
    "yes please",
    "no thanks",
    "right",
    "good morning",
    "look at that",
    "see you later",
    "thank you",
    "I know",
    "not now",
    "maybe later",
    "hello there",
    "all right",
    "of course",
    "that's funny",
    "excuse me",
    "well done",
    "come in",
    "good night",
]
REGULARIZATION = 1e-3
THRESHOLDS = tuple(step / 4 for step in range(13))  # log-odds, 0 to 3
# The threshold is the highest that still accepts this share of right commands. A coach
# that turns down more than one right command in seven is one a person gives up on; above
# that floor, as much other speech as possible is turned down. (A rule of "at most 2% of
# other speech" was used before; with short talk in the fit it would refuse almost a third
# of right commands.)
MIN_RIGHT = 0.85


def features_of(
    recognizer: PocketSphinxRecognizer, audio: np.ndarray
) -> list[tuple[str, Features]]:
    segmenter = UtteranceSegmenter()
    utterances = [u for chunk in chunks(audio) for u in segmenter.feed(chunk)]
    out = []
    for utterance in utterances + segmenter.flush():
        text, features = recognizer.features(prepare(samples_for(recognizer, utterance)))
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
    rows: list[tuple[Features, bool, str, str]] = []  # features, positive, kind, said
    for i, phrase in enumerate(phrases):
        voice, speed = TUNE_VOICES[i % len(TUNE_VOICES)], SPEEDS[i // len(TUNE_VOICES) % 2]
        speech = synth(phrase, voice, speed)
        clean = place(speech, rng)
        want = intents.match(phrase)
        for audio in (clean, mix(clean, speech, 9.0, rng)):
            for text, features in features_of(recognizer, audio):
                got = intents.match(text)
                right = want is not None and got is not None and got == want
                rows.append((features, right, "command", phrase))
    talk = OTHER_SPEECH + SHORT_TALK
    for i, sentence in enumerate(talk * 2):
        voice = TUNE_VOICES[i % len(TUNE_VOICES)]
        speech = synth(sentence, voice, SPEEDS[i % 2])
        audio = place(speech, rng)
        if i >= len(talk):
            audio = mix(audio, speech, 12.0, rng)
        kind = "short talk" if sentence in SHORT_TALK else "sentence"
        rows.extend((f, False, kind, sentence) for _, f in features_of(recognizer, audio))
    x = np.array([astuple(f) for f, _, _, _ in rows])
    y = np.array([1.0 if positive else 0.0 for _, positive, _, _ in rows])
    weights, bias = fit(x, y)
    names = list(Features.__dataclass_fields__)
    print(f"{len(rows)} utterances: {int(y.sum())} right commands")
    pairs = ", ".join(f'"{n}": {w:.4f}' for n, w in zip(names, weights, strict=True))
    print(f"WEIGHTS = {{{pairs}}}")
    print(f"BIAS = {bias:.4f}")
    scores = x @ weights + bias
    kinds = np.array([kind for _, _, kind, _ in rows])
    other = kinds != "command"
    print(
        "| threshold | right commands accepted | other speech accepted | sentences | short talk |"
        "\n|---|---|---|---|---|"
    )
    chosen = None
    for threshold in THRESHOLDS:
        accepted = scores > threshold
        shares = [accepted[m].mean() for m in (y == 1, other, kinds == "sentence")]
        shares.append(accepted[kinds == "short talk"].mean())
        print(f"| {threshold} | " + " | ".join(f"{share:.1%}" for share in shares) + " |")
        if shares[0] >= MIN_RIGHT:
            chosen = threshold
    print(
        f"DEFAULT_THRESHOLD = {chosen}"
        f"  # the highest that accepts {MIN_RIGHT:.0%} of right commands"
    )
    if chosen is not None:
        taken = sorted(
            {
                said
                for (_, _, _, said), s_, o in zip(rows, scores, other, strict=True)
                if o and s_ > chosen
            }
        )
        print("other speech it still accepts:", "; ".join(taken) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
