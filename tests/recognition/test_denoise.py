"""Utterance preparation: noise estimate, WebRTC suppression and background padding."""

import numpy as np

from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.recognition.denoise import (
    NOISY_BELOW_DB,
    PAD_SECONDS,
    prepare,
    speech_frames,
    speech_to_background_db,
    suppress_noise,
)


def tone_burst(noise_rms: float, seed: int = 0) -> np.ndarray:
    """0.5 s of background, 1 s of a voiced-like tone, 0.5 s of background."""
    rng = np.random.default_rng(seed)
    t = np.arange(SPEECH_RATE) / SPEECH_RATE
    voiced = 6000 * np.sin(2 * np.pi * 180 * t) * np.sin(np.pi * t)
    body = np.concatenate([np.zeros(SPEECH_RATE // 2), voiced, np.zeros(SPEECH_RATE // 2)])
    noisy = body + rng.normal(0, noise_rms, len(body))
    return np.clip(noisy, -32768, 32767).astype(np.int16)


def test_speech_to_background_tells_quiet_from_noisy_rooms() -> None:
    quiet = speech_to_background_db(tone_burst(10))
    noisy = speech_to_background_db(tone_burst(1500))
    assert quiet > NOISY_BELOW_DB > noisy


def test_speech_frames_are_the_tone_at_any_loudness() -> None:
    for noise, gain in ((10, 1.0), (10, 0.05), (600, 1.0)):
        audio = (tone_burst(noise).astype(np.float64) * gain).astype(np.int16)
        flags = speech_frames(audio)
        assert len(flags) == len(audio) // 160
        assert not flags[:45].any() and not flags[-45:].any()  # the background
        assert flags[60:140].all()  # the loud middle of the tone
    assert not speech_frames(np.zeros(0, np.int16)).any()


def test_suppression_lowers_the_background_and_keeps_the_length() -> None:
    noisy = tone_burst(1500)
    cleaned = suppress_noise(noisy)
    assert len(cleaned) == len(noisy) - len(noisy) % 160
    tail = slice(int(1.6 * SPEECH_RATE), int(1.95 * SPEECH_RATE))  # background only
    middle = slice(int(0.9 * SPEECH_RATE), int(1.1 * SPEECH_RATE))  # the tone

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x.astype(float) ** 2)))

    assert rms(cleaned[tail]) < rms(noisy[tail]) / 3
    ratio_before = rms(noisy[middle]) / rms(noisy[tail])
    assert rms(cleaned[middle]) / rms(cleaned[tail]) > 1.2 * ratio_before


def test_prepare_denoises_only_noisy_audio_and_pads_both_ends() -> None:
    pad = int(SPEECH_RATE * PAD_SECONDS)
    quiet = tone_burst(10)
    ready = prepare(quiet)
    assert len(ready) == len(quiet) + 2 * pad
    assert np.abs(ready[pad:-pad].astype(int) - quiet).max() < 120  # only a faint floor added
    noisy = tone_burst(1500)
    ready = prepare(noisy)
    body = ready[pad:-pad]
    assert np.std(body[int(1.6 * SPEECH_RATE) :]) < np.std(noisy[int(1.6 * SPEECH_RATE) :]) / 3
