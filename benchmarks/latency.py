"""Command latency: from the end of a spoken command to the coach acting on it.

A simulated person speaks commands (espeak-ng, several voices and speeds) into the
demo's room, where the coach's own speech is heard too. The room stream goes through
the live pipeline in 30 ms chunks, as from a microphone: VAD, recognizer, intents,
own-voice guard, coach loop, session, speaker. For every command acted on, latency
is the time from the end of the spoken words to the speaker's say() being called.
While a command is in flight the room is fed at the pace of a real microphone (the
listener decodes on a worker thread while audio goes on arriving), so latency is then
simply the wall time from the end of the words to say(); between commands the room
runs as fast as it can. The person speaks only when the coach is silent, as a person
on a mat would.
Engines run one after the other in one run (default: Whisper, the default engine, then
PocketSphinx), so they are compared on the same machine at the same moment.
Targets: Whisper p50 under 350 ms and p95 under 500 ms; PocketSphinx, the light engine,
p50 under 250 ms and p95 under 400 ms. Exits 1 when one is missed.

    python -m benchmarks.latency [--commands 100] [--quick] [--engine whisper,pocketsphinx]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from voicecoach.audio.chunk import CHUNK_MS, SPEECH_RATE
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.machine import ENDED, HOLDING, PAUSED, REPPING
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import load_intents
from voicecoach.recognition.engines import ENGINES, make_recognizer
from voicecoach.recognition.listener import Decision, Listener
from voicecoach.recognition.vad import UtteranceSegmenter, VadSettings
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.room import Room, RoomSpeaker, rms_dbfs
from voicecoach.voice import synth

TARGETS_MS = {"whisper": (350.0, 500.0), "pocketsphinx": (250.0, 400.0), "vosk": (250.0, 400.0)}
CHUNK = SPEECH_RATE * CHUNK_MS // 1000  # samples, as the microphone delivers them
QUIET_BEFORE = 0.6  # seconds of coach silence before the person speaks
GIVE_UP = 4.0  # seconds after the words end with no action: a miss
VOICES = ("en-us", "en-us+f2", "en-gb+m3", "en-us+m1")
SPEEDS = (150, 170, 190)
ROOM_LIMIT = 7200.0  # room seconds: a safety stop
MAX_SPOKEN = 4  # give up after this many commands spoken per one to measure

# What the person says in each state, in turn; "stop" twice now and then to start over.
LINES: dict[str, tuple[str, ...]] = {
    "ended": ("start back routine", "begin my back routine"),
    PAUSED: ("how much longer", "resume", "repeat", "continue"),
    HOLDING: ("pause", "how much longer", "what's next", "next"),
    REPPING: ("repeat", "pause", "next"),
    "lead_in": ("what's next", "ready", "how much longer", "next"),
}
STOP_EVERY = 20


@dataclass
class Spoken:
    """One command the person said, and what came of it."""

    text: str
    voice: str
    words_end: float  # room seconds where the last loud frame ends
    latency_ms: float | None = None
    endpoint_ms: float = 0.0
    processing_ms: float = 0.0
    heard: str = ""
    intent: str | None = None


def words_end(samples: np.ndarray, start: float) -> float:
    """Room seconds at which the speech in ``samples`` (placed at ``start``) falls silent."""
    step = SPEECH_RATE // 100
    loud = [
        i
        for i in range(0, len(samples) - step + 1, step)
        if rms_dbfs(samples[i : i + step]) > -45.0
    ]
    last = (loud[-1] + step) if loud else len(samples)
    return start + last / SPEECH_RATE


class TimedSpeaker(RoomSpeaker):
    """The room speaker, noting the wall time of each say()."""

    said_at: float | None = None

    def say(self, text: str) -> None:
        if self.said_at is None:
            self.said_at = time.perf_counter()
        super().say(text)


def state_group(state: str) -> str:
    if state in ENDED:
        return "ended"
    if state in (PAUSED, HOLDING, REPPING):
        return state
    return "lead_in"


def run(
    commands: int, engine: str | None, verbose: bool, endpoint: float | None = None
) -> tuple[list[Spoken], list[Decision]]:
    """Drive the pipeline until ``commands`` were acted on (and so measured).

    Returns them all, and the commands acted on that came from the coach's own voice.
    """
    intents = load_intents(None, routine_names())
    recognizer = make_recognizer(engine, None, intents)
    room = Room(noise_dbfs=-60.0)
    clock = FakeClock()
    speaker = TimedSpeaker(room)
    session = Session(find_routine, speaker, clock, routine_names=routine_names)
    coach = Coach(session)
    decided: list[Decision] = []
    segmenter = UtteranceSegmenter(VadSettings(endpoint=endpoint)) if endpoint else None
    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        segmenter=segmenter,
        on_decision=decided.append,
        coach_words=session.recently_said,
    )
    turns = {group: itertools.cycle(lines) for group, lines in LINES.items()}
    styles = itertools.cycle(itertools.product(SPEEDS, VOICES))
    spoken: list[Spoken] = []
    person_spans: list[tuple[float, float]] = []
    own_voice: list[Decision] = []
    current: Spoken | None = None
    quiet_since = 0.0
    stops_due = 0
    origin: tuple[float, float] | None = None  # (wall, room) seconds when pacing began

    def measured() -> int:
        return sum(s.latency_ms is not None for s in spoken)

    while measured() < commands and len(spoken) < commands * MAX_SPOKEN and room.time < ROOM_LIMIT:
        if speaker.is_speaking():
            quiet_since = room.time
        if current is None and room.time - quiet_since >= QUIET_BEFORE:
            if stops_due:
                text = "stop"
                stops_due -= 1
            else:
                text = next(turns[state_group(session.state)])
            rate, voice = next(styles)
            audio = synth.synthesize(text, voice, rate)
            at = room.time + 0.1
            room.add(audio, at, label=f"person: {text}")
            current = Spoken(text, voice, words_end(audio.samples[:, 0], at))
            person_spans.append((at, at + audio.duration))
            spoken.append(current)
            if len(spoken) % STOP_EVERY == 0:
                stops_due = 2
        if current is not None and origin is None:
            origin = (time.perf_counter(), room.time)
        if origin is not None:  # in real time: a chunk is there once its last sample was said
            due = origin[0] + room.time + CHUNK / SPEECH_RATE - origin[1]
            ahead = due - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)
        chunk = room.read(CHUNK)
        speaker.said_at = None
        decided.clear()
        listener.feed(chunk)
        clock.advance(chunk.duration)
        coach.step(0)
        if current is None:
            continue
        acted = [d for d in decided if d.command is not None and not d.ignored]
        for d in acted:
            if not any(a - 0.3 < d.end and d.start < b + 0.3 for a, b in person_spans):
                own_voice.append(d)  # nobody but the coach was talking
                if verbose:
                    print(f"  coach obeyed its own voice: heard {d.text!r} -> {d.command}")
        person_heard = [d for d in decided if d.end > current.words_end - 1.0]
        if acted and speaker.said_at is not None and acted[0].end > current.words_end - 1.5:
            d = acted[0]
            assert origin is not None
            words_end_wall = origin[0] + current.words_end - origin[1]
            current.latency_ms = (speaker.said_at - words_end_wall) * 1000
            current.endpoint_ms = (d.decided - current.words_end) * 1000
            current.processing_ms = current.latency_ms - current.endpoint_ms
            current.heard, current.intent = d.text, d.command.name if d.command else None
            if verbose:
                print(
                    f"  {current.text!r:24} -> {current.intent:10} {current.latency_ms:6.0f} ms"
                    f"  (confidence {d.confidence:.2f})"
                )
            current = None
        elif person_heard and not acted:
            current.heard = person_heard[0].text
        if current is not None and room.time > current.words_end + GIVE_UP:
            if verbose:
                print(f"  {current.text!r:24} -> missed (heard {current.heard!r})")
            current = None
        if current is None:
            origin = None
    return spoken, own_voice


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def engine_list(text: str) -> list[str]:
    """``--engine``'s comma-separated names, each one of ENGINES."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ENGINES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"engines are {', '.join(ENGINES)}; got {text!r}")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=100, help="commands to measure")
    parser.add_argument("--quick", action="store_true", help="20 commands, for a quick look")
    parser.add_argument("--engine", type=engine_list, default=["whisper", "pocketsphinx"])
    parser.add_argument(
        "--endpoint", type=float, help="VAD trailing silence in seconds (default: the live one)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every command")
    args = parser.parse_args()
    count = 20 if args.quick else args.commands
    verdicts = [measure(engine, count, args) for engine in args.engine]
    for engine, _, line in verdicts:
        print(f"{engine}: {line}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


def measure(engine: str, count: int, args: argparse.Namespace) -> tuple[str, bool, str]:
    """Run ``engine``, print its figures; (engine, targets met, one summary line)."""
    began = time.perf_counter()
    spoken, own_voice = run(count, engine, args.verbose, args.endpoint)
    acted = [s for s in spoken if s.latency_ms is not None]
    if not acted:
        print(f"no command out of {len(spoken)} was acted on; nothing to measure")
        return engine, False, "nothing acted on"
    p50_target, p95_target = TARGETS_MS[engine]
    latencies = [s.latency_ms for s in acted if s.latency_ms is not None]
    endpoint = [s.endpoint_ms for s in acted]
    processing = [s.processing_ms for s in acted]
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(f"engine {engine}: {len(spoken)} commands spoken, {len(acted)} acted on")
    print(
        f"latency    p50 {p50:5.0f} ms  p95 {p95:5.0f} ms  max {max(latencies):5.0f} ms"
        f"   (targets: p50 < {p50_target:.0f}, p95 < {p95_target:.0f})"
    )
    print(
        f"  endpoint p50 {percentile(endpoint, 0.5):5.0f} ms  "
        f"p95 {percentile(endpoint, 0.95):5.0f} ms   (end of words to the decision's chunk)"
    )
    print(
        f"  process  p50 {percentile(processing, 0.5):5.0f} ms  "
        f"p95 {percentile(processing, 0.95):5.0f} ms   (waiting on the decode, session, say)"
    )
    print(
        f"  mean {statistics.fmean(latencies):.0f} ms; run took {time.perf_counter() - began:.0f} s"
    )
    if len(acted) < len(spoken):
        missed = [s for s in spoken if s.latency_ms is None]
        print(f"  not acted on: {len(missed)} (recognition misses, not counted in latency)")
    if own_voice:
        heard = ", ".join(f"{d.text!r} -> {d.command.name}" for d in own_voice if d.command)
        print(f"  the coach acted on its own voice {len(own_voice)} times (barge-in): {heard}")
    ok = p50 < p50_target and p95 < p95_target
    print("PASS" if ok else "FAIL: latency target missed")
    verdict = "PASS" if ok else "FAIL"
    summary = (
        f"p50 {p50:.0f} ms p95 {p95:.0f} ms ({len(acted)} of {len(spoken)} acted on) {verdict}"
    )
    return engine, ok, summary


if __name__ == "__main__":
    sys.exit(main())
