"""Echo cancellers side by side: what each takes out of the coach, and leaves of the person.

Makes the README's reason for SpeexDSP (WebRTC's AEC3 cut the person's word; issue 13's
trial) reproducible in one command. Every canceller gets the same microphone stream and
the same reference (what the loudspeaker played), from a simulated room
(:class:`voicecoach.sim.room.Room` with an :class:`~voicecoach.sim.room.Echo`).

The scene: the coach says six sentences back to back (Piper, as the coach sounds; about
27 s); the person (espeak-ng ``en-us+m3``, its loud part at -26 dBFS RMS) says "next",
"pause" and "stop", each at the same four places over the coach's speech after its first
4 s (the first moments after 4.5, 10.5, 16.5 and 22.5 s where the coach talks all through
the word): 12 trials a room. The rooms: the echo's direct sound after 20, 100 or 200 ms,
RT60 0.3 or 0.6 s, the echo's loud part 0 or 10 dB over the person's (the gain is
computed from the two loudnesses), noise at -66 dBFS: 12 rooms, ``--quick`` 4 (20 and
200 ms, RT60 0.6 s, both levels).

The cancellers, each started afresh on every stream:

* ``none``: the microphone as it is;
* ``speex-linear``: SpeexDSP's adaptive filter alone: an
  :class:`~voicecoach.audio.echo.EchoCanceller` whose preprocessor has its noise
  suppression turned off, which leaves the residual-echo suppressor idle (every gain 1);
* ``speex``: the EchoCanceller as the coach builds it (residual suppressor at -40 dB),
  told the delay: the reference is held back a frame less than the echo's delay;
* ``speex-remover``: :class:`~voicecoach.audio.echo.EchoRemover`, the live path, in
  30 ms chunks: it is told nothing and finds the delay itself;
* ``webrtc-aec3``: WebRTC's AEC3 (livekit's ``AudioProcessingModule``), told the delay.
  Only when ``livekit`` can be imported: it is no dependency of voicecoach (``pip install
  livekit`` beside it, or put it on PYTHONPATH, to compare).

Measured per canceller: ERLE, the microphone's power over the output's where the coach's
echo is heard (within 20 dB of its loud level) and the person is silent, after the first
3 s (median and range over the rooms); the person's word kept: each canceller also runs
on the room without the person, and the difference of its two outputs, its output lag
taken out, is correlated with the word as said (1.0: kept as it was; median over the
rooms); commands heard over the coach: Whisper (the project's recognizer, every routine's
intents) on the output from 0.6 s before each word to 0.6 s after it, right only when
accepted and matched to that word's command; CPU ms per second of audio (process time,
livekit's own threads included). The words alone, in the room's noise without the coach,
are heard first as the ceiling.

Exits 1 when ``speex`` hears fewer commands than ``none`` (a canceller making things worse
is a regression); the figures themselves are a comparison, not a target.

    python benchmarks/echo_cancellers.py [--quick] [--verbose]

Measured 2026-12-03 (2 cores, another benchmark running, ``OMP_NUM_THREADS=1``, livekit
1.2.1 on PYTHONPATH; 229 s, ``--quick`` 77 s). The words alone: 12/12.

    12 rooms, medians (range) over them
    canceller      ERLE dB            word kept (corr)   commands over the coach  CPU ms/s
    none           0.0 (0.0..0.0)     1.00 (1.00..1.00)  0/144                    0.0
    speex-linear   23.0 (20.0..27.1)  0.98 (0.97..0.98)  128/144                  8.1
    speex          33.9 (26.7..43.4)  0.98 (0.96..0.98)  126/144                  7.7
    speex-remover  18.1 (15.2..47.1)  0.97 (0.95..0.98)  114/144                  16.0
    webrtc-aec3    37.5 (28.8..52.1)  0.64 (0.32..0.76)  32/144                   10.2

``--quick``: none 0/48, speex-linear 38/48, speex 35/48, speex-remover 29/48, webrtc-aec3
12/48; ERLE 0.0 / 20.7 / 28.6 / 21.9 / 30.4 dB, word kept 1.00 / 0.98 / 0.97 / 0.97 / 0.63.

* AEC3 takes out the most echo (29-52 dB) but not the person's word with it: the part of
  its output that is the person correlates 0.32-0.76 with the word (0.32-0.45 at +10 dB
  with a 20 or 100 ms delay, where Whisper hears 0 of 12 commands in each of the four
  rooms), and Whisper hears 32 of 144 commands in all. Every Speex variant keeps the word
  (0.95-0.98) and is heard 114-128 of 144 times; with no canceller, 0 of 144.
* The residual suppressor adds about 11 dB of ERLE to the linear filter but no commands:
  128 of 144 without it, 126 with it; in the loud, reverberant rooms (RT60 0.6 s, +10 dB)
  the linear filter alone does better (25 of 36 against 20).
* ``speex-remover``'s ERLE is low at 100 and 200 ms (15-19 dB) because the measurement
  starts at 3 s, just after it has found the delay and started again (at 2.5 s);
  at 20 ms, where it needs no restart, it matches ``speex`` (41-47 dB at RT60 0.3 s). Its
  commands fall behind in the loud, reverberant rooms (11 of 36).
* Piper's voice is drawn afresh on every run (its model's noise), so the coach's sentences,
  the word places and the figures move from run to run: a second ``--quick`` (without
  livekit) gave speex-linear 39/48, speex 40/48, speex-remover 31/48 (first: 38, 35, 29),
  so the two plain Speex rows are level within that noise.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np
import numpy.typing as npt

from voicecoach.audio.chunk import CHUNK_MS, SPEECH_RATE, AudioChunk, Samples, convert
from voicecoach.audio.echo import FRAME, LATENCY, EchoCanceller, EchoRemover, speexdsp
from voicecoach.commands.intents import load_intents
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.recognizer import Recognizer
from voicecoach.routines.library import routine_names
from voicecoach.sim.room import Echo, Room, convolve
from voicecoach.voice import synth
from voicecoach.voice.catalog import CoachVoice

RATE = SPEECH_RATE
COACH_LINES = (
    "Good morning. We begin with a few slow stretches for your back.",
    "Lie down on the mat, bend both knees, and rest your arms by your sides.",
    "Take a deep breath in, and as you breathe out, let your shoulders drop.",
    "Now press your lower back gently into the mat and hold that position.",
    "One, two, three, four, five. Stay with it. Six, seven, eight, and release.",
    "Well done. Now hug both knees toward your chest and rock from side to side.",
)
GAP = 0.25  # seconds of silence between the coach's sentences
WORDS = ("next", "pause", "stop")  # each is also the name of its command
PERSON_VOICE = ("en-us+m3", 160)
PERSON_DBFS = -26.0
NOISE_DBFS = -66.0
MOMENTS = (4.5, 10.5, 16.5, 22.5)  # a word is said at the first moment after each of these
BEFORE = 0.1  # ... when the coach has been talking this long before it and talks all through it
PAD = 0.6  # seconds of the output before and after a word given to Whisper
SKIP = 3.0  # ERLE leaves the first seconds out: every canceller is still learning then
SEED = 13
DELAYS = (0.02, 0.1, 0.2)
RT60S = (0.3, 0.6)
LEVELS = (0.0, 10.0)  # dB of the echo over the person
QUICK_DELAYS = (0.02, 0.2)
QUICK_RT60S = (0.6,)
_PREPROCESS_SET_DENOISE = 0  # speex_preprocess.h

Process = Callable[[Samples, Samples], Samples]  # microphone, played -> output, same length


@dataclass(frozen=True)
class Canceller:
    """One way of taking the coach out: ``make(delay)`` gives a fresh one for a stream of a
    room whose echo comes ``delay`` seconds late; its output trails the microphone by
    ``lag`` samples."""

    name: str
    lag: int
    make: Callable[[float], Process]


@dataclass
class Tally:
    """One canceller's measurements over every room."""

    erle: list[float] = field(default_factory=list)
    kept: list[float] = field(default_factory=list)
    right: int = 0
    trials: int = 0
    cpu: float = 0.0  # seconds of process time
    audio: float = 0.0  # seconds of audio processed


@dataclass(frozen=True)
class Scene:
    """What every room shares: the coach's sentences (start sample, samples, as played),
    the person's words and where they go (start samples, the same for every word)."""

    coach: list[tuple[int, Samples]]
    played: Samples  # the whole timeline of what the loudspeaker plays
    words: dict[str, Samples]
    starts: list[int]
    length: int  # samples in every stream, whole frames


def frame_power(samples: npt.NDArray[np.generic]) -> npt.NDArray[np.float64]:
    """Mean square of each whole 10 ms frame."""
    x = np.asarray(samples, np.float64).reshape(-1)
    power: npt.NDArray[np.float64] = np.mean(
        x[: len(x) // FRAME * FRAME].reshape(-1, FRAME) ** 2, 1
    )
    return power


def loud_level(samples: npt.NDArray[np.generic]) -> float:
    """RMS dBFS of a sound's loud part (its 10 ms frames within 30 dB of the loudest)."""
    power = frame_power(samples) + 1e-9
    loud = power[power > power.max() / 1000]
    return float(10 * np.log10(np.mean(loud)) - 20 * np.log10(32767.0))


def person_word(word: str) -> Samples:
    """``word`` in the person's voice, trimmed to its voiced part, at :data:`PERSON_DBFS`."""
    samples = synth.synthesize(word, *PERSON_VOICE).samples.reshape(-1).astype(np.float64)
    voiced = np.flatnonzero(frame_power(samples) > frame_power(samples).max() / 10**4)
    samples = samples[voiced[0] * FRAME : (voiced[-1] + 1) * FRAME]
    gain = 10 ** ((PERSON_DBFS - loud_level(samples)) / 20)
    out: Samples = np.clip(np.round(samples * gain), -32768, 32767).astype(np.int16)
    return out


def make_scene() -> Scene:
    """The coach's six sentences back to back, the three words and their four places."""
    voice = CoachVoice(None)
    coach: list[tuple[int, Samples]] = []
    at = 0
    for line in COACH_LINES:
        chunk = voice(line)
        samples = convert(chunk.samples, chunk.rate, RATE)
        coach.append((at, samples))
        at += len(samples) + round(GAP * RATE)
    length = -(-(at + RATE) // FRAME) * FRAME  # a second for the last echo to die away
    played = np.zeros(length, np.int16)
    for start, samples in coach:
        played[start : start + len(samples)] = samples
    words = {word: person_word(word) for word in WORDS}
    longest = max(len(w) for w in words.values())
    # Talking: the coach's level over 100 ms, smoothed, within 20 dB of its loud level.
    power = np.convolve(frame_power(played), np.ones(10) / 10, mode="same")
    talking = power > 10 ** ((loud_level(played) - 20) / 10) * 32767.0**2
    starts = []
    for moment in MOMENTS:
        frame = round(moment * RATE) // FRAME
        first, span = round(BEFORE * RATE) // FRAME, -(-longest // FRAME)
        while not talking[frame - first : frame + span].all():
            frame += 1
            if frame + span >= len(talking):
                raise SystemExit(f"the coach does not talk long enough after {moment} s")
        starts.append(frame * FRAME)
    return Scene(coach, played, words, starts, length)


def hear(scene: Scene, echo: Echo | None, word: str | None) -> tuple[Samples, Samples]:
    """The microphone and what was played, the whole scene, in a room with ``echo`` (None:
    no coach at all), ``word`` said at every place (None: the person silent). Every room
    has the same noise."""
    room = Room(RATE, noise_dbfs=NOISE_DBFS, echo=echo, seed=SEED)
    if echo is not None:
        for start, samples in scene.coach:
            room.add(samples, start / RATE, played=True)
    if word is not None:
        for start in scene.starts:
            room.add(scene.words[word], start / RATE)
    mic, played = room.read_both(scene.length)
    return mic.samples.reshape(-1), played.samples.reshape(-1)


# ------------------------------------------------------------------ the cancellers


def framewise(step: Callable[[Samples, Samples], Samples]) -> Process:
    """A 10 ms-at-a-time canceller applied to whole streams."""

    def process(mic: Samples, played: Samples) -> Samples:
        out = np.empty_like(mic)
        for i in range(0, len(mic), FRAME):
            out[i : i + FRAME] = step(mic[i : i + FRAME], played[i : i + FRAME])
        return out

    return process


def held(delay: float) -> int:
    """Frames of reference to hold back for an echo ``delay`` seconds late: one less than
    the delay's frames, so the direct sound falls inside the filter."""
    return max(0, round(delay * RATE) // FRAME - 1)


def passthrough(delay: float) -> Process:
    return lambda mic, played: mic.copy()


def speex(delay: float) -> Process:
    return framewise(EchoCanceller(delay=held(delay)).process)


def speex_linear(delay: float) -> Process:
    """SpeexDSP's linear filter alone. The preprocessor's residual-echo suppressor only acts
    with its noise suppression on (without, preprocess.c sets every gain to 1), so turning
    that off on the canceller's preprocessor leaves the filter's output, a frame late as
    ever: echo.py needs no switch for it."""
    canceller = EchoCanceller(delay=held(delay))
    off = ctypes.c_int(0)
    speexdsp().speex_preprocess_ctl(canceller._pre, _PREPROCESS_SET_DENOISE, ctypes.byref(off))
    return framewise(canceller.process)


def speex_remover(delay: float) -> Process:
    """The live path's EchoRemover: not told the delay, it finds it; 30 ms chunks."""
    remover = EchoRemover()
    step = RATE * CHUNK_MS // 1000

    def process(mic: Samples, played: Samples) -> Samples:
        parts = []
        for i in range(0, len(mic), step):
            t = i / RATE
            heard = AudioChunk(mic[i : i + step].reshape(-1, 1), RATE, t)
            sent = AudioChunk(played[i : i + step].reshape(-1, 1), RATE, t)
            parts.append(remover.process(heard, sent).samples.reshape(-1))
        remover.close()
        out = np.concatenate(parts)
        return np.concatenate([out, np.zeros(len(mic) - len(out), np.int16)])[: len(mic)]

    return process


def aec3_maker(rtc: ModuleType) -> Callable[[float], Process]:
    """WebRTC's AEC3 through livekit's AudioProcessingModule, told the delay."""

    def make(delay: float) -> Process:
        apm = rtc.AudioProcessingModule(echo_cancellation=True)
        hint = round(delay * 1000)

        def step(mic: Samples, played: Samples) -> Samples:
            apm.process_reverse_stream(rtc.AudioFrame(played.tobytes(), RATE, 1, FRAME))
            apm.set_stream_delay_ms(hint)
            frame = rtc.AudioFrame(bytearray(mic.tobytes()), RATE, 1, FRAME)
            apm.process_stream(frame)
            out: Samples = np.frombuffer(bytes(frame.data.cast("B")), np.int16)
            return out

        return framewise(step)

    return make


def cancellers() -> list[Canceller]:
    """Every canceller to compare; WebRTC AEC3 only when livekit can be imported."""
    found = [
        Canceller("none", 0, passthrough),
        Canceller("speex-linear", LATENCY, speex_linear),
        Canceller("speex", LATENCY, speex),
        Canceller("speex-remover", LATENCY, speex_remover),
    ]
    try:
        rtc = importlib.import_module("livekit.rtc")
    except ImportError:
        print("webrtc-aec3: skipped, pip install livekit to compare")
    else:
        found.append(Canceller("webrtc-aec3", 128, aec3_maker(rtc)))
    return found


# ------------------------------------------------------------------ measuring


def aligned(out: Samples, lag: int) -> Samples:
    """``out`` moved ``lag`` samples earlier, to line up with the microphone."""
    moved: Samples = np.concatenate([out[lag:], np.zeros(lag, np.int16)])
    return moved


def heard_right(recognizer: Recognizer, clip: Samples, word: str) -> tuple[bool, str]:
    """Whether Whisper accepts ``clip`` as the command ``word``; and what it heard."""
    result = recognizer.recognize(clip)
    command = recognizer.intents.match(result.text) if result.text else None
    return bool(result.accepted and command is not None and command.name == word), result.text


def clips(scene: Scene, stream: Samples, word: str) -> list[Samples]:
    """The word's four trials: from :data:`PAD` before each to :data:`PAD` after it."""
    pad = round(PAD * RATE)
    return [stream[s - pad : s + len(scene.words[word]) + pad] for s in scene.starts]


def run_room(
    scene: Scene,
    delay: float,
    rt60: float,
    over: float,
    found: list[Canceller],
    tallies: dict[str, Tally],
    recognizer: Recognizer,
    verbose: bool,
) -> None:
    """One room: every canceller on the echo alone and on each word over it."""
    probe = Echo(delay=delay, rt60=rt60, seed=SEED)
    echo_alone = convolve(scene.played, probe.response(RATE))[: scene.length]
    gain_db = PERSON_DBFS + over - loud_level(echo_alone)
    echo = Echo(delay=delay, rt60=rt60, gain_db=gain_db, seed=SEED)
    silent, played = hear(scene, echo, None)
    with_word = {word: hear(scene, echo, word)[0] for word in WORDS}
    # ERLE over what has echo (within 20 dB of its loud level) after SKIP seconds.
    power = frame_power(echo_alone)
    echoing = np.repeat(power > power[power > power.max() / 1000].mean() / 100, FRAME)
    echoing[: round(SKIP * RATE)] = False
    line = [f"delay {delay * 1000:3.0f} ms  RT60 {rt60:.1f} s  echo {over:+.0f} dB:"]
    for canceller in found:
        tally = tallies[canceller.name]
        began = time.process_time()
        out_silent = aligned(canceller.make(delay)(silent, played), canceller.lag)
        outs = {
            w: aligned(canceller.make(delay)(mic, played), canceller.lag)
            for w, mic in with_word.items()
        }
        tally.cpu += time.process_time() - began
        tally.audio += scene.length / RATE * (1 + len(WORDS))
        mic_power = np.mean(silent[echoing].astype(np.float64) ** 2)
        out_power = np.mean(out_silent[echoing].astype(np.float64) ** 2)
        erle = float(10 * np.log10((mic_power + 1e-9) / (out_power + 1e-9)))
        said, kept = [], []
        right = 0
        for word, out in outs.items():
            for start in scene.starts:
                said.append(scene.words[word].astype(np.float64))
                end = start + len(scene.words[word])
                kept.append(out[start:end].astype(np.float64) - out_silent[start:end])
            for k, clip in enumerate(clips(scene, out, word)):
                ok, text = heard_right(recognizer, clip, word)
                right += ok
                if verbose:
                    print(f"    {canceller.name} {word} {k}: {'right' if ok else 'wrong'} {text!r}")
        corr = float(np.corrcoef(np.concatenate(said), np.concatenate(kept))[0, 1])
        tally.erle.append(erle)
        tally.kept.append(corr)
        tally.right += right
        trials = len(WORDS) * len(scene.starts)
        tally.trials += trials
        line.append(f"{canceller.name} {erle:.1f} dB {corr:.2f} {right}/{trials}")
    print("  ".join(line), flush=True)


def spread(values: list[float], digits: int) -> str:
    """Median and range."""
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:.{digits}f} ({low:.{digits}f}..{high:.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 rooms instead of 12")
    parser.add_argument("-v", "--verbose", action="store_true", help="print what Whisper heard")
    args = parser.parse_args()
    began = time.perf_counter()
    found = cancellers()
    scene = make_scene()
    print(
        f"coach {scene.length / RATE:.1f} s; words at "
        + ", ".join(f"{s / RATE:.2f}" for s in scene.starts)
        + " s; "
        + ", ".join(f"{w} {len(x) / RATE:.2f} s" for w, x in scene.words.items())
    )
    recognizer = make_recognizer("whisper", None, load_intents(None, routine_names()))
    clean = 0
    for word in WORDS:
        alone, _ = hear(scene, None, word)
        clean += sum(heard_right(recognizer, clip, word)[0] for clip in clips(scene, alone, word))
    print(f"the words alone, no coach: {clean}/{len(WORDS) * len(scene.starts)} heard right")
    tallies = {c.name: Tally() for c in found}
    delays, rt60s = (QUICK_DELAYS, QUICK_RT60S) if args.quick else (DELAYS, RT60S)
    for delay in delays:
        for rt60 in rt60s:
            for over in LEVELS:
                run_room(scene, delay, rt60, over, found, tallies, recognizer, args.verbose)
    rooms = len(delays) * len(rt60s) * len(LEVELS)
    print()
    print(f"{rooms} rooms, medians (range) over them")
    header = ("canceller", "ERLE dB", "word kept (corr)", "commands over the coach", "CPU ms/s")
    rows = [
        (
            name,
            spread(t.erle, 1),
            spread(t.kept, 2),
            f"{t.right}/{t.trials}",
            f"{1000 * t.cpu / t.audio:.1f}",
        )
        for name, t in tallies.items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(f"took {time.perf_counter() - began:.0f} s")
    if tallies["speex"].right < tallies["none"].right:
        print("speex heard fewer commands than no canceller: a regression")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
