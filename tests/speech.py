"""Speech for tests: espeak-ng through the package's own synthesizer, as mono samples."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from voicecoach.audio.chunk import SPEECH_RATE, Samples
from voicecoach.voice.synth import synthesize

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/setup.sh)"
)


def synth(text: str, voice: str = "en-us", speed: int = 160) -> Samples:
    """Speak ``text`` with espeak-ng and return it as mono int16 at SPEECH_RATE."""
    return synthesize(text, voice, speed, target_rate=SPEECH_RATE).samples[:, 0]


def with_silence(samples: Samples, before: float = 0.5, after: float = 0.8) -> Samples:
    """Surround speech with quiet background, as a microphone would hear it."""
    rng = np.random.default_rng(1)
    lead = rng.normal(0, 20, int(SPEECH_RATE * before)).astype(np.int16)
    tail = rng.normal(0, 20, int(SPEECH_RATE * after)).astype(np.int16)
    return np.concatenate([lead, samples, tail])
