"""Audio chunks that carry their own format, and conversion to what a consumer needs.

A WAV file, a microphone and a simulated room all produce the same stream of
:class:`AudioChunk`, so every test can push real audio through the real path.
Speech is listened to at one rate, :data:`SPEECH_RATE`: the voice activity detector
and the recognizers' acoustic models work there, and every other source is converted
to it on the way in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

Samples = npt.NDArray[np.int16]

SPEECH_RATE = 16000  # Hz: what the VAD and the recognizers' models were trained on
CHUNK_MS = 30  # the size of a microphone's chunks, and of a recording's when it is replayed


@dataclass(frozen=True)
class AudioChunk:
    """A piece of 16-bit PCM audio; ``samples`` has shape (frames, channels)."""

    samples: Samples
    rate: int
    timestamp: float = 0.0  # seconds from the start of the stream

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1]) if self.samples.ndim == 2 else 1

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def split(audio: AudioChunk, chunk_ms: int = CHUNK_MS) -> Iterator[AudioChunk]:
    """``audio`` as the stream of ``chunk_ms`` chunks a microphone would have delivered."""
    step = max(1, audio.rate * chunk_ms // 1000)
    for offset in range(0, len(audio.samples), step):
        stamp = audio.timestamp + offset / audio.rate
        yield AudioChunk(audio.samples[offset : offset + step], audio.rate, stamp)


def to_mono(samples: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    """Average the channels of (frames, channels) audio into float32 in [-1, 1]."""
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        info = np.iinfo(data.dtype)
        floats = data.astype(np.float32) / float(max(abs(info.min), info.max))
    else:
        floats = data.astype(np.float32)
    if floats.ndim == 2:
        floats = floats.mean(axis=1)
    return floats


def convert(samples: npt.NDArray[np.generic], rate: int, target_rate: int) -> Samples:
    """Any rate and channel count to mono int16 at ``target_rate``."""
    mono = to_mono(samples)
    if rate != target_rate and len(mono):
        mono = soxr.resample(mono, rate, target_rate).astype(np.float32)
    out: Samples = np.clip(mono * 32767.0, -32768, 32767).astype(np.int16)
    return out
