"""Offline speech synthesis into samples, through the ``espeak-ng`` command.

The demo's simulated room needs speech as numbers, not as sound from a
speaker: the coach's cues and the simulated person's commands are rendered
here and mixed by :mod:`voicecoach.sim.room`. The tests and benchmarks render their
speech here too, so all of them hear the same voices. Results are cached because the
same short cues and commands come back again and again.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess

import numpy as np

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, convert
from voicecoach.audio.wav import parse_wav
from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

DEFAULT_RATE_WPM = 170  # simulated people and test speech; the coach's rate is a setting
COACH_VOICE = "en-us"
PERSON_VOICE = "en-us+f2"  # a woman's voice, told apart from the coach's (en-us, male)
ESPEAK_PACKAGE = "espeak-ng"
ESPEAK_RATE = 22050  # Hz, espeak-ng's own output


def espeak_binary() -> str:
    """Path of the ``espeak-ng`` command, or AudioError naming the package to install."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise AudioError(
            "the espeak-ng command is missing; install it with "
            f"`sudo apt-get install {ESPEAK_PACKAGE}` (Debian/Ubuntu)"
        )
    return found


@functools.lru_cache(maxsize=512)
def _synthesize_cached(
    text: str, voice: str, rate_wpm: int, pitch: int, amplitude: int, target_rate: int | None
) -> AudioChunk:
    cmd = [
        espeak_binary(),
        "--stdout",
        "-v",
        voice,
        "-s",
        str(rate_wpm),
        "-p",
        str(pitch),
        "-a",
        str(amplitude),
        "--",
        text,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, check=False, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"espeak-ng took too long to say {text!r}") from exc
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
        raise AudioError(f"espeak-ng could not say {text!r} with voice {voice!r}: {reason}")
    chunk = parse_wav(done.stdout, "espeak-ng's WAV output")
    if target_rate is not None and target_rate != chunk.rate:
        mono = convert(chunk.samples, chunk.rate, target_rate)
        chunk = AudioChunk(mono.reshape(-1, 1), target_rate)
    chunk.samples.setflags(write=False)  # shared through the cache
    log.debug("synthesized %r in %s: %.2f s", text, voice, chunk.duration)
    return chunk


def synthesize(
    text: str,
    voice: str = COACH_VOICE,
    rate_wpm: int = DEFAULT_RATE_WPM,
    *,
    pitch: int = 50,
    amplitude: int = 100,
    target_rate: int | None = SPEECH_RATE,
) -> AudioChunk:
    """Render ``text`` as mono int16 speech (read-only samples, shape (frames, 1)).

    ``voice`` is any espeak-ng voice name, optionally with a variant
    (``"en-us"``, ``"en-gb+m3"``, ``"en-us+f3"``); ``rate_wpm`` is words per
    minute; ``pitch`` 0-99; ``amplitude`` 0-200. With ``target_rate`` set the
    audio is resampled to it (by default the recognizers' rate, SPEECH_RATE);
    ``None`` keeps espeak-ng's own ESPEAK_RATE.
    """
    if not text.strip():
        return AudioChunk(np.zeros((0, 1), dtype=np.int16), target_rate or ESPEAK_RATE)
    return _synthesize_cached(text, voice, int(rate_wpm), int(pitch), int(amplitude), target_rate)
