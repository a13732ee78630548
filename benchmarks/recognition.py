"""Recognition benchmark: every engine on the same audio; commands, real people, noise, time.

Each utterance is made once and decoded by each engine in turn, so the columns compare
on identical audio. Speech is synthesized with espeak-ng (several voices and speeds)
and mixed with pink noise at fixed SNRs, with babble (four voices of everyday talk) and
with music at 12 and 6 dB, and played through one reverberant room (``bench_audio``).
Real people come from ``../shared/human-dev``: 190 "stop" clips that must be heard as
stop and 420 other everyday words that must not be taken as any command.

Every clip is played to the live listener as ``voicecoach recognize`` plays a file (30 ms
chunks through the VAD segmenter, the engine and intent matching; ``--early`` adds the
listener's early decisions, see voicecoach/recognition/recording.py). The rejection
threshold was chosen on the TUNE voices; the synthetic figures that count are on the
EVAL voices, which were held out.

    python benchmarks/recognition.py [--quick] [--engine E,E] [--model VOSK_DIR]
        [--human-dev DIR] [--only SET,SET] [--tune] [--early]

Exits 1 when the first engine listed misses a target.
"""

from __future__ import annotations

import argparse
import itertools
import random
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

import bench_audio as audio_kit
from bench_audio import mix as mix
from bench_audio import pink_noise as pink_noise
from bench_audio import place as place
from bench_audio import synth as synth
from not_commands import NEGATIVES, cue_texts
from recognition_figures import Clip, Heard, Results, report, targets

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples, convert, split
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.commands.names import Command
from voicecoach.errors import UserError
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.grammar import spoken
from voicecoach.recognition.listener import EARLY_DECISION
from voicecoach.recognition.recognizer import Recognition, Recognizer
from voicecoach.recognition.recording import best_of, hear
from voicecoach.voice.catalog import CoachVoice
from voicecoach.voice.speaker import RecordingSpeaker
from voicecoach.voice.voices import DEFAULT_VOICE_ID

TUNE_VOICES = ["en-us", "en-gb-x-rp", "en", "en-us+f3", "en-us+m1"]
EVAL_VOICES = ["en-029", "en-gb-scotland+f2", "en-us+m4", "en-gb-x-gbclan+m2"]
SPEEDS = [140, 175]
SNRS = [24, 18, 12, 9, 6]
NOISE_SNRS = [12, 6]  # babble and music
CONDITIONS = [
    "clean",
    *(f"pink {s} dB" for s in SNRS),
    *(f"{kind} {s} dB" for kind in ("babble", "music") for s in NOISE_SNRS),
    "reverb",
]
DEFAULT_ENGINES = "whisper,pocketsphinx"  # the default engine first: it decides the exit
SETS = ("commands", "negatives", "cues", "human", "noise")
NOISE_BURSTS = 40  # of each kind: babble, music, pink noise
NOISE_LEVELS = (1000.0, 3000.0)  # RMS in int16 units: about -30 and -21 dBFS


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


@dataclass
class Timed:
    """A recognizer that notes each decode's processing time per second of its audio."""

    inner: Recognizer
    times: list[float] = field(default_factory=list)  # x real time
    ms: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sample_rate = self.inner.sample_rate
        self.engine = self.inner.engine
        self.intents: CommandIntents = self.inner.intents

    def recognize(self, samples: Samples) -> Recognition:
        began = time.perf_counter()
        result = self.inner.recognize(samples)
        took = time.perf_counter() - began
        self.times.append(took / max(len(samples) / self.sample_rate, 0.1))
        self.ms.append(took * 1000)
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


class _CoachSpeaking(RecordingSpeaker):
    """A speaker that is always talking: every utterance overlaps the coach's voice."""

    def is_speaking(self) -> bool:
        return True


def obeyed_while_speaking(
    recognizer: Recognizer, audio: np.ndarray, early: float | None, said: str
) -> list[Command]:
    """Commands the live listener would act on if ``audio`` came in while the coach spoke
    ``said`` (it is the coach's own cue: the guard compares what it heard with it)."""
    decisions = hear(recognizer, chunks(audio), _CoachSpeaking(), early=early, coach_words=[said])
    return [d.command for d in decisions if d.command is not None and not d.ignored]


@dataclass
class Engine:
    """One engine's recognizer, timed, and what it heard."""

    timed: Timed
    results: Results

    def listen(self, audio: np.ndarray, clip: Clip, early: float | None) -> None:
        text, command = decode(self.timed, audio, early)
        right = clip.expected is not None and self.timed.intents.match(text) == clip.expected
        self.results.heard.append(Heard(clip, text, command, right))


def run_commands(
    engines: list[Engine], intents: CommandIntents, args: argparse.Namespace, log: Log
) -> None:
    """Every phrasing in every condition, each clip decoded by every engine."""
    voices = TUNE_VOICES if args.tune else EVAL_VOICES
    speeds = SPEEDS[:1] if args.quick else SPEEDS
    rng = np.random.default_rng(11)
    noise_rng = np.random.default_rng(17)  # its own, so the pink mixes stay as they were
    pick = random.Random(5)
    phrases = every_phrasing(intents, pick, per_template=1 if args.quick else 3)
    if args.quick:
        phrases = pick.sample(phrases, min(60, len(phrases)))
    loops = {
        "babble": audio_kit.babble(NEGATIVES, np.random.default_rng(19)),
        "music": audio_kit.music(np.random.default_rng(23)),
    }
    log(f"commands: {len(phrases)} phrasings x {len(CONDITIONS)} conditions")
    with tempfile.TemporaryDirectory() as tmp:
        for i, phrase in enumerate(phrases):
            voice, speed = voices[i % len(voices)], speeds[(i // len(voices)) % len(speeds)]
            speech = synth(phrase, voice, speed)
            clean = place(speech, rng)
            expected = intents.match(phrase)
            for cond in CONDITIONS:
                kind, _, snr = cond.partition(" ")
                if cond == "clean":
                    audio = clean
                elif cond == "reverb":
                    audio = audio_kit.reverb(clean, Path(tmp))
                elif kind == "pink":
                    audio = mix(clean, speech, float(snr.split()[0]), rng)
                else:
                    noise = loops[kind].take(len(clean), noise_rng)
                    audio = audio_kit.add_noise(clean, speech, noise, float(snr.split()[0]))
                clip = Clip("commands", cond, voice, phrase, expected, len(speech) / SPEECH_RATE)
                for engine in engines:
                    engine.listen(audio, clip, args.early_s)
            if i % 20 == 19:
                log(f"commands: {i + 1} of {len(phrases)}")


def run_negatives(engines: list[Engine], args: argparse.Namespace, log: Log) -> None:
    """Everyday sentences on every voice, clean and in pink noise at 12 dB."""
    voices = TUNE_VOICES if args.tune else EVAL_VOICES
    speed = SPEEDS[0]
    rng = np.random.default_rng(29)
    log(f"negatives: {len(NEGATIVES) * len(voices) * 2} utterances")
    for text, voice in itertools.product(NEGATIVES, voices):
        speech = synth(text, voice, speed)
        for cond in ("clean", "pink 12 dB"):
            audio = place(speech, rng)
            if cond != "clean":
                audio = mix(audio, speech, 12.0, rng)
            clip = Clip("negatives", cond, voice, text, None, len(speech) / SPEECH_RATE)
            for engine in engines:
                engine.listen(audio, clip, args.early_s)


def run_cues(engines: list[Engine], args: argparse.Namespace, log: Log) -> None:
    """The coach's own sentences, in the voices the coach speaks with (Piper, its default,
    and pyttsx3's espeak-ng, its fallback; the condition says which): taken as commands,
    and acted on while it speaks."""
    rng = np.random.default_rng(31)
    cues = cue_texts()
    voices = [CoachVoice(None), CoachVoice(DEFAULT_VOICE_ID.rsplit("/", 1)[-1])]
    log(f"cues: {len(cues)} in {', '.join(v.id for v in voices)}")
    for voice in voices:
        for text in cues:
            rendered = voice(text)
            speech = convert(rendered.samples, rendered.rate, SPEECH_RATE)
            audio = place(speech, rng)
            clip = Clip("cues", voice.engine, voice.id, text, None, len(speech) / SPEECH_RATE)
            for engine in engines:
                heard, command = decode(engine.timed, audio, args.early_s)
                obeyed = obeyed_while_speaking(engine.timed.inner, audio, args.early_s, text)
                acted = tuple(c.name for c in obeyed)
                engine.results.heard.append(Heard(clip, heard, command, obeyed=acted))


def run_noise(engines: list[Engine], args: argparse.Namespace, log: Log) -> None:
    """Noise alone, in bursts of 0.8 to 3 s between stretches of room tone, so the VAD
    hands each over as an utterance (continuous noise runs past its 5 s and is dropped
    whole): four people talking at once (the commands' babble), music, pink noise. No
    command may come of them."""
    rng = np.random.default_rng(43)
    loops = {
        "babble": audio_kit.babble(NEGATIVES, np.random.default_rng(19)),
        "music": audio_kit.music(np.random.default_rng(23)),
        "pink": audio_kit.Loop(pink_noise(60 * SPEECH_RATE, np.random.default_rng(47))),
    }
    bursts = NOISE_BURSTS // (2 if args.quick else 1)
    log(f"noise: {bursts * len(loops) * len(NOISE_LEVELS)} bursts")
    for (kind, loop), level in itertools.product(loops.items(), NOISE_LEVELS):
        for _ in range(bursts):
            burst = level * loop.take(int(SPEECH_RATE * rng.uniform(0.8, 3.0)), rng)
            clip = Clip("noise", kind, "-", "", None, len(burst) / SPEECH_RATE)
            audio = place(burst, rng)  # once: every engine hears the same
            for engine in engines:
                engine.listen(audio, clip, args.early_s)


def run_human(
    engines: list[Engine], clips: list[audio_kit.HumanClip], args: argparse.Namespace, log: Log
) -> None:
    """Real people: each clip in room tone, as ``place`` sets synthetic speech."""
    rng = np.random.default_rng(37)
    stop = Command("stop")
    log(f"human-dev: {len(clips)} clips")
    for i, clip in enumerate(clips):
        audio = place(clip.samples, rng)
        expected = stop if clip.word == "stop" else None
        cond = "stop" if clip.word == "stop" else "other"
        said = Clip(
            "human", cond, clip.speaker, clip.word, expected, len(clip.samples) / SPEECH_RATE
        )
        for engine in engines:
            engine.listen(audio, said, args.early_s)
        if i % 100 == 99:
            log(f"human-dev: {i + 1} of {len(clips)}")


class Log:
    """Progress on stderr, with the seconds since the start."""

    def __init__(self) -> None:
        self.began = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.began:5.0f} s] {message}", file=sys.stderr, flush=True)


def build(names: list[str], args: argparse.Namespace, intents: CommandIntents) -> list[Engine]:
    """Each engine's recognizer (Vosk: ``--model``; Whisper: ``--whisper-model``)."""
    models = {"vosk": args.model, "whisper": args.whisper_model}
    engines = []
    for engine in names:
        timed = Timed(make_recognizer(engine, models.get(engine), intents))
        engines.append(Engine(timed, Results(engine, xrt=timed.times, ms=timed.ms)))
    return engines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 phrasings at one speed")
    ap.add_argument("--tune", action="store_true", help="run on the tuning voices instead")
    ap.add_argument(
        "--engine",
        default=None,
        help=f"engines, comma-separated (default {DEFAULT_ENGINES}, "
        "and vosk when --model is given); the first one decides the exit code",
    )
    ap.add_argument("--model", type=Path, default=None, help="a Vosk model folder")
    ap.add_argument("--whisper-model", type=Path, default=None, help="a Whisper model folder")
    ap.add_argument(
        "--human-dev",
        type=Path,
        default=audio_kit.HUMAN_DEV,
        help="the human-dev folder (default ../shared/human-dev)",
    )
    ap.add_argument("--only", default=",".join(SETS), help=f"sets to run: {', '.join(SETS)}")
    ap.add_argument("--misses", type=int, default=20, help="clean command misses listed")
    ap.add_argument(
        "--early",
        action="store_true",
        help="decide early, as the live listener does (by default: at each endpoint)",
    )
    args = ap.parse_args()
    args.early_s = EARLY_DECISION if args.early else None
    default = DEFAULT_ENGINES + (",vosk" if args.model else "")
    names = [n.strip() for n in (args.engine or default).split(",") if n.strip()]
    sets = {s.strip() for s in args.only.split(",") if s.strip()}
    if not names or sets - set(SETS):
        ap.error(f"--only takes {', '.join(SETS)}; --engine at least one engine")
    log = Log()
    intents = load_intents(routine_names=["back"])
    try:
        engines = build(names, args, intents)
    except UserError as exc:
        print(f"recognition.py: {exc}", file=sys.stderr)
        return exc.exit_code
    clips: list[audio_kit.HumanClip] = []
    if "human" in sets:
        if (args.human_dev / "speech-commands" / "labels.tsv").is_file():
            clips = audio_kit.human_clips(args.human_dev)
        else:
            print(f"real people: skipped, no {args.human_dev / 'speech-commands'}")
    if "commands" in sets:
        run_commands(engines, intents, args, log)
    if "negatives" in sets:
        run_negatives(engines, args, log)
    if "cues" in sets:
        run_cues(engines, args, log)
    if clips:
        run_human(engines, clips, args, log)
    if "noise" in sets:
        run_noise(engines, args, log)
    voices = TUNE_VOICES if args.tune else EVAL_VOICES
    quick = " (--quick: 60 phrasings, one speed)" if args.quick else ""
    decided = "early decisions" if args.early else "decided at each endpoint"
    print(f"engines {', '.join(names)}; voices {', '.join(voices)}{quick}; {decided}")
    results = [engine.results for engine in engines]
    report(results, voices, args.misses)
    log("done")
    return 1 if any(not t.met for t in targets(results[0])) else 0


if __name__ == "__main__":
    raise SystemExit(main())
