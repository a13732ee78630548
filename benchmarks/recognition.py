"""Recognition benchmark: command accuracy by SNR, false accepts, processing time.

Speech is synthesized with espeak-ng (several voices and speeds), mixed with noise at
fixed SNRs and through one reverberant room (sox, in a temp dir), and played to the
live listener as ``voicecoach recognize`` plays a file (30 ms chunks through the VAD
segmenter, the engine and intent matching; ``--early`` adds the listener's early
decisions, see voicecoach/recognition/recording.py).
espeak-ng stands in for people here; the rejection threshold was chosen on the
TUNE voices, and the figures that count are on the EVAL voices, which were held out.

    python benchmarks/recognition.py [--quick] [--engine E] [--model DIR] [--tune] [--early]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hassil.sample import sample_expression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from not_commands import NEGATIVES, cue_texts

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples, convert, split
from voicecoach.audio.wav import read_wav
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.commands.names import Command
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.grammar import spoken
from voicecoach.recognition.listener import EARLY_DECISION
from voicecoach.recognition.recognizer import Recognition, Recognizer
from voicecoach.recognition.recording import best_of, hear
from voicecoach.voice import synth as tts
from voicecoach.voice.speaker import RecordingSpeaker

TUNE_VOICES = ["en-us", "en-gb-x-rp", "en", "en-us+f3", "en-us+m1"]
EVAL_VOICES = ["en-029", "en-gb-scotland+f2", "en-us+m4", "en-gb-x-gbclan+m2"]
SPEEDS = [140, 175]
SNRS = [24, 18, 12, 9, 6]
TARGETS = {"clean": 0.97, 9: 0.93}
MAX_FA_PER_HOUR = 1.0
MAX_XRT = 0.05


def every_phrasing(intents, pick: random.Random, per_template: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Up to ``per_template`` expansions of every sentence template of every intent."""
    lists = intents.all_lists()
    out: list[str] = []
    for intent in intents.intents.intents.values():
        for data in intent.data:
            if not spoken(data):
                continue  # typed-only phrasings are not in the speech grammar
            for sentence in data.sentences:
                expansions = sorted(
                    set(itertools.islice(sample_expression(sentence.expression, lists), 500))
                )
                out.extend(pick.sample(expansions, min(per_template, len(expansions))))
    return out


def synth(text: str, voice: str, speed: int) -> Samples:
    """``text`` spoken by espeak-ng, mono at SPEECH_RATE."""
    return tts.synthesize(text, voice, speed, target_rate=SPEECH_RATE).samples[:, 0]


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return noise / np.std(noise)


def place(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech inside a stretch of live audio: quiet room tone before and after."""
    lead = rng.normal(0, 8, int(SPEECH_RATE * rng.uniform(0.4, 0.9)))
    tail = rng.normal(0, 8, int(SPEECH_RATE * 0.9))
    return np.concatenate([lead, speech.astype(np.float64), tail])


def mix(audio: np.ndarray, speech: np.ndarray, snr: float, rng: np.random.Generator) -> np.ndarray:
    active = speech[np.abs(speech) > 0.05 * np.abs(speech).max()].astype(np.float64)
    level = np.sqrt(np.mean(active**2)) / (10 ** (snr / 20))
    mixed: np.ndarray = audio + level * pink_noise(len(audio), rng)
    return mixed


def reverb(audio: np.ndarray, work: Path) -> np.ndarray:
    """``audio`` played in a reverberant room (sox; its clipping warnings are not shown).

    ``-R`` seeds sox's dither: without it every run hears a slightly different room.
    """
    src, dst = work / "dry.raw", work / "wet.wav"
    np.clip(audio, -32768, 32767).astype("<i2").tofile(src)
    fmt = ["-t", "raw", "-r", str(SPEECH_RATE), "-e", "signed", "-b", "16", "-c", "1"]
    sox = ["sox", "-R", *fmt, str(src), str(dst), "reverb", "60", "50", "80"]
    subprocess.run(sox, check=True, capture_output=True)
    wet = read_wav(dst)
    return convert(wet.samples, wet.rate, SPEECH_RATE)[: len(audio) + 8000].astype(np.float64)


@dataclass
class Timed:
    """A recognizer that notes each decode's processing time per second of its audio."""

    inner: Recognizer
    times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sample_rate = self.inner.sample_rate
        self.engine = self.inner.engine
        self.intents: CommandIntents = self.inner.intents

    def recognize(self, samples: Samples) -> Recognition:
        began = time.perf_counter()
        result = self.inner.recognize(samples)
        seconds = max(len(samples) / self.sample_rate, 0.1)
        self.times.append((time.perf_counter() - began) / seconds)
        return result


def chunks(audio: np.ndarray) -> Iterator[AudioChunk]:
    """``audio`` (at SPEECH_RATE) in the chunks a microphone would deliver."""
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    return split(AudioChunk(pcm, SPEECH_RATE))


def decode(
    recognizer: Recognizer, audio: np.ndarray, early: float | None = None
) -> tuple[str, Command | None]:
    """What ``voicecoach recognize`` would report for ``audio``: the text, the command."""
    got = best_of(hear(recognizer, chunks(audio), early=early))
    return ("", None) if got is None else (got.text, got.command)


def name(command: Command | None) -> str | None:
    return command.name if command is not None else None


class _CoachSpeaking(RecordingSpeaker):
    """A speaker that is always talking: every utterance overlaps the coach's voice."""

    def is_speaking(self) -> bool:
        return True


def obeyed_while_speaking(
    recognizer: Recognizer, audio: np.ndarray, early: float | None
) -> list[Command]:
    """Commands the live listener would act on if ``audio`` came in while the coach spoke."""
    decisions = hear(recognizer, chunks(audio), _CoachSpeaking(), early=early)
    return [d.command for d in decisions if d.command is not None and not d.ignored]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a sample of phrasings, one speed")
    ap.add_argument("--tune", action="store_true", help="run on the tuning voices instead")
    ap.add_argument("--engine", default=None)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument(
        "--early",
        action="store_true",
        help="decide early, as the live listener does (by default: at each endpoint)",
    )
    args = ap.parse_args()
    early = EARLY_DECISION if args.early else None
    intents = load_intents(routine_names=["back"])
    recognizer = make_recognizer(args.engine, args.model, intents)
    timed = Timed(recognizer)
    voices = TUNE_VOICES if args.tune else EVAL_VOICES
    speeds = SPEEDS[:1] if args.quick else SPEEDS
    rng = np.random.default_rng(11)
    pick = random.Random(5)
    phrases = every_phrasing(intents, pick, per_template=1 if args.quick else 3)
    if args.quick:
        phrases = pick.sample(phrases, min(60, len(phrases)))
    conditions: list[str | int] = ["clean", *SNRS, "reverb"]
    correct = {c: 0 for c in conditions}
    heard = {c: 0 for c in conditions}  # the engine's best path was right, accepted or not
    total = {c: 0 for c in conditions}
    by_voice: dict[tuple[str, str | int], list[int]] = {}  # (voice, condition): [right, n]
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i, phrase in enumerate(phrases):
            voice, speed = voices[i % len(voices)], speeds[(i // len(voices)) % len(speeds)]
            speech = synth(phrase, voice, speed)
            clean = place(speech, rng)
            expected = intents.match(phrase)
            for cond in conditions:
                if cond == "clean":
                    audio = clean
                elif cond == "reverb":
                    audio = reverb(clean, work)
                else:
                    audio = mix(clean, speech, float(cond), rng)
                text, command = decode(timed, audio, early)
                ok = expected is not None and command == expected
                correct[cond] += ok
                total[cond] += 1
                heard[cond] += expected is not None and intents.match(text) == expected
                tally = by_voice.setdefault((voice, cond), [0, 0])
                tally[0] += ok
                tally[1] += 1
                if not ok and cond == "clean":
                    misses.append(f"{phrase!r} ({voice}) -> {text!r} {name(command)}")
        negatives = [(t, v) for t in NEGATIVES for v in voices]
        neg_fa, neg_seconds = 0, 0.0
        for text, voice in negatives:
            speech = synth(text, voice, speeds[0])
            for cond in ("clean", 12):
                audio = place(speech, rng)
                if cond != "clean":
                    audio = mix(audio, speech, 12.0, rng)
                neg_seconds += len(speech) / SPEECH_RATE
                heard_text, command = decode(timed, audio, early)
                if command is not None:
                    neg_fa += 1
                    misses.append(f"NEG {text!r} ({voice}) -> {heard_text!r} {command.name}")
        cues = cue_texts()
        self_fa = obeyed = 0
        for text in cues:
            speech = synth(text, voices[0], 175)
            audio = place(speech, rng)
            heard_text, command = decode(timed, audio, early)
            if command is not None:
                self_fa += 1
                misses.append(f"CUE {text!r} -> {heard_text!r} {command.name}")
            acted = obeyed_while_speaking(recognizer, audio, early)  # untimed, as before
            obeyed += bool(acted)
            if acted:
                misses.append(f"CUE OBEYED {text!r} -> {[c.name for c in acted]}")
    fa_per_hour = neg_fa / (neg_seconds / 3600)
    print(f"engine {recognizer.engine}; voices {', '.join(voices)}; speeds {speeds}")
    print(f"{len(phrases)} phrasings; {len(negatives) * 2} negative utterances; {len(cues)} cues")
    print("| condition | accuracy | best path right (no rejection) | n |\n|---|---|---|---|")
    for cond in conditions:
        label = cond if isinstance(cond, str) else f"{cond} dB SNR"
        print(
            f"| {label} | {correct[cond] / total[cond]:.1%} | {heard[cond] / total[cond]:.1%} "
            f"| {total[cond]} |"
        )
    xrt = np.array(timed.times)
    print(f"false accepts on negative speech: {neg_fa} in {neg_seconds / 60:.1f} min")
    print(f"  = {fa_per_hour:.1f} per hour of negative speech")
    print(f"self-voice false accepts: {self_fa} of {len(cues)} cues")
    print(f"  acted on by the live listener while the coach speaks: {obeyed} of {len(cues)}")
    print("| voice | clean | 9 dB SNR |\n|---|---|---|")
    for voice in voices:
        cells = [by_voice.get((voice, c), [0, 0]) for c in ("clean", 9)]
        print(f"| {voice} | " + " | ".join(f"{r / max(n, 1):.1%}" for r, n in cells) + " |")
    print(f"processing per utterance: mean {xrt.mean():.3f} x RT, p95 {np.percentile(xrt, 95):.3f}")
    others = [m for m in misses if m.startswith(("NEG", "CUE"))]
    for line in [m for m in misses if m not in others][:40] + others:
        print("  miss:", line)
    failed = [f"accuracy {c}" for c, target in TARGETS.items() if correct[c] / total[c] < target]  # type: ignore[index]
    failed += ["false accepts/hour"] if fa_per_hour > MAX_FA_PER_HOUR else []
    failed += ["self-voice false accepts"] if self_fa else []
    failed += ["processing time"] if np.percentile(xrt, 95) > MAX_XRT else []
    print("targets missed: " + ", ".join(failed) if failed else "all targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
