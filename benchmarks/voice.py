"""Voice benchmark (issue 14): each speech engine side by side on the coach's own cues.

The cues are every text the coach says: the cues of ``voicecoach/coaching/cues.yaml``
(placeholders filled) and every spoken text of the routine files, gathered by
``not_commands.cue_texts`` as the recognition benchmark gathers them (duplicates once).
Each engine is the coach's real speaker (``PiperSpeaker`` with the packaged
en_US-joe-medium voice, ``Pyttsx3Speaker`` with espeak-ng's default voice) playing into a
player that records instead of sounding, so no sound card is needed. Per engine:

- **load**: the speaker's construction (Piper: loading and checking the voice; pyttsx3:
  starting its engine thread), and the first sound of the first cue right after it.
- **first sound, idle (cold)**: from ``say(text)`` to the player starting the cue's first
  audio block (the speaker's ``on_speech_start``), each cue said to an idle speaker that
  has not seen it before: the worst case, a cue nothing prepared.
- **first sound, in session**: a fresh speaker is first given what a session gives it
  when it opens (:func:`voicecoach.app.assemble.said_ahead`: the counts, the cues with
  nothing to fill in, the default routine's sentences) and left to render them while
  quiet; then every cue is said to it idle. Cues with a number or a name filled in are
  not among those prepared: they start after their first clause renders.
- **first sound, ahead**: the cue said while another ("Switch sides.") is playing in real
  time; the delay from when it could first sound (the later of its ``say`` and the end of
  the playing cue) to its first block: what rendering ahead saves.
- **real-time factor**: render seconds / audio seconds over the idle cues, where render
  seconds run from ``say`` to the last block handed to the player (which takes no time).
- **memory**: the peak resident memory added by loading the voice and speaking every cue
  (Linux's VmHWM, reset before each engine), and what stays resident after.
- **intelligibility**: the audio each cue was spoken with, resampled to 16 kHz and
  transcribed freely by the project's own recognizer (``WhisperRecognizer.hear``'s
  ``free_text``); word error rate against the cue text, both lower-cased, without
  punctuation and with numbers spelled out (edits over reference words, all cues). On a
  short clip Whisper now and then says the cue over and over until its token budget runs
  out ("standing standing ..."); a second figure leaves such a loop at the end of a
  transcription out (:func:`cut_loop`). Piper samples noise as it renders, so its audio,
  and its error rate, differ a little from run to run.

The device's own latency (opening a PortAudio stream, its output buffer) comes on top of
every first-sound figure here. Target (issue 14): the first sound of a cue starts within
150 ms of the session deciding to say it, p95, for the default engine (Piper), in session
and ahead. Exits 1 when it is missed or an engine cannot run.

    python benchmarks/voice.py [--quick] [--engine piper,pyttsx3] [-v]

Measured on the project's 2-core machine with other work running (load average 2 to 5),
all 95 cues in 340 s (``--quick``, 24 cues, in 100 s): Piper loads in 1.0 s; first sound
idle p50 291 ms, p95 621 ms (MISS: a cue's first sentence is rendered whole before it
sounds, and long ones take 0.3 to 1.3 s), ahead p95 0 ms (PASS); 0.15 x real time;
+373 MB; word error rate 7.2% (4.8% without Whisper's loops). pyttsx3: first sound p95
62 ms idle, 55 ms ahead; 0.014 x real time; +12 MB; word error rate 18.1%.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from not_commands import cue_texts

from voicecoach.app.assemble import said_ahead
from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples, convert
from voicecoach.audio.playback import BLOCK_SECONDS, Cancelled, Started
from voicecoach.commands.intents import load_intents, normalize
from voicecoach.errors import UserError
from voicecoach.recognition.whisper_engine import WhisperRecognizer
from voicecoach.recognition.whisper_tokens import spell_numbers
from voicecoach.routines.library import routine_names

ENGINES = ("piper", "pyttsx3")
DEFAULT_ENGINE = "piper"  # the target is this engine's
TARGET_MS = 150.0  # p95 of the first sound, idle and ahead
LEAD = "Switch sides."  # what is playing when the next cue is said
QUICK_EVERY = 4  # --quick: every 4th cue
WAIT = 60.0  # seconds for one cue to sound before it counts as lost
MAX_WHISPER = 26.0  # seconds of speech one transcription takes (its window is 30 s)
EARLIER = {"piper": "4.1%", "pyttsx3": "15.9%"}  # issue 14's word error rates


class Speaking(Protocol):
    """The part of the Speaker interface the benchmark drives."""

    def say(self, text: str) -> None: ...

    def prepare(self, texts: Iterable[str]) -> None: ...

    def is_speaking(self) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Block:
    """One audio block the player was handed: when it started and when the one before ended."""

    audio: AudioChunk
    start: float
    previous_end: float


@dataclass
class RecordingPlayer:
    """A Player that keeps what it is handed; in real time only while ``realtime`` is set."""

    realtime: threading.Event = field(default_factory=threading.Event)
    blocks: list[Block] = field(default_factory=list)
    last_end: float = 0.0

    def play(self, audio: AudioChunk, cancelled: Cancelled, started: Started) -> bool:
        start = time.monotonic()
        self.blocks.append(Block(audio, start, self.last_end))
        started(start)
        while self.realtime.is_set() and (left := audio.duration - (time.monotonic() - start)) > 0:
            if cancelled():
                break
            time.sleep(min(BLOCK_SECONDS, left))
        self.last_end = time.monotonic()
        return not cancelled()

    def close(self) -> None:
        pass


class Starts:
    """The speaker's ``on_speech_start``: when each cue began to sound."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seen: list[tuple[str, float]] = []

    def __call__(self, text: str, at: float) -> None:
        with self._cond:
            self._seen.append((text, at))
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._seen.clear()

    def wait_for(self, text: str, nth: int = 1, timeout: float = WAIT) -> float | None:
        """When ``text`` began to sound the ``nth`` time since the last clear, or None after
        ``timeout``."""

        def found() -> float | None:
            times = [at for said, at in self._seen if said == text]
            return times[nth - 1] if len(times) >= nth else None

        with self._cond:
            self._cond.wait_for(lambda: found() is not None, timeout)
            return found()


@dataclass
class Figures:
    """What one engine gave."""

    engine: str
    load_s: float = 0.0
    first_after_load_ms: float | None = None
    idle_ms: list[float] = field(default_factory=list)
    ahead_ms: list[float] = field(default_factory=list)
    session_ms: list[float] = field(default_factory=list)
    prepare_s: float = 0.0  # rendering what a session prepares, on a quiet speaker
    render_s: float = 0.0
    audio_s: float = 0.0
    peak_mb: float = 0.0
    kept_mb: float = 0.0
    peak_note: str = ""
    lost: list[str] = field(default_factory=list)  # cues that never sounded
    audio_files: dict[str, Path] = field(default_factory=dict)  # cue -> its audio (.npy)
    rate: int = 0  # the audio's sample rate
    edits: int = 0
    edits_unlooped: int = 0  # with the loops Whisper ends in cut off
    words: int = 0
    exact: int = 0
    heard: dict[str, tuple[str, float]] = field(default_factory=dict)  # cue -> (heard, WER)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def wer(self) -> float | None:
        return self.edits / self.words if self.words else None

    @property
    def wer_unlooped(self) -> float | None:
        return self.edits_unlooped / self.words if self.words else None


# -- memory ----------------------------------------------------------------------------------


def _status_kb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory now (MB); the peak so far where /proc is missing."""
    kb = _status_kb("VmRSS")
    return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def reset_peak() -> bool:
    """Start the peak resident memory (VmHWM) afresh; False where Linux will not."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") is not None


def peak_mb() -> float:
    kb = _status_kb("VmHWM")
    return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


# -- speaking --------------------------------------------------------------------------------


def make_speaker(engine: str, player: RecordingPlayer, starts: Starts) -> Speaking:
    """The coach's speaker for ``engine``, at its default settings, into ``player``."""
    if engine == "piper":
        from voicecoach.voice.piper_speaker import PiperSpeaker

        return PiperSpeaker(tail=0.0, on_speech_start=starts, player=player)
    from voicecoach.voice.tts import Pyttsx3Speaker

    return Pyttsx3Speaker(tail=0.0, on_speech_start=starts, player=player)


def wait_idle(speaker: Speaking, timeout: float = WAIT) -> None:
    until = time.monotonic() + timeout
    while speaker.is_speaking() and time.monotonic() < until:
        time.sleep(0.002)


def speak_idle(
    speaker: Speaking, player: RecordingPlayer, starts: Starts, text: str
) -> tuple[float | None, float, list[AudioChunk]]:
    """Say ``text`` to the idle ``speaker``: (ms to first sound, render seconds, audio)."""
    player.blocks.clear()
    starts.clear()
    said = time.monotonic()
    speaker.say(text)
    at = starts.wait_for(text)
    wait_idle(speaker)
    blocks = list(player.blocks)
    render = (blocks[-1].start - said) if blocks else 0.0
    first = (at - said) * 1000 if at is not None else None
    return first, render, [b.audio for b in blocks]


def speak_ahead(
    speaker: Speaking, player: RecordingPlayer, starts: Starts, text: str
) -> float | None:
    """Say ``text`` while LEAD plays in real time: ms from when it could sound to its sound."""
    player.blocks.clear()
    starts.clear()
    player.realtime.set()
    try:
        speaker.say(LEAD)
        if starts.wait_for(LEAD) is None:
            return None
        said = time.monotonic()
        speaker.say(text)
        at = starts.wait_for(text, nth=2 if text == LEAD else 1)
    finally:
        player.realtime.clear()
    wait_idle(speaker)
    block = next((b for b in player.blocks if b.start == at), None)
    if at is None or block is None:
        return None
    return (at - max(said, block.previous_end)) * 1000


def run_engine(
    engine: str, cues: list[str], store: Path, verbose: bool, log: Callable[[str], None]
) -> Figures:
    """Load ``engine``'s speaker and speak ``cues`` idle and ahead; its figures."""
    fig = Figures(engine)
    player = RecordingPlayer()
    starts = Starts()
    exact_peak = reset_peak()
    fig.peak_note = "" if exact_peak else " (process peak: VmHWM could not be reset)"
    base = rss_mb()
    began = time.perf_counter()
    try:
        speaker = make_speaker(engine, player, starts)
    except (UserError, RuntimeError, OSError, ImportError) as exc:
        fig.error = f"{type(exc).__name__}: {exc}"
        return fig
    fig.load_s = time.perf_counter() - began
    try:
        fig.first_after_load_ms, _, _ = speak_idle(speaker, player, starts, cues[0])
        for index, text in enumerate(cues):
            first, render, audio = speak_idle(speaker, player, starts, text)
            if first is None or not audio:
                fig.lost.append(text)
                continue
            fig.idle_ms.append(first)
            fig.slowest.append((first, text))
            seconds = sum(a.duration for a in audio)
            fig.render_s += render
            fig.audio_s += seconds
            fig.rate = audio[0].rate
            path = store / f"{engine}-{index}.npy"
            np.save(path, np.concatenate([a.samples.reshape(-1) for a in audio]))
            fig.audio_files[text] = path
            if verbose:
                log(f"  {engine} idle  {first:6.0f} ms  rtf {render / seconds:.3f}  {text[:60]!r}")
        for text in cues:
            gap = speak_ahead(speaker, player, starts, text)
            if gap is None:
                fig.lost.append(f"(ahead) {text}")
                continue
            fig.ahead_ms.append(gap)
            if verbose:
                log(f"  {engine} ahead {gap:6.0f} ms  {text[:60]!r}")
        fig.peak_mb = peak_mb() - base
        fig.kept_mb = rss_mb() - base
    finally:
        speaker.close()
    fig.slowest.sort(reverse=True)
    speak_in_session(engine, cues, fig, player, starts, verbose, log)
    return fig


def speak_in_session(
    engine: str,
    cues: list[str],
    fig: Figures,
    player: RecordingPlayer,
    starts: Starts,
    verbose: bool,
    log: Callable[[str], None],
) -> None:
    """A fresh speaker given what a session gives it when it opens (``said_ahead``: counts,
    fixed cues, the default routine's sentences), then every cue said to it idle."""
    speaker = make_speaker(engine, player, starts)
    try:
        ahead = said_ahead(None)
        began = time.perf_counter()
        speaker.prepare(ahead)
        prepared = getattr(speaker, "prepared", None)
        until = time.monotonic() + 600
        while prepared is not None and not all(prepared(t) for t in ahead):
            if time.monotonic() > until:
                break
            time.sleep(0.05)
        fig.prepare_s = time.perf_counter() - began
        for text in cues:
            first, _, audio = speak_idle(speaker, player, starts, text)
            if first is None or not audio:
                fig.lost.append(f"(session) {text}")
                continue
            fig.session_ms.append(first)
            if verbose:
                log(f"  {engine} session {first:6.0f} ms  {text[:60]!r}")
    finally:
        speaker.close()


# -- intelligibility -------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    """Lower-cased words without punctuation, numbers spelled out."""
    return spell_numbers(normalize(text).split())


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word substitutions, deletions and insertions turning ``ref`` into ``hyp``."""
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != other))
    return row[-1]


def cut_loop(hyp: list[str], ref: list[str]) -> list[str]:
    """``hyp`` without the loop it ends in, if any: Whisper, on a short clip, can say a
    phrase over and over until its token budget runs out ("standing standing standing",
    or the whole cue again, cut off). That is the recognizer's error, not the voice's.
    The loop must run to the end, repeat at least one whole phrase or three words of it,
    and not be in the cue itself."""
    said = f" {' '.join(ref)} "
    for period in range(1, len(hyp)):
        start = len(hyp)  # hyp[start:] repeats what stands ``period`` words before it
        while start - 1 - period >= 0 and hyp[start - 1] == hyp[start - 1 - period]:
            start -= 1
        looped = hyp[start - period :]
        if len(hyp) - start >= min(period, 3) and f" {' '.join(looped)} " not in said:
            return hyp[:start]
    return hyp


def transcribe(recognizer: WhisperRecognizer, samples: Samples) -> str:
    """Whisper's free transcription; speech longer than its window is cut at its quietest
    point near the middle and each part heard alone."""
    if len(samples) <= MAX_WHISPER * SPEECH_RATE:
        return recognizer.hear(samples).free_text.strip()
    step = SPEECH_RATE // 20
    low, high = len(samples) // 3 // step, 2 * len(samples) // 3 // step
    energy = [float(np.abs(samples[k * step : (k + 1) * step].astype(np.int32)).mean())
              for k in range(low, high)]  # fmt: skip
    cut = (low + int(np.argmin(energy))) * step + step // 2
    return f"{transcribe(recognizer, samples[:cut])} {transcribe(recognizer, samples[cut:])}"


def score(
    fig: Figures, recognizer: WhisperRecognizer, verbose: bool, log: Callable[[str], None]
) -> None:
    """Transcribe every cue ``fig``'s engine spoke and count its word errors."""
    for text, path in fig.audio_files.items():
        samples = convert(np.load(path).reshape(-1, 1), fig.rate, SPEECH_RATE)
        heard = transcribe(recognizer, samples)
        ref, hyp = words_of(text), words_of(heard)
        edits = edit_distance(ref, hyp)
        fig.edits += edits
        fig.edits_unlooped += edit_distance(ref, cut_loop(hyp, ref))
        fig.words += len(ref)
        fig.exact += edits == 0
        fig.heard[text] = heard, edits / max(1, len(ref))
        if verbose and edits:
            log(f"  {fig.engine} {edits} of {len(ref)}: {text!r}\n{'':14}-> {heard!r}")


# -- report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.0f}" if values else "-"


def pct(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "-"


def table(figs: list[Figures], cues: int) -> list[str]:
    """The figures of every engine, one column each."""
    ok = [f for f in figs if f.error is None]
    rows: list[tuple[str, list[str]]] = [
        ("load (s)", [f"{f.load_s:.2f}" for f in ok]),
        ("first sound after load (ms)", [
            f"{f.first_after_load_ms:.0f}" if f.first_after_load_ms is not None else "-"
            for f in ok]),
        ("first sound idle p50 (ms)", [ms(f.idle_ms, 0.5) for f in ok]),
        ("first sound idle p95 (ms)", [ms(f.idle_ms, 0.95) for f in ok]),
        ("first sound idle max (ms)", [ms(f.idle_ms, 1.0) for f in ok]),
        ("first sound ahead p50 (ms)", [ms(f.ahead_ms, 0.5) for f in ok]),
        ("first sound ahead p95 (ms)", [ms(f.ahead_ms, 0.95) for f in ok]),
        ("first sound ahead max (ms)", [ms(f.ahead_ms, 1.0) for f in ok]),
        ("first sound in session p50 (ms)", [ms(f.session_ms, 0.5) for f in ok]),
        ("first sound in session p95 (ms)", [ms(f.session_ms, 0.95) for f in ok]),
        ("first sound in session max (ms)", [ms(f.session_ms, 1.0) for f in ok]),
        ("  preparing the session (s)", [f"{f.prepare_s:.1f}" for f in ok]),
        ("real-time factor", [f"{f.render_s / f.audio_s:.3f}" if f.audio_s else "-" for f in ok]),
        ("audio spoken (s)", [f"{f.audio_s:.0f}" for f in ok]),
        ("peak memory added (MB)", [f"{f.peak_mb:.0f}" for f in ok]),
        ("memory kept (MB)", [f"{f.kept_mb:.0f}" for f in ok]),
        ("word error rate", [pct(f.wer) for f in ok]),
        ("  without Whisper's end loops", [pct(f.wer_unlooped) for f in ok]),
        ("  earlier (issue 14)", [EARLIER.get(f.engine, "-") for f in ok]),
        ("cues heard word for word", [f"{f.exact} of {len(f.heard)}" for f in ok]),
        ("cues lost", [str(len(f.lost)) for f in ok]),
    ]  # fmt: skip
    width = max(10, *(len(f.engine) + 2 for f in ok))
    lines = [f"{cues} cues, said by each engine"]
    lines.append(f"{'':30}" + "".join(f"{f.engine:>{width}}" for f in ok))
    lines.extend(f"{name:30}" + "".join(f"{v:>{width}}" for v in values) for name, values in rows)
    lines.extend(f"{f.engine} memory:{f.peak_note}" for f in ok if f.peak_note)
    return lines


def details(fig: Figures) -> list[str]:
    """The slowest first sounds and the worst heard cues of one engine."""
    lines = [f"{fig.engine}: slowest first sounds (idle)"]
    lines += [f"  {t:6.0f} ms  {text[:70]!r}" for t, text in fig.slowest[:3]]
    worst = sorted(fig.heard.items(), key=lambda item: -item[1][1])[:3]
    lines.append(f"{fig.engine}: worst heard cues")
    lines += [f"  {wer:4.0%} {text[:42]!r} -> {heard[:42]!r}" for text, (heard, wer) in worst]
    lines += [f"  lost: {text[:70]!r}" for text in fig.lost]
    return lines


def load_average() -> str:
    """The 1-minute load average (other work slows rendering; 2 cores here)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def engine_list(text: str) -> list[str]:
    """``--engine``'s comma-separated names, each one of ENGINES."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or any(name not in ENGINES for name in names):
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ENGINES)}; got {text!r}")
    return list(dict.fromkeys(names))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"every {QUICK_EVERY}th cue only")
    parser.add_argument("--engine", type=engine_list, default=list(ENGINES))
    parser.add_argument("-v", "--verbose", action="store_true", help="print every cue")
    args = parser.parse_args()
    began = time.perf_counter()

    def log(line: str) -> None:
        print(line, flush=True)

    cues = list(dict.fromkeys(t.strip() for t in cue_texts() if t.strip()))
    if args.quick:
        cues = cues[::QUICK_EVERY]
    log(f"{len(cues)} cues; engines {', '.join(args.engine)}; load average {load_average()}")
    figs: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        for engine in args.engine:
            log(f"speaking with {engine} ...")
            figs.append(run_engine(engine, cues, Path(tmp), args.verbose, log))
            if figs[-1].error:
                log(f"{engine}: cannot run: {figs[-1].error}")
        log("transcribing with whisper ...")
        recognizer = WhisperRecognizer(load_intents(None, routine_names()))
        for fig in figs:
            if fig.error is None:
                score(fig, recognizer, args.verbose, log)
    print()
    for line in table(figs, len(cues)):
        print(line)
    print()
    for fig in figs:
        if fig.error is None:
            for line in details(fig):
                print(line)
    print()
    verdicts: list[bool] = [f.error is None for f in figs]
    summary: list[str] = []
    for fig in figs:
        if fig.error is not None:
            summary.append(f"{fig.engine} could not run")
            continue
        p95 = percentile(fig.idle_ms, 0.95) if fig.idle_ms else float("inf")
        ahead = percentile(fig.ahead_ms, 0.95) if fig.ahead_ms else float("inf")
        session = percentile(fig.session_ms, 0.95) if fig.session_ms else float("inf")
        mark = ""
        if fig.engine == DEFAULT_ENGINE:
            met = [value <= TARGET_MS and not fig.lost for value in (session, ahead)]
            cases = ("in session", "ahead")
            for case, value, passed in zip(cases, (session, ahead), met, strict=True):
                print(f"target: {fig.engine} first sound {case} p95 <= {TARGET_MS:.0f} ms: "
                      f"{value:.0f} ms {'PASS' if passed else 'MISS'}")  # fmt: skip
            verdicts.extend(met)
            mark = " PASS" if all(met) else " MISS"
        rtf = fig.render_s / fig.audio_s if fig.audio_s else float("nan")
        wer = f"{pct(fig.wer)} ({pct(fig.wer_unlooped)} without Whisper's end loops)"
        summary.append(
            f"{fig.engine} first-sound p95 {session:.0f} ms in session "
            f"(ahead {ahead:.0f} ms, cold {p95:.0f} ms) "
            f"rtf {rtf:.3f} mem +{fig.peak_mb:.0f} MB wer {wer}{mark}"
        )
    print(f"run took {time.perf_counter() - began:.0f} s; load average {load_average()}")
    print("voice: " + "; ".join(summary))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
