"""Talking over the coach: commands said while it speaks, with its echo taken out.

Whole coached sessions of the back routine play through a simulated room
(:class:`voicecoach.sim.room.Room` with an :class:`~voicecoach.sim.room.Echo`): the coach's
voice (Piper, as the coach sounds) comes back into the microphone after a delay of 20 to
200 ms, with reflections and a reverberant tail (RT60 0.3 to 0.6 s), at a level from equal
to 10 dB over the person's, all drawn per session. A simulated person (espeak-ng voices
unlike the coach's, several speeds, at -26 dBFS) says a command every few seconds, at
random moments: half of them while the coach is speaking, half in its silences. The
commands are what a person on a mat says in that part of the routine (next, ready, pause
then resume, how much longer, repeat, what's next; stop, and stop again to confirm, near
the end of every other session). A session ends when the routine finishes or is stopped.

The microphone stream and what the loudspeaker played go through the live path: the echo
remover (:class:`voicecoach.audio.echo.EchoRemover`, which finds the delay itself), then
the listener with every command allowed over the coach, the own-voice guard, the session.
``--paths cancel,plain`` also runs each session without the canceller (the plain path:
only pause and stop over the coach), to compare on the same audio.

Counted per path: commands said over the coach's speech and in its silences that were
acted on as meant (the first command acted on from those words); commands acted on that
nobody said (self-triggers: the coach obeying its own voice); the canceller's echo return
loss enhancement (ERLE: the microphone's power over the output's, where the coach was heard
and the person silent, after each session's first 3 s) and its CPU cost.

Targets (the canceller path): over-speech >= 90% and >= silent - 5 points; 0 self-triggers
over at least 10 sessions. Exits 1 when one is missed. Ends with the line
``talk-over: over-speech NN.N% silent NN.N% self-triggers N sessions N``.

    python -m benchmarks.talk_over [--quick] [--sessions N] [--paths cancel,plain] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from voicecoach.app.assemble import named_routine
from voicecoach.audio.chunk import CHUNK_MS, SPEECH_RATE, AudioChunk
from voicecoach.audio.echo import EchoRemover
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.coach import Coach
from voicecoach.coaching.handlers import start_fresh
from voicecoach.coaching.machine import (
    FINISHED,
    HOLDING,
    INTRO,
    LEAD_INS,
    PAUSED,
    REPPING,
    RESTING,
    STOPPED,
    expected_commands,
)  # fmt: skip
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands import names
from voicecoach.commands.intents import load_intents
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.listener import Decision, Listener, over_coach_for
from voicecoach.recognition.recognizer import Recognizer
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.room import Echo, Room, RoomSpeaker, rms_dbfs
from voicecoach.voice import synth
from voicecoach.voice.catalog import CoachVoice

CHUNK = SPEECH_RATE * CHUNK_MS // 1000
PERSON_DBFS = -26.0
VOICES = (("en-us+f2", 165), ("en-gb+m3", 150), ("en-us+m7", 180), ("en+f4", 160), ("en-us", 190))
GAP = (4.0, 9.0)  # seconds between one command and the next one the person means to say
OVER_LEFT = 0.4  # over speech: the coach's sentence has at least this much left after the words
QUIET_BEFORE = 0.4  # in a silence: the coach quiet for this long first
JUDGE_WITHIN = 3.0  # seconds after the words end: no command acted on by then is a miss
LIMIT = 1200.0  # room seconds: a stuck session ends
TARGET_OVER = 90.0
TARGET_GAP = 5.0
MIN_SESSIONS = 10
# --quick: enough sessions for a steady figure (about 180 commands over the coach: +-2 points;
# ten gave +-3, and 89.1% to 95.8% over five runs), in about 6 minutes here.
QUICK_SESSIONS = 16

PHRASES: dict[str, tuple[str, ...]] = {
    names.NEXT: ("next", "skip", "move on", "next one"),
    names.HOW_LONG: ("how much longer", "how long is left"),
    names.REPEAT: ("repeat", "say that again", "one more time"),
    names.PAUSE: ("pause", "hold on", "wait a second"),
    names.RESUME: ("resume", "continue", "keep going"),
    names.WHATS_NEXT: ("what's next",),
    names.STOP: ("stop",),
}
READY = ("ready", "I'm ready")  # a resume in a lead-in: the person is in position
# What the person may ask for, by where the session is.
ASKS: dict[str, tuple[str, ...]] = {
    INTRO: (names.HOW_LONG, names.REPEAT, names.NEXT),
    HOLDING: (names.PAUSE, names.HOW_LONG, names.NEXT, names.REPEAT),
    REPPING: (names.PAUSE, names.NEXT, names.REPEAT, names.HOW_LONG),
    RESTING: (names.WHATS_NEXT, names.NEXT, names.HOW_LONG),
    **{state: (names.RESUME, names.WHATS_NEXT, names.REPEAT, names.NEXT) for state in LEAD_INS},
}


@dataclass
class Said:
    """One command the person said and what became of it."""

    means: str
    text: str
    start: float  # room seconds of the voiced words
    end: float
    over: bool  # said while the coach's voice was playing
    acted: str | None = None  # the first command acted on from these words
    judged: bool = False


@dataclass
class Tally:
    """One path's counts over all sessions."""

    said: list[Said] = field(default_factory=list)
    self_triggers: list[str] = field(default_factory=list)
    mic_power: float = 0.0
    out_power: float = 0.0
    busy: float = 0.0
    seconds: float = 0.0
    sessions: int = 0
    delays: list[tuple[float, float]] = field(default_factory=list)  # (true, found) seconds
    # per hearing over the coach: (the person's?, dB left, text, settled, seconds)
    kept: list[tuple[bool, float | None, str, bool, float]] = field(default_factory=list)
    # hearings over the coach that named a command:
    # (the person's?, seconds, text, dB over the noise, dB left)
    commands_over: list[tuple[bool, float, str, float | None, float | None]] = field(
        default_factory=list
    )

    def share(self, over: bool) -> tuple[float, int, int]:
        group = [s for s in self.said if s.over == over]
        right = sum(s.acted == s.means for s in group)
        return (100.0 * right / len(group) if group else 0.0), right, len(group)

    def erle(self) -> float:
        return float(10 * np.log10((self.mic_power + 1e-9) / (self.out_power + 1e-9)))


def level(samples: np.ndarray) -> float:
    """RMS dBFS of the loud part (10 ms frames within 30 dB of the loudest) of a sound."""
    x = np.asarray(samples, np.float64).reshape(-1)
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames**2, axis=1) + 1e-9
    loud = power > power.max() / 1000
    return float(10 * np.log10(np.mean(power[loud])) - 20 * np.log10(32767.0))


def person_audio(text: str, voice: tuple[str, int]) -> np.ndarray:
    """``text`` in the person's voice at :data:`PERSON_DBFS`, mono int16 at SPEECH_RATE."""
    chunk = synth.synthesize(text, voice[0], voice[1])
    samples = chunk.samples.reshape(-1).astype(np.float64)
    gain = 10 ** ((PERSON_DBFS - level(samples)) / 20)
    return np.clip(samples * gain, -32768, 32767).astype(np.int16)


def voiced_span(samples: np.ndarray, at: float) -> tuple[float, float]:
    """Room seconds of the first and last loud samples of a sound placed at ``at``."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    if not len(loud):
        return at, at
    return at + loud[0] / SPEECH_RATE, at + (loud[-1] + 1) / SPEECH_RATE


class Person:
    """Says a command every few seconds, over the coach or in a silence, as drawn."""

    def __init__(self, rng: random.Random, stops: bool) -> None:
        self.rng = rng
        self.stops = stops
        self.next_at = rng.uniform(*GAP)
        self.over = rng.random() < 0.5
        self.waited_over = 0.0
        self.said: list[Said] = []
        self.stop_said = 0

    def choose(self, session: Session) -> str | None:
        """The command to say now, given where the session is (None: nothing fits)."""
        state = session.state
        if state == PAUSED:
            return names.STOP if self.stop_said == 1 else names.RESUME
        if self.stops and self._near_end(session):
            return names.STOP
        asks = ASKS.get(state)
        return self.rng.choice(asks) if asks else None

    @staticmethod
    def _near_end(session: Session) -> bool:
        plan = session.plan
        return bool(plan) and session.segment.move_index == plan[-1].move_index

    def moment(self, now: float, speaker: RoomSpeaker, session: Session, room: Room) -> bool:
        """Whether now is the moment: the drawn kind (over the coach or in a silence)."""
        if now < self.next_at:
            return False
        if session.state == PAUSED or self.stop_said == 1:
            self.over = False  # "resume" and the confirming "stop" wait for quiet
        if self.over:
            left = speaker.speech_end() - now
            playing = speaker.is_speaking() and left > OVER_LEFT + 1.0
            if playing:
                return True
            self.waited_over += CHUNK / SPEECH_RATE
            if self.waited_over > 20.0:  # the coach has gone quiet for long: say it anyway
                self.over = False
            return False
        return not speaker.is_speaking() and session.quiet_for() >= QUIET_BEFORE

    def phrase(self, means: str, state: str) -> str:
        if means == names.RESUME and state in LEAD_INS:
            return self.rng.choice(READY)
        return self.rng.choice(PHRASES[means])

    def spoke(self, said: Said) -> None:
        self.said.append(said)
        if said.means == names.STOP:
            self.stop_said += 1
        self.next_at = said.end + self.rng.uniform(*GAP)
        self.over = self.rng.random() < 0.5
        self.waited_over = 0.0


def run_session(
    index: int,
    seed: int,
    recognizer: Recognizer,
    coach_voice: CoachVoice,
    cancel: bool,
    tally: Tally,
    verbose: bool,
    filter_ms: int | None = None,
) -> None:
    """One whole session on one path; adds its counts to ``tally``."""
    rng = random.Random(seed * 1000 + index)
    delay = rng.uniform(0.02, 0.2)
    rt60 = rng.uniform(0.3, 0.6)
    over_person = rng.uniform(0.0, 10.0)
    probe = Echo(delay=delay, rt60=rt60, seed=index)
    reference = coach_voice("Lie on your back with your knees bent.").samples.reshape(-1)
    energy_db = 10 * np.log10(np.sum(probe.response(SPEECH_RATE) ** 2))
    gain_db = PERSON_DBFS + over_person - level(reference) - energy_db
    echo = Echo(delay=delay, rt60=rt60, gain_db=gain_db, seed=index)
    room = Room(noise_dbfs=-66.0, echo=echo, seed=index)
    clock = FakeClock()
    speaker = RoomSpeaker(room, coach_voice=coach_voice)
    session = Session(
        find_routine, speaker, clock, options=CoachOptions(), routine_names=routine_names
    )
    coach = Coach(session)
    person = Person(rng, stops=index % 2 == 1)
    voice = VOICES[index % len(VOICES)]
    self_triggers: list[tuple[str, float]] = []  # (what, when)
    decisions: list[Decision] = []

    def decided(d: Decision) -> None:
        decisions.append(d)
        if remover is not None and d.text and d.start <= speaker.speech_end() + 0.5:
            mine = any(d.start < s.end + 0.3 and d.end > s.start - 0.3 for s in person.said)
            kept = remover.kept_db(d.start, d.end)
            tally.kept.append((mine, kept, d.text, remover.settled, d.end - d.start))
            if d.command is not None:
                snr = remover.over_noise_db(d.start, d.end)
                tally.commands_over.append((mine, d.end - d.start, d.text, snr, kept))
        if d.command is None or d.ignored:
            return
        for said in person.said:
            if d.start < said.end + 0.3 and d.end > said.start - 0.3:
                if not said.judged:
                    said.judged = True
                    said.acted = d.command.name
                return
        kept = remover.kept_db(d.start, d.end) if remover is not None else None
        left = "" if kept is None else f", {kept:.1f} dB of it left"
        if remover is not None:
            left += (
                f", confidence {d.confidence:.2f}, canceller settled {remover.settled}, working "
                f"before {remover.working_before(d.start)}, restarts {remover.restarts}"
            )
        self_triggers.append((
            f"{d.command.name} from {d.text!r} at {d.start:.1f}-{d.end:.1f} s (the coach's "
            f"speech ends {speaker.speech_end():.1f} s{left}; said: {session.recently_said()})",
            d.start,
        ))  # fmt: skip

    remover = (EchoRemover(filter_ms=filter_ms) if filter_ms else EchoRemover()) if cancel else None
    listener = Listener(
        recognizer,
        speaker,
        coach.post,
        on_decision=decided,
        expected=lambda: expected_commands(session.state),
        coach_words=session.recently_said,
        over_coach=lambda start: over_coach_for(remover, start),
        kept_db=remover.kept_db if remover is not None else None,
    )
    start_fresh(session, named_routine("back"))
    warmed = 3.0
    while room.time < LIMIT:
        if person.moment(room.time, speaker, session, room):
            means = person.choose(session)
            if means is not None:
                text = person.phrase(means, session.state)
                audio = person_audio(text, voice)
                placed = room.add(audio, room.time, label=f"person: {text}")
                start, end = voiced_span(placed.samples, room.time)
                over = speaker.is_speaking() and speaker.speech_end() > start
                person.spoke(Said(means, text, start, end, over))
            else:
                person.next_at = room.time + 1.0
        mic, played = room.read_both(CHUNK)
        heard = remover.process(mic, played) if remover is not None else mic
        listener.feed(heard)
        if room.time > warmed and remover is not None:
            _measure_erle(mic, heard, played, person.said, tally)
        clock.advance(mic.duration)
        coach.step(0)
        ended = session.state in (FINISHED, STOPPED) and not speaker.is_speaking()
        if ended and all(s.end + JUDGE_WITHIN < room.time for s in person.said):
            break
    listener.flush()
    listener.close()
    tally.said.extend(person.said)
    tally.self_triggers.extend(line for line, _ in self_triggers)
    tally.sessions += 1
    tally.seconds += room.time
    if remover is not None:
        tally.busy += remover.busy
        tally.delays.append((delay, remover.measured_seconds or 0.0))
        remover.close()
    if verbose:
        spoken_over = [s for s in person.said if s.over]
        silent = [s for s in person.said if not s.over]
        path = "cancel" if cancel else "plain"
        found = (remover.measured_seconds or 0.0) * 1000 if remover else float("nan")
        print(
            f"  session {index + 1} ({path}): delay {delay * 1000:.0f} ms "
            f"(found {found:.0f}), RT60 {rt60:.2f} s, echo +{over_person:.1f} dB; "
            f"{room.time:.0f} s, {session.state}; over "
            f"{sum(s.acted == s.means for s in spoken_over)}/{len(spoken_over)}, silent "
            f"{sum(s.acted == s.means for s in silent)}/{len(silent)}, self-triggers "
            f"{len(self_triggers)}",
            flush=True,
        )
        for s in person.said:
            if s.acted != s.means:
                where = "over" if s.over else "silent"
                print(
                    f"    missed ({where}) {s.text!r} meaning {s.means} at {s.start:.1f} s: "
                    f"acted {s.acted}"
                )
                for d in decisions:
                    if d.start < s.end + 0.3 and d.end > s.start - 0.3:
                        why = d.ignored or d.rejected or ""
                        name = d.command.name if d.command else None
                        print(f"      heard {d.text!r} ({d.start:.1f}-{d.end:.1f} s) {name} {why}")
        for line, at in self_triggers:
            print(f"    SELF-TRIGGER {line}")
            for s in person.said:
                if abs(s.start - at) < 4.0:
                    print(f"      the person said {s.text!r} at {s.start:.1f}-{s.end:.1f} s")
            for d in decisions:
                if abs(d.start - at) < 4.0:
                    why = d.ignored or d.rejected or ""
                    name = d.command.name if d.command else None
                    print(f"      heard {d.text!r} ({d.start:.1f}-{d.end:.1f} s) {name} {why}")


def _measure_erle(
    mic: AudioChunk, out: AudioChunk, played: AudioChunk, said: list[Said], tally: Tally
) -> None:
    """Add a chunk's powers where the coach is heard and the person is silent."""
    begin = mic.timestamp
    end = begin + mic.duration
    if any(s.start - 0.5 < end and s.end + 0.5 > begin for s in said):
        return
    if rms_dbfs(played.samples) < -45.0:
        return
    x = mic.samples.astype(np.float64)
    y = out.samples.astype(np.float64)
    tally.mic_power += float(np.sum(x**2))
    tally.out_power += float(np.sum(y**2))


def report(name: str, tally: Tally) -> tuple[float, float]:
    over, over_right, over_n = tally.share(True)
    silent, silent_right, silent_n = tally.share(False)
    print(f"\n{name}: {tally.sessions} sessions, {tally.seconds / 60:.1f} min of room audio")
    print(f"  over the coach's speech: {over_right}/{over_n} = {over:.1f}%")
    print(f"  in its silences:         {silent_right}/{silent_n} = {silent:.1f}%")
    print(f"  self-triggers: {len(tally.self_triggers)}")
    by = Counter((s.means, s.over) for s in tally.said)
    good = Counter((s.means, s.over) for s in tally.said if s.acted == s.means)
    for (means, over_flag), n in sorted(by.items()):
        print(
            f"    {means:<11} {'over' if over_flag else 'silent':<7} {good[(means, over_flag)]}/{n}"
        )
    person = [k for mine, k, _, settled, _ in tally.kept if mine and settled and k is not None]
    coach = [k for mine, k, _, settled, _ in tally.kept if not mine and settled and k is not None]
    if person and coach:
        print(
            f"  left by the canceller (dB of what was heard, once settled): the person's words "
            f"min {min(person):.1f}, 5th pct {np.percentile(person, 5):.1f} ({len(person)}); "
            f"the coach's echo heard as words max {max(coach):.1f}, median "
            f"{np.median(coach):.1f} ({len(coach)})"
        )
    heard_over = tally.commands_over
    if any(mine for mine, *_ in heard_over):
        seconds = [n for mine, n, *_ in heard_over if mine]
        snrs = [snr for mine, _, _, snr, _ in heard_over if mine and snr is not None]
        print(
            f"  commands heard over the coach: the person's {len(seconds)}, seconds min "
            f"{min(seconds):.2f}, 5th pct {np.percentile(seconds, 5):.2f}"
            + (f"; dB over the noise min {min(snrs):.1f}, 5th pct {np.percentile(snrs, 5):.1f}"
               if snrs else "")
        )  # fmt: skip
        for is_mine, length, words, snr_db, left_db in heard_over:
            if not is_mine:
                over_txt = "-" if snr_db is None else f"{snr_db:.1f}"
                left_txt = "-" if left_db is None else f"{left_db:.1f}"
                print(
                    f"    the coach's echo: {words!r} {length:.2f} s, {over_txt} dB over the "
                    f"noise, {left_txt} dB left"
                )
    if tally.delays:
        errors = [abs(true - found) * 1000 for true, found in tally.delays]
        print(
            f"  ERLE {tally.erle():.1f} dB; canceller CPU {100 * tally.busy / tally.seconds:.2f}% "
            f"of a core; delay found within {max(errors):.0f} ms of the room's in every session"
        )
    return over, silent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 sessions, the canceller path")
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--paths", default=None, help="cancel, plain or both (default: both)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--session", type=int, help="run only session N (1-based), to look at")
    parser.add_argument("--engine", default="whisper")
    parser.add_argument("--filter-ms", type=int, default=None, help="the canceller's filter")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    sessions = args.sessions or (QUICK_SESSIONS if args.quick else 20)
    paths = (args.paths or ("cancel" if args.quick else "cancel,plain")).split(",")
    began = time.monotonic()
    intents = load_intents(None, routine_names())
    recognizer = make_recognizer(args.engine, None, intents)
    coach_voice = CoachVoice(None)
    print(f"talk-over: {sessions} sessions per path, paths {', '.join(paths)}, "
          f"engine {args.engine}, coach voice {coach_voice.id}", flush=True)  # fmt: skip
    tallies = {path: Tally() for path in paths}
    for index in [args.session - 1] if args.session else range(sessions):
        for path in paths:
            run_session(
                index, args.seed, recognizer, coach_voice, path == "cancel", tallies[path],
                args.verbose, args.filter_ms,
            )  # fmt: skip
    results = {path: report(path, tally) for path, tally in tallies.items()}

    print(f"\n{time.monotonic() - began:.0f} s")
    if "cancel" not in tallies:
        return 0
    tally = tallies["cancel"]
    over, silent = results["cancel"]
    checks = [
        (f"over-speech {over:.1f}% >= {TARGET_OVER:.0f}%", over >= TARGET_OVER),
        (f"over-speech {over:.1f}% >= silent {silent:.1f}% - {TARGET_GAP:.0f}",
         over >= silent - TARGET_GAP),
        (f"self-triggers {len(tally.self_triggers)} = 0", not tally.self_triggers),
        (f"sessions {tally.sessions} >= {MIN_SESSIONS}", tally.sessions >= MIN_SESSIONS),
    ]  # fmt: skip
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'} {text}")
    print(
        f"talk-over: over-speech {over:.1f}% silent {silent:.1f}% "
        f"self-triggers {len(tally.self_triggers)} sessions {tally.sessions}"
    )
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
