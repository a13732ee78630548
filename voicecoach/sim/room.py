"""A simulated room: voices placed on a timeline, heard as one microphone stream.

The demo places the person's commands at chosen times and the coach's speech
as it is spoken; :meth:`Room.read` advances the room's time and returns what a
microphone in the room would hear (mixed, optionally with a little noise).
Everything read is kept and can be written to a WAV file.
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples, convert
from voicecoach.errors import AudioError
from voicecoach.settings import DEFAULTS
from voicecoach.voice.catalog import CoachVoice
from voicecoach.voice.speaker import clamp_rate

log = logging.getLogger(__name__)


@dataclass
class Placement:
    """One sound on the room's timeline (in samples); ``cut`` shortens it."""

    start: int
    samples: Samples  # mono int16
    label: str = ""
    on_start: Callable[[float], None] | None = None
    started: bool = field(default=False, init=False)

    @property
    def end(self) -> int:
        return self.start + len(self.samples)

    def cut(self, at: int) -> None:
        """Silence everything from sample ``at`` of the room's timeline on."""
        keep = max(0, at - self.start)
        if keep < len(self.samples):
            self.samples = self.samples[:keep]


class Room:
    """Mixes timed mono sources into one stream at ``rate`` (by default SPEECH_RATE, the VAD's).

    ``noise_dbfs`` adds steady white noise at that level (e.g. -55), seeded
    by ``seed`` so every run hears the same room.
    """

    def __init__(
        self, rate: int = SPEECH_RATE, *, noise_dbfs: float | None = None, seed: int = 0
    ) -> None:
        self.rate = rate
        self.position = 0  # samples read so far
        self._placements: list[Placement] = []
        self._heard: list[Samples] = []
        self._noise_amplitude = 0.0 if noise_dbfs is None else 32767.0 * 10 ** (noise_dbfs / 20)
        self._rng = np.random.default_rng(seed)

    @property
    def time(self) -> float:
        """Seconds of room audio read so far."""
        return self.position / self.rate

    def add(
        self,
        audio: AudioChunk | Samples,
        at: float | None = None,
        *,
        label: str = "",
        on_start: Callable[[float], None] | None = None,
    ) -> Placement:
        """Place ``audio`` at ``at`` seconds (default: now); returns its placement.

        An AudioChunk is converted to the room's rate; bare samples must be
        mono int16 at the room's rate already. ``on_start(seconds)`` is called
        from :meth:`read` when the room reaches the sound.
        """
        if isinstance(audio, AudioChunk):
            samples = convert(audio.samples, audio.rate, self.rate)
        else:
            samples = np.asarray(audio, dtype=np.int16).reshape(-1)
        start = self.position if at is None else max(self.position, round(at * self.rate))
        placement = Placement(start, samples, label, on_start)
        self._placements.append(placement)
        return placement

    def read(self, frames: int) -> AudioChunk:
        """The next ``frames`` samples a microphone in the room hears."""
        begin, end = self.position, self.position + frames
        mix = np.zeros(frames, dtype=np.float32)
        if self._noise_amplitude:
            mix += self._rng.normal(0.0, self._noise_amplitude, frames).astype(np.float32)
        for p in self._placements:
            if p.end <= begin or p.start >= end or not len(p.samples):
                continue
            lo, hi = max(begin, p.start), min(end, p.end)
            mix[lo - begin : hi - begin] += p.samples[lo - p.start : hi - p.start]
            if not p.started:
                p.started = True
                if p.on_start is not None:
                    p.on_start(p.start / self.rate)
        self._placements = [p for p in self._placements if p.end > end and len(p.samples)]
        out: Samples = np.clip(mix, -32768, 32767).astype(np.int16)
        self._heard.append(out)
        self.position = end
        return AudioChunk(out.reshape(-1, 1), self.rate, begin / self.rate)

    def chunks(self, chunk_ms: int = 30, until: float | None = None) -> Iterator[AudioChunk]:
        """Read chunks of ``chunk_ms`` until ``until`` seconds (forever if None)."""
        step = self.rate * chunk_ms // 1000
        while until is None or self.time < until:
            yield self.read(step)

    def recording(self) -> Samples:
        """Everything read so far, as one mono int16 array."""
        if not self._heard:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._heard)

    def save(self, path: Path | str) -> Path:
        """Write everything read so far as a 16-bit mono WAV file."""
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(target), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(self.rate)
                w.writeframes(self.recording().astype("<i2").tobytes())
        except OSError as exc:
            raise AudioError(f"cannot write the room audio to {target}: {exc}") from exc
        log.info("wrote %.1f s of room audio to %s", self.time, target)
        return target


def rms_dbfs(samples: npt.NDArray[np.generic]) -> float:
    """Loudness of int16 samples in dB relative to full scale (-inf for silence)."""
    data = np.asarray(samples, dtype=np.float64).reshape(-1)
    if not len(data):
        return float("-inf")
    rms = float(np.sqrt(np.mean(data**2)))
    return 20 * np.log10(rms / 32767.0) if rms > 0 else float("-inf")


class RoomSpeaker:
    """A :class:`voicecoach.voice.speaker.Speaker` whose voice goes into a :class:`Room`.

    Each sentence is rendered in the coach's own voice (``voice``, the ``voice`` setting:
    Piper by default, or an espeak-ng voice; :class:`voicecoach.voice.catalog.CoachVoice`)
    and placed in the room right after the previous one, so the coach's own voice, as the
    coach really sounds, reaches the simulated microphone. Times are room seconds.
    ``on_speech_start(text, t)`` is called when the room reaches a sentence.
    """

    def __init__(
        self,
        room: Room,
        *,
        voice: str | None = None,
        rate_wpm: int | None = None,
        tail: float = 0.4,
        gap: float = 0.25,
        on_speech_start: Callable[[str, float], None] | None = None,
    ) -> None:
        self.room = room
        self.voice = CoachVoice(voice)
        self.rate_wpm = rate_wpm or DEFAULTS.speech_rate  # the coach's own default rate
        self.tail = tail
        self.gap = gap
        self.on_speech_start = on_speech_start
        self.factor = 1.0
        self._synthesize: Callable[[str, int], AudioChunk] = self.voice
        self._placed: list[Placement] = []
        self._end = -(10**9)  # sample where the coach's speech ends

    def say(self, text: str) -> None:
        """Place ``text`` in the room after whatever the coach is still saying."""
        if not text.strip():
            return
        audio = self._synthesize(text, round(self.rate_wpm * self.factor))
        self._placed = [p for p in self._placed if p.end > self.room.position]
        at = self.room.time
        if self._placed:
            at = max(at, self._placed[-1].end / self.room.rate + self.gap)

        def started(seconds: float) -> None:
            if self.on_speech_start is not None:
                self.on_speech_start(text, seconds)

        placement = self.room.add(audio, at, label=f"coach: {text}", on_start=started)
        self._placed.append(placement)
        self._end = placement.end

    def prepare(self, texts: Iterable[str]) -> None:
        """Nothing to do: the room's time stands still while a sentence renders."""

    def interrupt(self) -> None:
        """Cut the coach off at the room's current time and drop what was queued."""
        for p in self._placed:
            p.cut(self.room.position)
        self._placed = []
        self._end = min(self._end, self.room.position)

    def set_rate(self, factor: float) -> None:
        """Speak ``factor`` times faster from the next sentence on."""
        self.factor = clamp_rate(factor)

    def speech_end(self) -> float:
        """Room seconds at which the coach's speech (queued included) ends."""
        return self._end / self.room.rate

    def is_speaking(self) -> bool:
        """True from a sentence's placement until ``tail`` seconds after the last one ends."""
        return self.room.time < self.speech_end() + self.tail

    def close(self) -> None:
        """Nothing to release; the room keeps what was said."""
