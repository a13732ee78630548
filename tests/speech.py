"""Speech synthesis for tests: espeak-ng to a WAV, read back as 16 kHz mono."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voicecoach.audio.chunk import Samples
from voicecoach.audio.wav import read_wav_mono

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/setup.sh)"
)


def synth(text: str, tmp: Path, voice: str = "en-us", speed: int = 160) -> Samples:
    """Speak ``text`` with espeak-ng and return it as 16 kHz mono int16."""
    out = tmp / f"s{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    return read_wav_mono(out)


def with_silence(samples: Samples, before: float = 0.5, after: float = 0.8) -> Samples:
    """Surround speech with quiet background, as a microphone would hear it."""
    rng = np.random.default_rng(1)
    lead = rng.normal(0, 20, int(16000 * before)).astype(np.int16)
    tail = rng.normal(0, 20, int(16000 * after)).astype(np.int16)
    return np.concatenate([lead, samples, tail])
