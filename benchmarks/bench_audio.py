"""The benchmarks' test audio: synthetic speech, noises, a room, and real people's clips.

Everything here is made in the run from seeds (espeak-ng, numpy, ``sox -R``), so a run
hears the same sounds every time. Noise is mixed at an SNR measured against the
speech's active part (samples above 5% of its peak), as the benchmarks always did.

* pink noise: a steady hiss, the classic SNR test;
* babble: other people talking under the command (four espeak-ng voices saying
  everyday sentences, summed): the noise that sounds most like commands;
* music: chords, a bass line, a melody and drums (numpy), with a beat and note onsets
  that a VAD can take for speech;
* a reverberant room (sox).

``human_clips`` reads ``../shared/human-dev`` (Speech Commands clips: real people,
phone microphones).
"""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.audio.chunk import SPEECH_RATE, Samples, convert
from voicecoach.audio.wav import read_wav
from voicecoach.voice import synth as tts

HUMAN_DEV = Path(__file__).resolve().parents[2] / "shared" / "human-dev"
BABBLE_VOICES = ("en-us+f2", "en-gb+m3", "en-us+m7", "en-gb-x-rp+f4")  # none of the test voices
ROOM_TONE = 8.0  # int16 units: a quiet room


def synth(text: str, voice: str, speed: int) -> Samples:
    """``text`` spoken by espeak-ng, mono at SPEECH_RATE."""
    return tts.synthesize(text, voice, speed, target_rate=SPEECH_RATE).samples[:, 0]


def room_tone(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, ROOM_TONE, n)


def place(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech inside a stretch of live audio: quiet room tone before and after."""
    lead = room_tone(int(SPEECH_RATE * rng.uniform(0.4, 0.9)), rng)
    tail = room_tone(int(SPEECH_RATE * 0.9), rng)
    return np.concatenate([lead, speech.astype(np.float64), tail])


def vad_cut(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Speech as the VAD hands it to an engine: 0.3 s of room tone before, 0.2 s after."""
    lead, tail = room_tone(int(0.3 * SPEECH_RATE), rng), room_tone(int(0.2 * SPEECH_RATE), rng)
    return np.concatenate([lead, speech.astype(np.float64), tail])


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return noise / np.std(noise)


def add_noise(audio: np.ndarray, speech: np.ndarray, noise: np.ndarray, snr: float) -> np.ndarray:
    """``audio`` plus ``noise`` (as long as it) at ``snr`` dB below ``speech``'s active level."""
    active = speech[np.abs(speech) > 0.05 * np.abs(speech).max()].astype(np.float64)
    level = np.sqrt(np.mean(active**2)) / (10 ** (snr / 20))
    mixed: np.ndarray = audio + level * noise / max(float(np.std(noise)), 1e-9)
    return mixed


def mix(audio: np.ndarray, speech: np.ndarray, snr: float, rng: np.random.Generator) -> np.ndarray:
    """``audio`` in pink noise at ``snr`` dB."""
    return add_noise(audio, speech, pink_noise(len(audio), rng), snr)


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


class Loop:
    """A long recording that stretches of any length are cut from, at random offsets."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio = audio

    def take(self, n: int, rng: np.random.Generator) -> np.ndarray:
        start = int(rng.integers(len(self.audio)))
        reps = (start + n) // len(self.audio) + 1
        return np.tile(self.audio, reps)[start : start + n]


def babble(sentences: Sequence[str], rng: np.random.Generator, seconds: float = 60.0) -> Loop:
    """Four people talking at once: each voice says the sentences in its own order.

    Each talker is brought to the same level before the sum, so no one voice stands out.
    """
    n = int(seconds * SPEECH_RATE)
    total = np.zeros(n)
    for voice in BABBLE_VOICES:
        talk: list[np.ndarray] = []
        while sum(len(t) for t in talk) < n:
            for i in rng.permutation(len(sentences)):
                said = synth(sentences[i], voice, int(rng.integers(150, 190))).astype(np.float64)
                gap = np.zeros(int(SPEECH_RATE * rng.uniform(0.05, 0.3)))
                talk += [said / max(float(np.std(said)), 1e-9), gap]
        total += np.concatenate(talk)[:n]
    return Loop(total / np.std(total))


def _note(freq: float, n: int, decay: float, harmonics: int) -> np.ndarray:
    """One plucked note: a few decaying harmonics, a fast attack."""
    t = np.arange(n) / SPEECH_RATE
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-t / decay)
    shaped: np.ndarray = tone * envelope
    return shaped


def music(rng: np.random.Generator, seconds: float = 60.0, bpm: float = 112.0) -> Loop:
    """A pop-like loop: a chord on every beat, bass on one and three, a melody in eighths,
    kick and hi-hat. The progression and melody are drawn from ``rng``."""
    n = int(seconds * SPEECH_RATE)
    out = np.zeros(n + SPEECH_RATE)
    beat = int(SPEECH_RATE * 60 / bpm)
    root = 220.0 * 2 ** (int(rng.integers(-3, 4)) / 12)
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    chords = [(0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)]  # I V vi IV
    click = rng.normal(size=beat // 8) * np.exp(-np.arange(beat // 8) / (beat / 40))
    for b in range(n // beat):
        at = b * beat
        chord = chords[(b // 4 + int(rng.integers(2))) % len(chords)]
        for step in chord:
            out[at : at + beat] += 0.5 * _note(root * 2 ** (step / 12), beat, 0.25, 4)
        if b % 2 == 0:
            out[at : at + 2 * beat] += 0.8 * _note(
                root / 4 * 2 ** (chord[0] / 12), 2 * beat, 0.4, 3
            )
        kick = _note(55.0, beat // 2, 0.05, 1)
        out[at : at + len(kick)] += 1.5 * kick
        off = at + beat // 2
        out[off : off + len(click)] += 0.3 * click
        for half in (0, beat // 2):
            if rng.random() < 0.7:
                freq = 2 * root * 2 ** (scale[int(rng.integers(len(scale)))] / 12)
                out[at + half : at + half + beat // 2] += 0.6 * _note(freq, beat // 2, 0.12, 3)
    out = out[:n]
    return Loop(out / np.std(out))


@dataclass(frozen=True)
class HumanClip:
    """One real person's clip from the human-dev set."""

    file: str
    word: str
    speaker: str
    samples: np.ndarray  # mono at SPEECH_RATE, float64


def human_clips(root: Path) -> list[HumanClip]:
    """Every clip of ``root``/speech-commands, in the order of its labels.tsv."""
    folder = root / "speech-commands"
    with (folder / "labels.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    clips = []
    for row in rows:
        wav = read_wav(folder / row["file"])
        samples = convert(wav.samples, wav.rate, SPEECH_RATE).astype(np.float64)
        clips.append(HumanClip(row["file"], row["words"], row["speaker"], samples))
    return clips
