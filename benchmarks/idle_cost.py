"""Idle cost: CPU while listening, resident memory, and time from start to "ready".

1. CPU share of the listening pipeline (the echo canceller, as the live loop runs it with
   the coach silent; VAD; and the recognizer on each utterance the
   VAD closes) over 10 minutes of room silence and over 10 minutes of background talk
   that holds no commands (espeak-ng, several voices). Audio is fed as fast as it is
   processed; the share is CPU seconds per second of audio (one core = 100%).
2. Resident memory: the peak RSS of this process with the pipeline loaded and run.
3. Time to ready: ``python -m voicecoach run --quiet`` on PulseAudio virtual devices
   (scripts/pulse-virtual.sh), from launch to its "Say start back routine" line; then
   the CPU that live process uses while it waits, and a clean Ctrl-C.

Targets: silence under 5% of one core for every engine; talk under 30% and ready under
3 s for Whisper (the default engine), under 25% and 2 s for PocketSphinx (the light one).
One engine a run, so that the peak memory is that engine's. Exits 1 when a target is missed.

    python -m benchmarks.idle_cost [--minutes 10] [--quick] [--engine whisper]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from voicecoach.audio.chunk import CHUNK_MS, AudioChunk
from voicecoach.audio.echo import EchoRemover
from voicecoach.commands.intents import load_intents
from voicecoach.recognition.engines import ENGINES, make_recognizer
from voicecoach.recognition.listener import EARLY_DECISION, Decision, Listener
from voicecoach.routines.library import routine_names
from voicecoach.sim.room import Room
from voicecoach.voice import synth
from voicecoach.voice.speaker import RecordingSpeaker

SILENCE_PCT = 5.0
TALK_PCT = {"whisper": 30.0, "pocketsphinx": 25.0, "vosk": 25.0}
READY_S = {"whisper": 3.0, "pocketsphinx": 2.0, "vosk": 2.0}
ROOT = Path(__file__).resolve().parent.parent
PULSE_SCRIPT = ROOT / "scripts" / "pulse-virtual.sh"
READY_LINE = "Say start back routine"

# Talk in the room that is not meant for the coach: short remarks and long stories.
TALK = (
    "Did you remember to buy milk on the way home?",
    "The weather is supposed to clear up by the weekend.",
    "I think the neighbours are painting their fence again.",
    "Can you pass me the remote control?",
    "We should call your mother on Sunday afternoon.",
    "The train was twenty minutes late this morning, and nobody said why.",
    "Honestly, the new cafe on the corner makes a decent sandwich.",
    "Where did I put my glasses?",
    "The report is due on Thursday, so I will work late tomorrow.",
    "That film last night was far too long, but the music was lovely.",
    "Yes.",
    "Maybe later.",
    "Oh, look at the time.",
    "The cat knocked a plant off the windowsill again.",
    "Remind me to water the tomatoes before it gets dark.",
)
VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb+m3", "en-us+m1")


def room_audio(seconds: float, talk: bool, seed: int = 7) -> Room:
    """A room with faint noise and, with ``talk``, people chatting with short gaps."""
    room = Room(noise_dbfs=-60.0, seed=seed)
    if talk:
        rng = np.random.default_rng(seed)
        at = 0.5
        lines = itertools.cycle(itertools.product(TALK, VOICES))
        while at < seconds:
            text, voice = next(lines)
            audio = synth.synthesize(text, voice, int(rng.integers(140, 200)))
            room.add(audio, at, label=text)
            at += audio.duration + float(rng.uniform(0.3, 2.5))
    return room


def listening_cost(
    engine: str, seconds: float, talk: bool, early: bool = True
) -> tuple[float, int, int]:
    """CPU share (%) of canceller + VAD + recognizer over ``seconds`` of room audio;
    utterances, commands."""
    intents = load_intents(None, routine_names())
    recognizer = make_recognizer(engine, None, intents)
    room = room_audio(seconds, talk)
    chunks: list[AudioChunk] = list(room.chunks(CHUNK_MS, until=seconds))  # mixed before timing
    decisions: list[Decision] = []
    listener = Listener(
        recognizer,
        RecordingSpeaker(),
        lambda c: None,
        on_decision=decisions.append,
        early=EARLY_DECISION if early else None,
    )
    remover = EchoRemover()
    began = time.process_time()
    for chunk in chunks:
        played = AudioChunk(np.zeros_like(chunk.samples), chunk.rate, chunk.timestamp)
        listener.feed(remover.process(chunk, played))
    cpu = time.process_time() - began
    remover.close()
    commands = sum(1 for d in decisions if d.command is not None)
    return 100.0 * cpu / seconds, len(decisions), commands


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ctrl_c_works() -> None:
    """In the live command's process: Ctrl-C (SIGINT) acts, even when this benchmark was
    started in the background, where the shell ignores SIGINT for it and its children
    (Python then never turns SIGINT into KeyboardInterrupt, and the command runs on)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ready_time(engine: str, idle_seconds: float) -> tuple[float, float, float] | str:
    """Seconds from launch to the ready line, the live process's idle CPU share (%) and RSS.

    A string says why it could not be measured.
    """
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install pulseaudio pulseaudio-utils)"
    runtime = tempfile.mkdtemp(prefix="vc-bench-", dir="/tmp")
    home = Path(tempfile.mkdtemp(prefix="vc-bench-home-"))
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": runtime,
        "VOICECOACH_CONFIG_DIR": str(home / "config"),
        "VOICECOACH_DATA_DIR": str(home / "data"),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    }
    try:
        subprocess.run([str(PULSE_SCRIPT), "start"], env=env, check=True, capture_output=True)
        command = [sys.executable, "-m", "voicecoach", "run", "--quiet", "--engine", engine]
        began = time.monotonic()
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=home,
            preexec_fn=_ctrl_c_works,
        )
        assert proc.stdout is not None
        ready = None
        for line in proc.stdout:
            if READY_LINE in line:
                ready = time.monotonic() - began
                break
        if ready is None:
            proc.wait(10)
            return f"the live command ended (exit {proc.returncode}) without saying it was ready"
        cpu_before, wall_before = _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(idle_seconds)
        share = 100.0 * (_cpu_seconds(proc.pid) - cpu_before) / (time.monotonic() - wall_before)
        rss = _rss_mb(proc.pid)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: ends cleanly, place kept
        code = proc.wait(10)
        proc.stdout.close()
        if code not in (0, 130):
            return f"Ctrl-C ended the live command with exit code {code}"
        return ready, share, rss
    except subprocess.CalledProcessError as exc:
        return f"the virtual devices did not start: {exc.stderr.decode(errors='replace')}"
    finally:
        subprocess.run([str(PULSE_SCRIPT), "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="audio per condition")
    parser.add_argument("--quick", action="store_true", help="1 minute per condition")
    parser.add_argument("--engine", choices=ENGINES, default=ENGINES[0])
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of live idle to time")
    parser.add_argument(
        "--no-early",
        action="store_true",
        help="decide only at the endpoint (to compare: early decisions take more talk)",
    )
    args = parser.parse_args()
    seconds = 60.0 if args.quick else args.minutes * 60
    ok = True
    for talk, limit in ((False, SILENCE_PCT), (True, TALK_PCT[args.engine])):
        share, utterances, commands = listening_cost(args.engine, seconds, talk, not args.no_early)
        name = "talk" if talk else "silence"
        passed = share < limit
        ok &= passed
        print(
            f"{name:8} {share:5.2f}% of one core over {seconds / 60:.0f} min of audio "
            f"({utterances} utterances, {commands} taken for commands)"
            f"   target < {limit:.0f}%  {'ok' if passed else 'MISSED'}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory   {rss_mb:.0f} MB peak resident (this process: pipeline loaded and run)")
    measured = ready_time(args.engine, 5.0 if args.quick else args.idle)
    if isinstance(measured, str):
        print(f"ready    not measured: {measured}")
        ok = False
    else:
        ready, live_share, live_rss = measured
        passed = ready < READY_S[args.engine]
        ok &= passed
        print(
            f"ready    {ready:.2f} s from launch to '{READY_LINE}' ({args.engine})"
            f"   target < {READY_S[args.engine]:.0f} s  {'ok' if passed else 'MISSED'}"
        )
        print(
            f"live     {live_share:.2f}% of one core and {live_rss:.0f} MB resident while "
            "the live command waits (quiet virtual mic)"
        )
    print("PASS" if ok else "FAIL: a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
