"""The live command on real (virtual) sound devices: ``voicecoach run`` as a subprocess.

A private PulseAudio server gives it a default microphone (``vc_mic``, fed by whatever
is played into ``vc_room``) and a default speaker (the null sink ``vc_speaker``, whose
monitor is recorded). A simulated person speaks into the room in a voice other than the
coach's, waiting politely for the coach to fall silent, like a person on a mat would.
A loopback also plays the coach's own voice back into the room, as a real room would,
so the own-voice guard is exercised: the coach's "Say start back routine" must not start
anything. Runs when PulseAudio and the ALSA pulse plugin are installed (see
``tests/pulse.py``); CI requires them.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pulse as pulse_devices
import pytest
from transcript import Transcript

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.history.store import HistoryStore
from voicecoach.voice import synth

pulse = pulse_devices.pulse  # the module-scoped virtual devices fixture
echo = pulse_devices.echo  # the coach's voice comes back into the microphone
pytestmark = pytest.mark.slow

PERSON_VOICE = "en-us+f2"  # a female US voice; the coach speaks espeak-ng's default (male, en-gb)
RATE = SPEECH_RATE
TRIES = 3
# What the person says for each step, and other words for it when not understood.
PHRASES = {
    "start": ("start back routine", "begin my back routine", "start the routine"),
    "ready": ("ready", "I'm ready", "next"),
    "pause": ("pause", "wait", "hold on"),
    "resume": ("resume", "continue", "carry on"),
}
TRY_STYLES = (
    (165, 50),
    (140, 40),
    (185, 60),
)  # words per minute and pitch, per try  # how loud the coach's voice comes back into the microphone


Monitor = pulse_devices.SpeakerMonitor


class Person:
    """Speaks commands into the virtual microphone and notes which needed saying again."""

    def __init__(self, env: dict[str, str], folder: Path, monitor: Monitor) -> None:
        self.env = env
        self.folder = folder
        self.monitor = monitor
        self.retries: dict[str, int] = {}

    def _wav(self, text: str, attempt: int = 0) -> Path:
        """The person's words; each new try is said a little differently, as people do."""
        rate, pitch = TRY_STYLES[attempt % len(TRY_STYLES)]
        stem = re.sub(r"\W+", "_", text)
        path = self.folder / f"{stem}-{attempt}.wav"
        if not path.exists():
            speech = synth.synthesize(text, PERSON_VOICE, rate, pitch=pitch, target_rate=RATE)
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(speech.samples.tobytes())
        return path

    def prepare(self, phrases: tuple[str, ...]) -> None:
        """Synthesize every try ahead, so the person answers promptly."""
        for attempt in range(TRIES):
            self._wav(phrases[attempt % len(phrases)], attempt)

    def say(self, text: str, attempt: int = 0) -> None:
        """Wait for the coach to fall silent, then say ``text`` into the room."""
        assert self.monitor.wait_quiet(), "the coach never fell silent"
        subprocess.run(
            ["paplay", "--device=vc_room", str(self._wav(text, attempt))],
            env=self.env,
            check=True,
            timeout=15,
        )

    def command(
        self, transcript: Transcript, phrases: tuple[str, ...], expect: str, timeout: float = 8.0
    ) -> str:
        """Say the first phrase until the transcript shows ``expect``, up to TRIES times.

        Like a person who is not understood, each new try is said differently and,
        when there are other ways to put it, in other words.
        """
        for attempt in range(TRIES):
            text = phrases[attempt % len(phrases)]
            since = transcript.mark()
            self.say(text, attempt)
            found = transcript.wait_for(expect, since, timeout)
            if found is not None:
                if attempt:
                    self.retries[phrases[0]] = attempt
                return found
        pytest.fail(
            f"{phrases!r} never led to {expect!r} after {TRIES} tries; transcript:\n"
            + transcript.text()
        )


def _start_coach(pulse: dict[str, str], home: Path) -> subprocess.Popen[str]:
    env = {
        **pulse,
        "VOICECOACH_CONFIG_DIR": str(home / "config"),
        "VOICECOACH_DATA_DIR": str(home / "data"),
        "VOICECOACH_VERBOSITY": "short",  # short cues keep the test brief
        "VOICECOACH_TRANSITION_SECONDS": "60",  # only "ready" moves on into the hold
        "VOICECOACH_HOLD_SCALE": "3",  # a long hold leaves room to pause in it
        "PYTHONUNBUFFERED": "1",
    }
    (home / "data").mkdir(parents=True)
    (home / "data" / "safety-note-given").touch()  # the note is tested elsewhere
    return subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", "--speed", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_works,
    )


def _ctrl_c_works() -> None:
    """Ctrl-C reaches the coach even when the tests run in the background, where the shell
    has SIGINT ignored for them and everything they start."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _seconds(line: str) -> int:
    match = re.search(r"(\d+) seconds? left", line)
    assert match, line
    return int(match.group(1))


def test_live_session_follows_spoken_commands(
    pulse: dict[str, str], echo: None, tmp_path: Path
) -> None:
    monitor = Monitor(pulse)
    person = Person(pulse, tmp_path, monitor)
    for phrases in PHRASES.values():
        person.prepare(phrases)
    began = time.monotonic()
    proc = _start_coach(pulse, tmp_path / "home")
    transcript = Transcript(proc)
    try:
        ready = transcript.wait_for(r"coach: Ready\. Say start back routine", timeout=15)
        assert ready is not None, transcript.text()
        ready_after = time.monotonic() - began
        # The coach's own "say start back routine" came back through the room: not obeyed.
        assert monitor.wait_quiet(), "the ready cue never ended"
        time.sleep(1.0)
        assert transcript.find(r"coach: Back routine\.") is None, transcript.text()

        person.command(transcript, PHRASES["start"], r"coach: First up: Sky-high stretch")
        # Positioning waits a minute; only the spoken "ready" moves on into the hold.
        person.command(transcript, PHRASES["ready"], r"coach: .*Hold for")
        pause = person.command(
            transcript, PHRASES["pause"], r"coach: Paused with \d+ seconds? left"
        )
        left_at_pause = _seconds(pause)
        time.sleep(2.0)  # paused time does not count
        resumed = person.command(
            transcript, PHRASES["resume"], r"coach: Picking up\. \d+ seconds? left"
        )
        assert abs(_seconds(resumed) - left_at_pause) <= 1
        proc.send_signal(signal.SIGINT)  # Ctrl-C mid-hold: ends cleanly, place kept
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        time.sleep(0.3)
        recorded = monitor.stop()
        stderr = transcript.close()
    print(f"ready after {ready_after:.2f} s; retries: {person.retries}")
    print(transcript.text())
    assert proc.returncode == 130, stderr
    assert "your place is saved" in stderr
    store = HistoryStore.open(tmp_path / "home" / "data" / "history.sqlite3")
    try:
        kept = store.unfinished()
    finally:
        store.close()
    assert kept is not None and kept.routine == "back" and kept.move == 0  # still the first move
    assert "Traceback" not in stderr, stderr
    assert "could not speak" not in stderr, stderr
    heard = [line for _, line in transcript.lines if line.startswith("heard ")]
    assert any("-> pause" in line for line in heard)
    # The coach spoke out loud, and at length: several sentences' worth.
    assert pulse_devices.loud_seconds(recorded, RATE) > 5.0
