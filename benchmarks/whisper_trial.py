"""Whisper trial: the engine's designs side by side, on real people and synthetic voices.

Each utterance is decoded once per engine configuration (window length, int8 or
float32) and every design is decided from the same hearing:

* ``free+exact``: the free transcription, matched exactly against the intents;
* ``grammar m=M``: the free transcription when it is a command (fillers allowed), else
  the best command of the grammar when it is within M (log-probability, end of text
  included) of the free transcription.

Sets: (a) ``../shared/human-dev`` (real people: "stop" heard as stop, other everyday words
taken as any command); (b) synthesized commands, clean and with pink noise at 12, 9 and
6 dB SNR; (c) speech that is no command (everyday sentences, the coach's own cues) and
noise alone (pink, white, babble, music, room tone); (d) time per utterance. The margin
is chosen on the TUNE voices, the tuning sentences below and the human-dev clips;
the figures that count are on the held-out EVAL voices and the benchmark's NEGATIVES.

Utterances go to the engine directly (0.3 s of room tone before the speech, as the
VAD's pre-roll keeps, and 0.2 s after); ``benchmarks/recognition.py`` measures the whole
listener path.

    python benchmarks/whisper_trial.py [--quick] [--records FILE.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from not_commands import NEGATIVES, cue_texts
from recognition import EVAL_VOICES, TUNE_VOICES, every_phrasing, mix, pink_noise, synth

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.audio.wav import read_wav
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.recognition.whisper_engine import Hearing, WhisperRecognizer, WhisperSettings

HUMAN_DEV = Path(__file__).resolve().parents[2] / "shared" / "human-dev" / "speech-commands"
SNRS = (12, 9, 6)
MARGINS = (1.0, 2.0, 3.0, 4.0)
CHOSEN_MARGIN = 3.0
# Sentences for choosing the margin only (the benchmark's NEGATIVES are for measuring).
TUNE_NEGATIVES = [
    "stop by the shop later",
    "the next train is late again",
    "can you start the dishwasher",
    "I need a break from work",
    "go back to sleep",
    "we are ready to order",
    "keep the receipt please",
    "how long is the movie",
    "my neighbour has a new dog",
    "pause for a moment and think about it",
    "that restaurant was too slow",
    "what is for dinner tonight",
    "I am going to the gym tomorrow",
    "repeat after me",
    "help me carry the shopping",
    "just put it on the table",
]


@dataclass
class Record:
    """One utterance, its expected command (None: none), and what the engine heard."""

    config: str
    set: str  # human-stop, human-other, synth-tune, synth-eval, neg-tune, neg-eval, cue, noise
    voice: str
    condition: str
    said: str
    expected: str | None
    hearing: dict[str, object]
    ms: float


def room(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 8, n)


def placed(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech as the VAD hands it over: 0.3 s of room tone before, 0.2 s after."""
    lead, tail = room(int(0.3 * SPEECH_RATE), rng), room(int(0.2 * SPEECH_RATE), rng)
    return np.concatenate([lead, speech.astype(np.float64), tail])


def pcm(audio: np.ndarray) -> np.ndarray:
    return np.clip(audio, -32768, 32767).astype(np.int16)


def human_clips(per_word: int | None) -> Iterator[tuple[str, str, np.ndarray]]:
    """(set, word, samples) for the human-dev clips; ``per_word`` caps each word's clips."""
    with (HUMAN_DEV / "labels.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    seen: dict[str, int] = {}
    for row in rows:
        word = row["words"]
        seen[word] = seen.get(word, 0) + 1
        if per_word is not None and seen[word] > (per_word * 4 if word == "stop" else per_word):
            continue
        wav = read_wav(HUMAN_DEV / row["file"])
        yield ("human-stop" if word == "stop" else "human-other"), word, wav.samples[:, 0]


def noise_clips(rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray]]:
    """Noise with no words in it: what the VAD might still let through."""
    n = 2 * SPEECH_RATE
    t = np.arange(n) / SPEECH_RATE
    for level in (100, 1000, 6000):
        yield f"pink {level}", level * pink_noise(n, rng)
        yield f"white {level}", rng.normal(0, level, n)
    yield "room tone", room(n, rng)
    for voice_set in (("en-us", "en-gb-x-rp", "en-us+f3"), ("en", "en-us+m1", "en-gb-x-rp")):
        talk = [synth(s, v, 175).astype(np.float64) for s, v in zip(TUNE_NEGATIVES, voice_set)]
        length = min(len(x) for x in talk)
        babble = sum(x[:length] for x in talk)
        for level in (0.1, 0.4):
            yield f"babble {level}", level * babble
    for bpm, key in ((100, 220.0), (128, 330.0)):
        beat = (np.sin(2 * np.pi * 2 * t) > 0.6) * np.sin(2 * np.pi * 60 * t)
        chords = sum(np.sin(2 * np.pi * key * r * t) for r in (1.0, 1.25, 1.5))
        tune = chords * (0.5 + 0.5 * np.sin(2 * np.pi * bpm / 60 * t))
        yield f"music {bpm}", 2000 * (tune + 2 * beat)


class Trial:
    """Runs one engine configuration over the sets, keeping a Record per utterance."""

    def __init__(self, name: str, recognizer: WhisperRecognizer) -> None:
        self.name = name
        self.recognizer = recognizer
        self.records: list[Record] = []

    def hear(self, audio: np.ndarray, set_: str, voice: str, cond: str, said: str) -> None:
        samples = pcm(audio)
        began = time.perf_counter()
        hearing = self.recognizer.hear(samples)
        ms = (time.perf_counter() - began) * 1000
        expected = self.recognizer.intents.match(said) if set_.startswith("synth") else None
        if set_ == "human-stop":
            expected_name: str | None = "stop"
        else:
            expected_name = expected.name if expected is not None else None
        record = Record(self.name, set_, voice, cond, said, expected_name, asdict(hearing), ms)
        self.records.append(record)


def synth_sets(
    intents: CommandIntents, quick: bool
) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(set, voices, commands, negatives) for the tuning and the held-out voices."""
    pick = random.Random(5)
    phrases = every_phrasing(intents, pick, per_template=1)
    if quick:
        phrases = pick.sample(phrases, 40)
    negatives = NEGATIVES if not quick else NEGATIVES[::2]
    return [
        ("tune", TUNE_VOICES, phrases, TUNE_NEGATIVES),
        ("eval", EVAL_VOICES, phrases, negatives),
    ]


def run_config(
    trial: Trial, intents: CommandIntents, quick: bool, parts: set[str], log: Callable[[str], None]
) -> None:
    rng = np.random.default_rng(11)
    if "human" in parts:
        for set_, word, samples in human_clips(10 if quick else None):
            trial.hear(samples.astype(np.float64), set_, "human", "real", word)
        log(f"{trial.name}: human-dev done")
    for group, voices, phrases, negatives in synth_sets(intents, quick):
        if group not in parts:
            continue
        for i, phrase in enumerate(phrases):
            voice = voices[i % len(voices)]
            speech = synth(phrase, voice, (140, 175)[(i // len(voices)) % 2])
            clean = placed(speech, rng)
            trial.hear(clean, f"synth-{group}", voice, "clean", phrase)
            for snr in SNRS:
                trial.hear(
                    mix(clean, speech, snr, rng), f"synth-{group}", voice, f"{snr} dB", phrase
                )
        for i, text in enumerate(negatives):
            voice = voices[i % len(voices)]
            speech = synth(text, voice, 175)
            clean = placed(speech, rng)
            trial.hear(clean, f"neg-{group}", voice, "clean", text)
            trial.hear(mix(clean, speech, 12, rng), f"neg-{group}", voice, "12 dB", text)
        log(f"{trial.name}: synthetic {group} done")
    if "cues" in parts:
        cues = cue_texts()
        for text in cues[::3] if quick else cues:
            trial.hear(
                placed(synth(text, EVAL_VOICES[0], 175), rng), "cue", EVAL_VOICES[0], "clean", text
            )
    if "noise" in parts:
        for label, audio in noise_clips(rng):
            trial.hear(audio, "noise", "-", label, "")
        log(f"{trial.name}: cues and noise done")


# ---- deciding each design from the records ---------------------------------------------


def decided(rec: Record, design: str, intents: CommandIntents) -> str | None:
    """The command name the design acts on for this record (None: nothing)."""
    h = rec.hearing
    if float(h["no_speech"]) >= 0.6 or not h["free_text"]:  # type: ignore[arg-type]
        return None
    if design == "free+exact":
        text = str(h["free_text"])
    else:
        margin = float(design.split("=")[1])
        if h["command"] is None:
            return None
        gap = float(h["free_score"]) - float(h["command_score"])  # type: ignore[arg-type]
        if not h["parsed"] and gap > margin:
            return None
        text = str(h["command"])
    command = intents.match(text)
    return command.name if command is not None else None


def rate(hits: int, n: int) -> str:
    return f"{hits / n:.1%}" if n else "-"


def summary(
    records: list[Record], design: str, intents: CommandIntents, group: str
) -> dict[str, str]:
    """The table row of one design on one configuration's records."""
    out: dict[str, str] = {}
    stops = [r for r in records if r.set == "human-stop"]
    others = [r for r in records if r.set == "human-other"]
    out["real stop"] = rate(sum(decided(r, design, intents) == "stop" for r in stops), len(stops))
    out["real others taken"] = rate(
        sum(decided(r, design, intents) is not None for r in others), len(others)
    )
    synth_set = [r for r in records if r.set == f"synth-{group}"]
    for cond in ("clean", *(f"{s} dB" for s in SNRS)):
        rows = [r for r in synth_set if r.condition == cond]
        out[cond] = rate(sum(decided(r, design, intents) == r.expected for r in rows), len(rows))
    negs = [r for r in records if r.set == f"neg-{group}"]
    fa = sum(decided(r, design, intents) is not None for r in negs)
    seconds = sum(len(r.said.split()) / 2.8 for r in negs)  # about 2.8 words a second
    out["false accepts"] = (
        f"{fa}/{len(negs)} ({fa / max(seconds, 1) * 3600:.1f}/h)" if negs else "-"
    )
    cues = [r for r in records if r.set == "cue"]
    out["cues acted"] = (
        f"{sum(decided(r, design, intents) is not None for r in cues)}/{len(cues)}" if cues else "-"
    )
    noise = [r for r in records if r.set == "noise"]
    out["noise acted"] = (
        f"{sum(decided(r, design, intents) is not None for r in noise)}/{len(noise)}"
        if noise
        else "-"
    )
    return out


def times(records: list[Record]) -> str:
    ms = sorted(r.ms for r in records if r.set != "noise")
    if not ms:
        return "-"
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"{statistics.median(ms):.0f} / {p95:.0f}"


def print_table(title: str, rows: list[tuple[str, str, dict[str, str], str]]) -> None:
    print(f"\n{title}")
    keys = list(rows[0][2])
    print("| config | design | " + " | ".join(keys) + " | ms p50 / p95 |")
    print("|---" * (len(keys) + 3) + "|")
    for config, design, cells, ms in rows:
        print(f"| {config} | {design} | " + " | ".join(cells[k] for k in keys) + f" | {ms} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="samples of each set (under 5 minutes)")
    ap.add_argument("--records", type=Path, help="write every hearing as JSON lines here")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--only", default="", help="comma-separated configurations to run")
    args = ap.parse_args()
    intents = load_intents(routine_names=["back"])
    began = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - began:5.0f} s] {msg}", file=sys.stderr, flush=True)

    main_parts = {"human", "tune", "eval", "cues", "noise"}
    side_parts = {"human", "eval"}
    configs: list[tuple[str, WhisperSettings, set[str]]] = [
        ("int8 10 s", WhisperSettings(margin=CHOSEN_MARGIN), main_parts),
        ("int8 30 s", WhisperSettings(margin=CHOSEN_MARGIN, window=30.0), side_parts),
        ("int8 6 s", WhisperSettings(margin=CHOSEN_MARGIN, window=6.0), side_parts),
        ("float32 10 s", WhisperSettings(margin=CHOSEN_MARGIN, compute_type="float32"), side_parts),
    ]
    wanted = {c.strip() for c in args.only.split(",") if c.strip()}
    trials: list[Trial] = []
    for name, settings, parts in configs:
        if wanted and name not in wanted:
            continue
        trial = Trial(name, WhisperRecognizer(intents, args.model, settings))
        run_config(trial, intents, args.quick, parts, log)
        trials.append(trial)
    if args.records:
        with args.records.open("w", encoding="utf-8") as out:
            for trial in trials:
                for rec in trial.records:
                    out.write(json.dumps(asdict(rec)) + "\n")
    designs = ["free+exact", *(f"grammar m={m:g}" for m in MARGINS)]
    for group in ("tune", "eval"):
        rows = [
            (t.name, d, summary(t.records, d, intents, group), times(t.records))
            for t in trials
            for d in designs
            if any(r.set == f"synth-{group}" for r in t.records)
        ]
        if rows:
            voices = TUNE_VOICES if group == "tune" else EVAL_VOICES
            print_table(f"{group} voices ({', '.join(voices)})", rows)
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
