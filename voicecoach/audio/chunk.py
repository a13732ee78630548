"""Audio chunks that carry their own format, and conversion to what a consumer needs.

A WAV file, a microphone and a simulated room all produce the same stream of
:class:`AudioChunk`, so every test can push real audio through the real path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]


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
        import soxr

        mono = soxr.resample(mono, rate, target_rate).astype(np.float32)
    out: Samples = np.clip(mono * 32767.0, -32768, 32767).astype(np.int16)
    return out
