"""Preparing one utterance for the decoder: noise suppression and a background lead-in.

A cut-out utterance is handed to the decoder as a whole. Two things help a small
acoustic model with it: in a noisy room, WebRTC's noise suppressor (run over the
utterance after a lead-in of the utterance's own background, so it has noise to learn
from); and a little background before and after, so the decoder has silence to settle
on and digital silence never reaches its noise and mean estimates.
"""

from __future__ import annotations

import logging

import numpy as np
from webrtc_noise_gain import AudioProcessor

from voicecoach.audio.chunk import SPEECH_RATE, Samples

log = logging.getLogger(__name__)

FRAME = SPEECH_RATE // 100  # 10 ms, the noise suppressor's frame
PAD_SECONDS = 0.05  # background added around an utterance (the VAD keeps 0.3 s before it too)
MIN_BACKGROUND = 16.0  # RMS of the floor added everywhere (about -66 dBFS)
NOISY_BELOW_DB = 25.0  # speech-to-background ratio under which noise is suppressed
SUPPRESSION_LEVEL = 3  # WebRTC noise suppression, 0 (off) to 4 (strongest)
LEARN_SECONDS = 0.5  # background fed to the suppressor before the utterance
SPEECH_OVER_DB = 6.0  # a speech frame is at least this much over the quiet frames...
SPEECH_SHARE = 0.4  # ...and this far from the quiet frames to the loudest


def _frame_energies(samples: Samples) -> np.ndarray:
    usable = len(samples) - len(samples) % FRAME
    frames = samples[:usable].astype(np.float64).reshape(-1, FRAME)
    energies: np.ndarray = np.mean(frames**2, axis=1)
    return energies


def speech_to_background_db(samples: Samples) -> float:
    """Loud frames (90th percentile) over quiet frames (10th), in dB."""
    energy = _frame_energies(samples) + 1.0
    if len(energy) == 0:
        return 0.0
    return float(10.0 * np.log10(np.percentile(energy, 90) / np.percentile(energy, 10)))


def speech_frames(samples: Samples) -> np.ndarray:
    """One flag per 10 ms frame: louder than the quiet frames by a good part of the range.

    A frame is speech when it is 6 dB over the 10th-percentile frame and 40% of the way
    from there to the 97th: relative levels, so loudness and background do not matter.
    """
    level = 10.0 * np.log10(_frame_energies(samples) + 1.0)
    if len(level) == 0:
        return np.zeros(0, dtype=bool)
    quiet, loud = np.percentile(level, 10), np.percentile(level, 97)
    flags: np.ndarray = level > quiet + max(SPEECH_OVER_DB, SPEECH_SHARE * (loud - quiet))
    return flags


def background(samples: Samples, seconds: float) -> np.ndarray:
    """``seconds`` of the utterance's own background: its quietest fifth of frames, looped."""
    usable = len(samples) - len(samples) % FRAME
    frames = samples[:usable].astype(np.float64).reshape(-1, FRAME)
    energy = np.mean(frames**2, axis=1)
    quiet = np.sort(np.argsort(energy)[: max(3, len(energy) // 5)])
    loop = frames[quiet].reshape(-1)
    want = int(SPEECH_RATE * seconds)
    tiled: np.ndarray = np.tile(loop, -(-want // len(loop)))[:want]
    return tiled


def suppress_noise(samples: Samples, level: int = SUPPRESSION_LEVEL) -> Samples:
    """WebRTC noise suppression, after a lead-in of the utterance's own background."""
    if len(samples) < 3 * FRAME:
        return samples
    lead = background(samples, LEARN_SECONDS)
    audio = np.concatenate([lead, samples.astype(np.float64)])
    audio += np.random.default_rng(len(samples)).normal(0.0, MIN_BACKGROUND, len(audio))
    pcm = np.clip(audio, -32768, 32767).astype("<i2")
    pcm = pcm[: len(pcm) - len(pcm) % FRAME]
    processor = AudioProcessor(0, level)
    raw = pcm.tobytes()
    out = b"".join(
        processor.Process10ms(raw[i : i + 2 * FRAME]).audio for i in range(0, len(raw), 2 * FRAME)
    )
    cleaned: Samples = np.frombuffer(out, dtype="<i2")[len(lead) :].astype(np.int16)
    return cleaned


def pad_with_background(samples: Samples, rate: int, seconds: float = PAD_SECONDS) -> Samples:
    """Surround ``samples`` with noise as loud as their quietest 10 ms frames.

    A recording that starts right on the first word leaves the decoder no silence
    to settle on, and digital silence has no spectrum to normalize; a little noise
    at the utterance's own background level (never below a faint floor) fixes both.
    """
    frame = rate // 100
    usable = len(samples) - len(samples) % frame
    if usable <= 0:
        return samples
    rms = np.sqrt(np.mean(samples[:usable].astype(np.float64).reshape(-1, frame) ** 2, axis=1))
    level = max(MIN_BACKGROUND, float(np.percentile(rms, 10)))
    rng = np.random.default_rng(len(samples))
    pad = rng.normal(0.0, level, int(rate * seconds))
    floor = rng.normal(0.0, MIN_BACKGROUND, len(samples))
    body = samples.astype(np.float64) + floor
    out = np.concatenate([pad, body, pad[::-1]])
    clipped: Samples = np.clip(out, -32768, 32767).astype(np.int16)
    return clipped


def suppress_when_noisy(samples: Samples) -> Samples:
    """``samples`` with WebRTC's noise suppression when speech stands less than
    NOISY_BELOW_DB over their background; as they are otherwise."""
    if len(samples) >= 3 * FRAME and speech_to_background_db(samples) < NOISY_BELOW_DB:
        return suppress_noise(samples)
    return samples


def prepare(samples: Samples) -> Samples:
    """An utterance at SPEECH_RATE made ready for decoding: denoised when noisy, then padded."""
    return pad_with_background(suppress_when_noisy(samples), SPEECH_RATE)
