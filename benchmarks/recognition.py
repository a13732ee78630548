"""Recognition benchmark: command accuracy by SNR, false accepts, processing time.

Speech is synthesized with espeak-ng (several voices and speeds) into a temp dir,
mixed with noise at fixed SNRs and through one reverberant room (sox), and run
through the same path as ``voicecoach recognize`` (VAD segmenter, then engine).
espeak-ng stands in for people here; the rejection threshold was chosen on the
TUNE voices, and the figures that count are on the EVAL voices, which were held out.

    python benchmarks/recognition.py [--quick] [--engine E] [--model DIR] [--tune]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from hassil.sample import sample_expression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voicecoach import paths
from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.wav import read_wav_mono
from voicecoach.commands.intents import load_intents
from voicecoach.commands.names import Command
from voicecoach.recognition.grammar import spoken
from voicecoach.recognition.listener import Listener
from voicecoach.recognition.recognizer import best_of, make_recognizer
from voicecoach.recognition.vad import segment
from voicecoach.voice.speaker import RecordingSpeaker

TUNE_VOICES = ["en-us", "en-gb-x-rp", "en", "en-us+f3", "en-us+m1"]
EVAL_VOICES = ["en-029", "en-gb-scotland+f2", "en-us+m4", "en-gb-x-gbclan+m2"]
SPEEDS = [140, 175]
SNRS = [24, 18, 12, 9, 6]
TARGETS = {"clean": 0.97, 9: 0.93}
MAX_FA_PER_HOUR = 1.0
MAX_XRT = 0.05

NEGATIVES = [
    "next week we will go to the beach",
    "I paused the video",
    "can you pass me the remote",
    "my back feels a bit stiff this morning",
    "stop by the shop on your way home",
    "we should go back to that restaurant",
    "the weather is nice today",
    "did you remember to feed the cat",
    "I will continue reading my book later",
    "that was a really good movie",
    "what time is the meeting tomorrow",
    "I need to buy milk and bread",
    "my knee hurts a little when I bend it",
    "this mat is very comfortable",
    "let me finish this email first",
    "the next bus leaves in ten minutes",
    "I skipped breakfast today",
    "hold the door for me please",
    "she said she would repeat the class",
    "keep the change",
    "turn the music down a little",
    "how long have you lived here",
    "I'm ready for the weekend",
    "wait until the kettle boils",
    "that exercise was harder than I thought",
    "my physiotherapist said to stretch every day",
    "start the car and warm it up",
    "help yourself to some coffee",
]
FALLBACK_CUES = [
    "hold for fifteen seconds",
    "switch sides",
    "exhale and flatten your back",
    "next move is pelvic tilt",
    "five four three two one",
]
CUE_FILL = {
    "move": "pelvic tilt", "position": "lying on your back", "seconds": "fifteen seconds",
    "n": "three", "side": "left", "count": "ten", "rep": "four", "round": "two",
    "rounds": "three", "title": "back routine", "time": "twelve minutes", "what": "cat cow",
    "name": "yoga", "known": "back", "closing": "Nice work.", "more": "two",
    "reminder": "Keep breathing.", "done": "six moves", "skipped": "one move",
    "where": "halfway through", "done_part": "", "ago": "two days",
}  # fmt: skip


ROUTINE_SKIP = {"id", "sides"}  # routine fields that are never spoken


def routine_texts(value: object) -> list[str]:
    """Every sentence a routine file holds (names, set-up, form cues, closings...)."""
    if isinstance(value, str):
        return [value] if re.search(r"[A-Za-z]{2}", value) else []
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in ROUTINE_SKIP for t in routine_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in routine_texts(v)]
    return []


def cue_texts() -> list[str]:
    """Every cue the coach speaks (placeholders filled) and every routine text."""
    path = paths.PACKAGE_DIR / "coaching" / "cues.yaml"
    if not path.is_file():
        return FALLBACK_CUES
    cues = yaml.safe_load(path.read_text()) or {}
    texts = []
    for template in cues.values():
        if isinstance(template, str):
            text = re.sub(r"\{(\w+)\}", lambda m: CUE_FILL.get(m.group(1), "five"), template)
            if text.strip(" .,"):
                texts.append(text)
    for routine in sorted((paths.PACKAGE_DIR / "routines").glob("*.yaml")):
        data = yaml.safe_load(routine.read_text()) or {}
        data.pop("name", None)  # the file's id; the coach says its title
        texts.extend(routine_texts(data))
    return texts


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


def synth(text: str, voice: str, speed: int, out: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    return read_wav_mono(out)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return noise / np.std(noise)


def place(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech inside a stretch of live audio: quiet room tone before and after."""
    lead = rng.normal(0, 8, int(16000 * rng.uniform(0.4, 0.9)))
    tail = rng.normal(0, 8, int(16000 * 0.9))
    return np.concatenate([lead, speech.astype(np.float64), tail])


def mix(audio: np.ndarray, speech: np.ndarray, snr: float, rng: np.random.Generator) -> np.ndarray:
    active = speech[np.abs(speech) > 0.05 * np.abs(speech).max()].astype(np.float64)
    level = np.sqrt(np.mean(active**2)) / (10 ** (snr / 20))
    mixed: np.ndarray = audio + level * pink_noise(len(audio), rng)
    return mixed


def reverb(audio: np.ndarray, work: Path) -> np.ndarray:
    """``audio`` played in a reverberant room (sox; its clipping warnings are not shown)."""
    src, dst = work / "dry.raw", work / "wet.wav"
    np.clip(audio, -32768, 32767).astype("<i2").tofile(src)
    fmt = ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1"]
    sox = ["sox", *fmt, str(src), str(dst), "reverb", "60", "50", "80"]
    subprocess.run(sox, check=True, capture_output=True)
    return read_wav_mono(dst)[: len(audio) + 8000].astype(np.float64)


def decode(recognizer, audio: np.ndarray, times: list[float]):  # type: ignore[no-untyped-def]
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    results = []
    for utt in segment(pcm, 16000):
        began = time.perf_counter()
        results.append(recognizer.recognize(utt.samples))
        times.append((time.perf_counter() - began) / max(len(utt.samples) / 16000, 0.1))
    return best_of(results)


class _CoachSpeaking(RecordingSpeaker):
    """A speaker that is always talking: every utterance overlaps the coach's voice."""

    def is_speaking(self) -> bool:
        return True


def obeyed_while_speaking(recognizer, audio: np.ndarray) -> list[Command]:  # type: ignore[no-untyped-def]
    """Commands the live listener would act on if ``audio`` came in while the coach spoke."""
    posted: list[Command] = []
    listener = Listener(recognizer, _CoachSpeaking(), posted.append, early=None)
    pcm = np.clip(audio, -32768, 32767).astype(np.int16)
    for start in range(0, len(pcm), 480):
        listener.feed(AudioChunk(pcm[start : start + 480], 16000, start / 16000))
    listener.feed(AudioChunk(np.zeros(16000, np.int16), 16000, len(pcm) / 16000))
    return posted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a sample of phrasings, one speed")
    ap.add_argument("--tune", action="store_true", help="run on the tuning voices instead")
    ap.add_argument("--engine", default=None)
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    intents = load_intents(routine_names=["back"])
    recognizer = make_recognizer(args.engine, args.model, intents)
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
    times: list[float] = []
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i, phrase in enumerate(phrases):
            voice, speed = voices[i % len(voices)], speeds[(i // len(voices)) % len(speeds)]
            speech = synth(phrase, voice, speed, work / "s.wav")
            clean = place(speech, rng)
            expected = intents.match(phrase)
            for cond in conditions:
                if cond == "clean":
                    audio = clean
                elif cond == "reverb":
                    audio = reverb(clean, work)
                else:
                    audio = mix(clean, speech, float(cond), rng)
                got = decode(recognizer, audio, times)
                ok = expected is not None and got.intent == expected.name
                ok = ok and expected is not None and got.slots == expected.slots
                correct[cond] += ok
                total[cond] += 1
                path = intents.match(got.text) if got.text else None
                heard[cond] += (
                    path is not None
                    and expected is not None
                    and ((path.name, path.slots) == (expected.name, expected.slots))
                )
                tally = by_voice.setdefault((voice, cond), [0, 0])
                tally[0] += ok
                tally[1] += 1
                if not ok and cond == "clean":
                    misses.append(f"{phrase!r} ({voice}) -> {got.text!r} {got.intent}")
        negatives = [(t, v) for t in NEGATIVES for v in voices]
        neg_fa, neg_seconds = 0, 0.0
        for text, voice in negatives:
            speech = synth(text, voice, speeds[0], work / "n.wav")
            for cond in ("clean", 12):
                audio = place(speech, rng)
                if cond != "clean":
                    audio = mix(audio, speech, 12.0, rng)
                neg_seconds += len(speech) / 16000
                got = decode(recognizer, audio, times)
                if got.accepted:
                    neg_fa += 1
                    misses.append(f"NEG {text!r} ({voice}) -> {got.text!r} {got.intent}")
        cues = cue_texts()
        self_fa = obeyed = 0
        for text in cues:
            speech = synth(text, voices[0], 175, work / "c.wav")
            audio = place(speech, rng)
            got = decode(recognizer, audio, times)
            if got.accepted:
                self_fa += 1
                misses.append(f"CUE {text!r} -> {got.text!r} {got.intent}")
            acted = obeyed_while_speaking(recognizer, audio)
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
    xrt = np.array(times)
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
