"""Whisper trial: the engine's designs side by side, on real people and synthetic voices.

Each utterance is decoded once per engine configuration (encoder window, int8 or
float32, search limits) and each design is decided from that one hearing
(``whisper_engine.judge``):

* ``free+exact``: the free transcription, matched exactly against the intents (its time
  leaves the grammar search out);
* ``grammar``: the free transcription when it is a command, fillers allowed; else the
  best command of the grammar when it is within the margins of the free transcription
  (in all and per token) and no token of it, nor its end of text, is below the floors;
* ``grammar, total only``: the trial's first design, the total margin alone (a search
  without floors): it shows why the other limits are there.

Sets: (a) ``../shared/human-dev`` (real people: "stop" heard as stop; other everyday
words taken as any command); (b) synthesized commands, clean and in pink noise at 12,
9 and 6 dB SNR; (c) speech that is no command (everyday sentences, the coach's own
cues) and noise alone (pink, white, babble, music, room tone): false accepts; (d) time
per utterance. The limits were chosen on the TUNE voices, ``TUNE_NEGATIVES`` and the
human-dev clips (``--tune`` prints those); the table's synthetic figures are on the
held-out EVAL voices and the recognition benchmark's NEGATIVES.

Utterances go to the engine directly, as the VAD hands them over (0.3 s of room tone
before the speech, 0.2 s after); ``benchmarks/recognition.py`` measures the listener path.

    python benchmarks/whisper_trial.py [--quick] [--tune] [--only NAME,...] [--records F]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from hassil.sample import sample_expression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_audio as audio_kit
from bench_audio import mix, synth, vad_cut
from not_commands import NEGATIVES, cue_texts
from recognition import EVAL_VOICES, TUNE_VOICES, every_phrasing

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.recognition.grammar import spoken
from voicecoach.recognition.whisper_engine import WhisperRecognizer
from voicecoach.recognition.whisper_hearing import Hearing, WhisperSettings, judge

SNRS = (12, 9, 6)
# Sentences for choosing the limits only (the benchmark's NEGATIVES are for measuring).
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
    "I will be back in a minute",
    "start with the small ones first",
    "did you see the next episode",
    "hang the picture over there",
    "the car needs a new battery",
    "please close the window",
    "she is ready when you are",
    "what a lovely morning",
    "I forgot my keys at home",
    "turn left at the lights",
    "the kids are playing outside",
    "we ran out of coffee",
    "continue straight for two miles",
    "give the plants some water",
    "that was the best part of the show",
    "can I have a glass of water",
    "my shoulder is a little sore",
    "the meeting has been moved to Friday",
    "let me know when you arrive",
    "slow cooking makes it tender",
    "faster internet would be nice",
    "how was your day at work",
    "put the book back on the shelf",
    "wait for the green light",
]
DEFAULT = WhisperSettings()
TOTAL_ONLY = replace(
    DEFAULT,
    token_margin=math.inf,
    floor=-math.inf,
    end_floor=-math.inf,
    min_average=-math.inf,
    min_pace=0.0,
    search_max_no_speech=math.inf,
    max_calls=6,
)
FROM_INTENTS = "<the commands>"  # hotwords: each command's shortest phrasing, as sentences
# name: settings, sets decoded (the default configuration decodes them all)
CONFIGS: dict[str, tuple[WhisperSettings, tuple[str, ...]]] = {
    "int8 10 s": (DEFAULT, ("human", "tune", "eval", "cues", "noise")),
    "int8 20 s": (replace(DEFAULT, window=20.0), ("human", "eval")),
    "int8 30 s": (replace(DEFAULT, window=30.0), ("human", "eval")),
    "int8 6 s": (replace(DEFAULT, window=6.0), ("human", "eval")),
    "float32 10 s": (replace(DEFAULT, compute_type="float32"), ("human", "eval")),
    "int8 10 s, total only": (TOTAL_ONLY, ("eval", "cues", "noise")),
    "int8 10 s hotwords": (replace(DEFAULT, hotwords=FROM_INTENTS), ("human", "eval", "cues")),
    "int8 10 s denoised": (replace(DEFAULT, denoise=True), ("human", "eval", "cues")),
}


def command_hotwords(intents: CommandIntents) -> str:
    """Each command's shortest phrasing of its first spoken template, as a sentence:
    "Start my. Next. Previous. Repeat. ..." (a comma-separated list made Whisper list
    and repeat words: "restart, restart, restart, ...")."""
    lists = intents.all_lists()
    said = []
    for intent in intents.intents.intents.values():
        data = next((d for d in intent.data if spoken(d)), None)
        if data is not None and data.sentences:
            ways = itertools.islice(sample_expression(data.sentences[0].expression, lists), 300)
            short = min((w.strip() for w in ways), key=len)
            said.append(short[:1].upper() + short[1:] + ".")
    return " ".join(said)


@dataclass
class Record:
    """One utterance, the command it should give (None: none), and what was heard."""

    config: str
    set: str  # human-stop, human-other, synth-tune, synth-eval, neg-tune, neg-eval, cue, noise
    voice: str
    condition: str
    said: str
    expected: str | None
    seconds: float
    hearing: Hearing
    ms: float


def noise_clips(rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray]]:
    """Two seconds of sound with no words to catch: what the VAD might still let through
    (the recognition benchmark's babble and music, cut from their loops)."""
    n = 2 * SPEECH_RATE
    for level in (100, 1000, 6000):
        yield f"pink {level}", level * audio_kit.pink_noise(n, rng)
        yield f"white {level}", rng.normal(0, level, n)
    yield "room tone", audio_kit.room_tone(n, rng)
    talk = audio_kit.babble(TUNE_NEGATIVES, rng, seconds=12.0)
    for level in (800, 3000):
        for i in range(2):
            yield f"babble {level} #{i + 1}", level * talk.take(n, rng)
    tune = audio_kit.music(rng, seconds=12.0)
    for level in (800, 3000):
        yield f"music {level}", level * tune.take(n, rng)


def human_clips(quick: bool) -> Iterator[tuple[str, str, np.ndarray]]:
    """(set, word, samples) for the human-dev clips (quick: a quarter of them)."""
    for i, clip in enumerate(audio_kit.human_clips(audio_kit.HUMAN_DEV)):
        if not quick or i % 4 == 0:
            yield ("human-stop" if clip.word == "stop" else "human-other"), clip.word, clip.samples


class Trial:
    """One engine configuration over the sets, a Record per utterance."""

    def __init__(self, name: str, recognizer: WhisperRecognizer) -> None:
        self.name = name
        self.recognizer = recognizer
        self.records: list[Record] = []

    def hear(self, audio: np.ndarray, set_: str, voice: str, cond: str, said: str) -> None:
        samples = np.clip(audio, -32768, 32767).astype(np.int16)
        began = time.perf_counter()
        hearing = self.recognizer.hear(samples)
        ms = (time.perf_counter() - began) * 1000
        expected: str | None = None
        if set_ == "human-stop":
            expected = "stop"
        elif set_.startswith("synth"):
            command = self.recognizer.intents.match(said)
            expected = command.name if command is not None else None
        seconds = len(samples) / SPEECH_RATE
        self.records.append(
            Record(self.name, set_, voice, cond, said, expected, seconds, hearing, ms)
        )


def run(trial: Trial, parts: tuple[str, ...], quick: bool, log: Callable[[str], None]) -> None:
    """Decode the sets named in ``parts`` (the same audio for every configuration)."""
    rng = np.random.default_rng(11)
    intents = trial.recognizer.intents
    if "human" in parts:
        for set_, word, samples in human_clips(quick):
            trial.hear(samples.astype(np.float64), set_, "human", "real", word)
    pick = random.Random(5)
    phrases = every_phrasing(intents, pick, per_template=1)
    if quick:
        phrases = pick.sample(phrases, 40)
    groups = [("tune", TUNE_VOICES, TUNE_NEGATIVES), ("eval", EVAL_VOICES, NEGATIVES)]
    for group, voices, negatives in groups:
        rng = np.random.default_rng(11 if group == "tune" else 12)
        if group not in parts:
            continue
        for i, phrase in enumerate(phrases):
            voice = voices[i % len(voices)]
            speech = synth(phrase, voice, (140, 175)[(i // len(voices)) % 2])
            clean = vad_cut(speech, rng)
            trial.hear(clean, f"synth-{group}", voice, "clean", phrase)
            for snr in SNRS:
                noisy = mix(clean, speech, snr, rng)
                trial.hear(noisy, f"synth-{group}", voice, f"{snr} dB", phrase)
        for i, text in enumerate(negatives[::2] if quick else negatives):
            voice = voices[i % len(voices)]
            speech = synth(text, voice, 175)
            clean = vad_cut(speech, rng)
            trial.hear(clean, f"neg-{group}", voice, "clean", text)
            trial.hear(mix(clean, speech, 12, rng), f"neg-{group}", voice, "12 dB", text)
    rng = np.random.default_rng(13)
    if "cues" in parts:
        cues = cue_texts()
        for text in cues[::3] if quick else cues:
            speech = synth(text, EVAL_VOICES[0], 175)
            trial.hear(vad_cut(speech, rng), "cue", EVAL_VOICES[0], "clean", text)
    if "noise" in parts:
        for label, audio in noise_clips(rng):
            trial.hear(audio, "noise", "-", label, "")
    log(f"{trial.name}: {len(trial.records)} utterances")


# ---- the figures of each design ---------------------------------------------------------


class Designs:
    """Decides records under each design; command names are cached by text."""

    def __init__(self, intents: CommandIntents) -> None:
        self.intents = intents
        self._names: dict[str, str | None] = {}

    def command(self, rec: Record, settings: WhisperSettings) -> str | None:
        """The command the engine would act on (None: nothing)."""
        result = judge(rec.hearing, settings, self.intents)
        if not result.accepted:
            return None
        if result.text not in self._names:
            command = self.intents.match(result.text)
            self._names[result.text] = command.name if command is not None else None
        return self._names[result.text]

    def row(self, records: list[Record], settings: WhisperSettings, group: str) -> dict[str, str]:
        """Real stop, real others taken, synthetic accuracy, false accepts, time."""
        out: dict[str, str] = {}
        got = [(r, self.command(r, settings)) for r in records]
        stops = [c == "stop" for r, c in got if r.set == "human-stop"]
        others = [c is not None for r, c in got if r.set == "human-other"]
        out["real stop"] = pct(stops)
        out["real others taken"] = pct(others)
        for cond in ("clean", *(f"{s} dB" for s in SNRS)):
            rows = [
                c == r.expected for r, c in got if r.set == f"synth-{group}" and r.condition == cond
            ]
            out[f"{group} {cond}"] = pct(rows)
        negs = [(r, c) for r, c in got if r.set == f"neg-{group}"]
        if negs:
            fa = sum(c is not None for _, c in negs)
            hours = sum(r.seconds for r, _ in negs) / 3600
            out["false accepts"] = f"{fa}/{len(negs)} = {fa / hours:.1f}/h"
        else:
            out["false accepts"] = "-"
        for set_, label in (("cue", "cues acted"), ("noise", "noise acted")):
            acted = [c is not None for r, c in got if r.set == set_]
            out[label] = f"{sum(acted)}/{len(acted)}" if acted else "-"
        search = settings.grammar
        ms = sorted(r.ms - (0 if search else r.hearing.ms.get("search", 0.0)) for r, _ in got)
        out["ms p50 / p95"] = f"{statistics.median(ms):.0f} / {ms[int(0.95 * (len(ms) - 1))]:.0f}"
        return out


def pct(flags: list[bool]) -> str:
    return f"{sum(flags) / len(flags):.1%}" if flags else "-"


def print_table(title: str, rows: list[tuple[str, str, dict[str, str]]]) -> None:
    print(f"\n{title}")
    keys = list(rows[0][2])
    print("| config | design | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 2) + "|")
    for config, design, cells in rows:
        print(f"| {config} | {design} | " + " | ".join(cells[k] for k in keys) + " |")


def tune_rows(trial: Trial, designs: Designs) -> list[tuple[str, str, dict[str, str]]]:
    """The default configuration's limits, and tighter ones (looser need a wider search)."""
    rows = []
    for margin, token_margin, average, pace in itertools.product(
        (3.0, 4.0), (0.75, 1.0), (-2.0, -2.5), (1.25, 1.5)
    ):
        s = replace(
            DEFAULT,
            margin=margin,
            token_margin=token_margin,
            min_average=average,
            min_pace=pace,
        )
        label = f"m={margin:g} t={token_margin:g} avg={average:g} pace={pace:g}"
        rows.append((trial.name, label, designs.row(trial.records, s, "tune")))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a sample of each set (a few minutes)")
    ap.add_argument("--tune", action="store_true", help="also the limits on the tuning sets")
    ap.add_argument("--only", default="", help=f"configurations: {', '.join(CONFIGS)}")
    ap.add_argument("--records", type=Path, help="write every hearing here as JSON lines")
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    intents = load_intents(routine_names=["back"])
    began = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - began:4.0f} s] {msg}", file=sys.stderr, flush=True)

    wanted = [c.strip() for c in args.only.split(",") if c.strip()] or list(CONFIGS)
    unknown = [c for c in wanted if c not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration {unknown[0]!r}; choose from {', '.join(CONFIGS)}")
    if args.quick and not args.only:
        wanted = ["int8 10 s", "int8 30 s"]
    trials = []
    for name in wanted:
        settings, parts = CONFIGS[name]
        if settings.hotwords == FROM_INTENTS:
            settings = replace(settings, hotwords=command_hotwords(intents))
            log(f"{name}: {settings.hotwords}")
        trial = Trial(name, WhisperRecognizer(intents, args.model, settings))
        run(trial, parts, args.quick, log)
        trials.append(trial)
    if args.records:
        with args.records.open("w", encoding="utf-8") as out:
            for trial in trials:
                for rec in trial.records:
                    out.write(json.dumps(asdict(rec)) + "\n")
    designs = Designs(intents)
    rows = []
    for trial in trials:
        settings = trial.recognizer.settings
        if settings is not TOTAL_ONLY:
            free = replace(settings, grammar=False)
            rows.append((trial.name, "free+exact", designs.row(trial.records, free, "eval")))
        label = "grammar, total only" if settings is TOTAL_ONLY else "grammar"
        rows.append((trial.name, label, designs.row(trial.records, settings, "eval")))
    quick = " (quick: a sample)" if args.quick else ""
    print(f"whisper trial{quick}: held-out voices {', '.join(EVAL_VOICES)}; ms per utterance")
    print_table("Designs, configurations", rows)
    if args.tune and trials and trials[0].name == "int8 10 s":
        print_table(
            f"Limits on the tuning voices ({', '.join(TUNE_VOICES)})", tune_rows(trials[0], designs)
        )
    log("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
