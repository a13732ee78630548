"""Talking over the coach, live on the virtual devices: ``voicecoach run`` as a subprocess,
the coach's voice looped back into the virtual microphone (PulseAudio's loopback: later,
quieter), and a person who says "next" while the coach is still talking.

On one clock the coach must take its own voice out of what it hears, move on at the
person's word without waiting for the cue to end, and act on nothing else over a whole
short routine: never on its own voice. On two clocks (the delay creeping) nobody talks,
and nothing may be acted on. Runs when PulseAudio and the ALSA pulse plugin are installed
(see ``tests/pulse.py``); CI requires them.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import wave
from pathlib import Path

import pulse as pulse_devices
import pytest
from transcript import Transcript

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.voice import synth

pulse = pulse_devices.pulse
echo = pulse_devices.echo
drifting_echo = pulse_devices.drifting_echo
pytestmark = pytest.mark.slow

PERSON_VOICE = "en-us+f2"
TRIES = 4  # a person not heard says it again, over the coach's next sentence
# A short routine whose set-up talk is long: a stretch of the coach's speech to talk over.
ROUTINE = """\
name: short
title: Short routine
intro: >-
  This is a short routine to try talking over the coach. Lie down on your mat and get
  comfortable. Breathe slowly and let your shoulders drop. We will do two gentle moves,
  each held for a few seconds, and then we are done.
safety: Stop if anything hurts.
moves:
  - id: reach
    name: Long reach
    position: lying on your back
    setup: >-
      Stretch your arms over your head and point your toes away from you. Make yourself
      as long as you can, from your fingertips all the way down to your heels, and keep
      breathing slowly through your nose while you lengthen.
    hold: {seconds: 6, rounds: 1}
  - id: hug
    name: Knee hug
    position: lying on your back
    setup: Bring both knees to your chest and hold them with your hands.
    hold: {seconds: 6, rounds: 1}
"""


def _start_coach(pulse: dict[str, str], home: Path) -> subprocess.Popen[str]:
    routines = home / "config" / "routines"
    routines.mkdir(parents=True)
    (routines / "short.yaml").write_text(ROUTINE)
    (home / "data").mkdir(parents=True)
    (home / "data" / "safety-note-given").touch()
    env = {
        **pulse,
        "VOICECOACH_CONFIG_DIR": str(home / "config"),
        "VOICECOACH_DATA_DIR": str(home / "data"),
        "VOICECOACH_TRANSITION_SECONDS": "10",  # the set-up talk and 10 s more, unless told
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "-v", "run", "--routine", "short"],  # -v: the echo log
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wav(folder: Path, text: str) -> Path:
    path = folder / "next.wav"
    speech = synth.synthesize(text, PERSON_VOICE, 160, target_rate=SPEECH_RATE)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        w.writeframes(speech.samples.tobytes())
    return path


def test_next_said_over_the_coach_moves_on_and_its_own_voice_is_never_obeyed(
    pulse: dict[str, str], echo: None, tmp_path: Path
) -> None:
    monitor = pulse_devices.SpeakerMonitor(pulse)
    said = _wav(tmp_path, "next")
    proc = _start_coach(pulse, tmp_path / "home")
    transcript = Transcript(proc)
    began = time.monotonic()
    tries = 0
    said_at: list[str] = []  # seconds from the coach's start, for its log
    try:
        setup = transcript.wait_for(r"coach: .*Stretch your arms over your head", timeout=90)
        assert setup is not None, transcript.text()
        moved = None
        while moved is None and tries < TRIES:
            deadline = time.monotonic() + 20
            while not monitor.loud_for(0.6) and time.monotonic() < deadline:
                time.sleep(0.02)  # the person waits until the coach is mid-sentence
            if not monitor.loud_for(0.6):
                break  # the coach fell silent: nothing left to talk over
            since = transcript.mark()
            tries += 1
            said_at.append(f"{time.monotonic() - began:.1f}")
            subprocess.run(
                ["paplay", "--device=vc_room", str(said)], env=pulse, check=True, timeout=15
            )
            moved = transcript.wait_for(r"coach: Hold for", since, timeout=6.0)
        ended = None
        if moved is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                ended = proc.wait(timeout=120)  # the routine runs to its end by itself
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        monitor.stop()
        stderr = transcript.close()
    echo_log = "\n".join(line for line in stderr.splitlines() if "voicecoach." in line)
    echo_log += f"\n'next' said at {', '.join(said_at)} s of the coach's process"
    assert moved is not None, f"never moved on after {tries} tries:\n{transcript.text()}\n{stderr}"
    assert ended == 0, f"the routine did not end by itself:\n{transcript.text()}\n{stderr}"
    print(f"moved on at try {tries}")
    print(transcript.text())
    print(echo_log)
    heard = [line for _, line in transcript.lines if line.startswith("heard ")]
    acted = [line for line in heard if " -> " in line]
    what = f"{transcript.text()}\n{echo_log}"
    assert acted and all(line.endswith("-> next") for line in acted), what
    assert len(acted) <= tries, what  # nothing the person did not say
    assert transcript.find(r"coach: That.s the short routine done") is not None, what
    assert "echo cancellation is off" not in stderr, stderr
    assert "Traceback" not in stderr, stderr


def test_on_two_clocks_nobody_talking_the_coach_never_obeys_its_own_voice(
    pulse: dict[str, str], drifting_echo: None, tmp_path: Path
) -> None:
    """The echo's delay creeps (the loopback adjusts its rate): SpeexDSP has no drift
    compensation, and learns the room slowly or loses it. Then the coach must fall back to
    the plain microphone's rules, and act on nothing of its own over the whole routine."""
    proc = _start_coach(pulse, tmp_path / "home")
    transcript = Transcript(proc)
    try:
        ended = proc.wait(timeout=150)  # intro, two moves, ten seconds each to get ready
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        stderr = transcript.close()
    echo_log = "\n".join(line for line in stderr.splitlines() if "voicecoach." in line)
    what = f"{transcript.text()}\n{echo_log}"
    print(what)
    acted = [line for _, line in transcript.lines if line.startswith("heard ") and " -> " in line]
    assert ended == 0 and not acted, what
    assert transcript.find(r"coach: That.s the short routine done: two moves") is not None, what
    assert "Traceback" not in stderr, stderr
