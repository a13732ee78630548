"""A simulated room: voices placed on a timeline, heard as one microphone stream.

The demo places the person's commands at chosen times and the coach's speech
as it is spoken; :meth:`Room.read` advances the room's time and returns what a
microphone in the room would hear (mixed, optionally with a little noise).
Everything read is kept and can be written to a WAV file.

A room with an :class:`Echo` returns what the coach plays as a real room does: later (the
loudspeaker's and the microphone's buffers, the air), with reflections and a reverberant
tail, louder or softer; :meth:`Room.read_both` gives what was played at the same moments
beside it, the reference an echo canceller needs.
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


@dataclass(frozen=True)
class Echo:
    """How the room returns what the coach plays: the direct sound after ``delay`` seconds,
    three early reflections, and a tail dying away by 60 dB in ``rt60`` seconds carrying
    as much energy as the direct sound and reflections (``direct_to_tail`` dB more); the
    whole scaled by ``gain_db``. ``seed`` draws the tail."""

    delay: float = 0.1
    rt60: float = 0.4
    gain_db: float = 0.0
    direct_to_tail: float = 0.0
    seed: int = 0

    def response(self, rate: int) -> npt.NDArray[np.float64]:
        """The impulse response from the loudspeaker's signal to the microphone."""
        rng = np.random.default_rng(self.seed)
        start = round(self.delay * rate)
        length = round(self.rt60 * rate)
        early = np.zeros(start + length)
        early[start] = 1.0
        for after_ms, gain in ((7, 0.5), (13, -0.35), (23, 0.25)):
            early[start + after_ms * rate // 1000] += gain
        decay = np.exp(-6.9 * np.arange(length) / length)  # -60 dB at rt60
        tail = np.zeros(start + length)
        tail[start:] = rng.normal(size=length) * decay
        tail *= np.sqrt(np.sum(early**2) / np.sum(tail**2)) * 10 ** (-self.direct_to_tail / 20)
        return (early + tail) * 10 ** (self.gain_db / 20)


def convolve(samples: npt.NDArray[np.generic], response: npt.NDArray[np.float64]) -> Samples:
    """``samples`` through ``response`` (by FFT), its full length, clipped to int16."""
    size = len(samples) + len(response) - 1
    if not len(samples):
        return np.zeros(0, dtype=np.int16)
    n = 1 << int(np.ceil(np.log2(size)))
    spectrum = np.fft.rfft(np.asarray(samples, np.float64), n) * np.fft.rfft(response, n)
    wet = np.fft.irfft(spectrum, n)[:size]
    out: Samples = np.clip(np.round(wet), -32768, 32767).astype(np.int16)
    return out


@dataclass
class Placement:
    """One sound on the room's timeline (in samples); ``cut`` shortens it.

    A sound the coach plays in a room with an echo has the room's version of it
    (``heard``, from the same start) and ``response``, to make it again when cut."""

    start: int
    samples: Samples  # mono int16
    label: str = ""
    on_start: Callable[[float], None] | None = None
    heard: Samples | None = None  # what the microphone gets of a played sound
    response: npt.NDArray[np.float64] | None = None
    started: bool = field(default=False, init=False)

    @property
    def end(self) -> int:
        """The sample after the last one the microphone gets of it."""
        return self.start + max(len(self.samples), 0 if self.heard is None else len(self.heard))

    @property
    def played_end(self) -> int:
        """The sample after the last one played (for a played sound, sooner than ``end``)."""
        return self.start + len(self.samples)

    def cut(self, at: int) -> None:
        """Silence everything played from sample ``at`` of the room's timeline on; what was
        played before still reaches the microphone, reverberation and all."""
        keep = max(0, at - self.start)
        if keep < len(self.samples):
            self.samples = self.samples[:keep]
            if self.response is not None:
                self.heard = convolve(self.samples, self.response)

    def audible(self) -> Samples:
        """What the microphone gets of it."""
        return self.samples if self.heard is None else self.heard


class Room:
    """Mixes timed mono sources into one stream at ``rate`` (by default SPEECH_RATE, the VAD's).

    ``noise_dbfs`` adds steady white noise at that level (e.g. -55), seeded
    by ``seed`` so every run hears the same room.
    """

    def __init__(
        self,
        rate: int = SPEECH_RATE,
        *,
        noise_dbfs: float | None = None,
        seed: int = 0,
        echo: Echo | None = None,
    ) -> None:
        self.rate = rate
        self.echo = echo
        self._response = None if echo is None else echo.response(rate)
        self.position = 0  # samples read so far
        self._placements: list[Placement] = []
        self._played: list[Placement] = []  # the coach's sounds still being played
        self._heard: list[Samples] = []
        self._noise_amplitude = 0.0 if noise_dbfs is None else 32767.0 * 10 ** (noise_dbfs / 20)
        self._rng = np.random.default_rng(seed)

    def move(self, echo: Echo | None) -> None:
        """The room changes (someone moved, or the loudspeaker): what the coach plays from
        now on comes back as ``echo`` returns it."""
        self.echo = echo
        self._response = None if echo is None else echo.response(self.rate)

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
        played: bool = False,
    ) -> Placement:
        """Place ``audio`` at ``at`` seconds (default: now); returns its placement.

        An AudioChunk is converted to the room's rate; bare samples must be
        mono int16 at the room's rate already. ``on_start(seconds)`` is called
        from :meth:`read` when the room reaches the sound. A ``played`` sound is the
        coach's, from the loudspeaker: it is the reference, and in a room with an echo the
        microphone hears the room's version of it.
        """
        if isinstance(audio, AudioChunk):
            samples = convert(audio.samples, audio.rate, self.rate)
        else:
            samples = np.asarray(audio, dtype=np.int16).reshape(-1)
        start = self.position if at is None else max(self.position, round(at * self.rate))
        placement = Placement(start, samples, label, on_start)
        if played:
            self._played.append(placement)
            if self._response is not None:
                placement.response = self._response
                placement.heard = convolve(samples, self._response)
        self._placements.append(placement)
        return placement

    def read(self, frames: int) -> AudioChunk:
        """The next ``frames`` samples a microphone in the room hears."""
        return self.read_both(frames)[0]

    def read_both(self, frames: int) -> tuple[AudioChunk, AudioChunk]:
        """The next ``frames`` samples the microphone hears, and what the loudspeaker played
        during them (the coach's sounds as they were sent out)."""
        begin, end = self.position, self.position + frames
        mix = np.zeros(frames, dtype=np.float32)
        played = np.zeros(frames, dtype=np.float32)
        if self._noise_amplitude:
            mix += self._rng.normal(0.0, self._noise_amplitude, frames).astype(np.float32)
        for p in self._placements:
            _add(mix, p.audible(), p.start, begin, end)
            if p.start < end and p.end > begin and not p.started:
                p.started = True
                if p.on_start is not None:
                    p.on_start(p.start / self.rate)
        for p in self._played:
            _add(played, p.samples, p.start, begin, end)
        self._placements = [p for p in self._placements if p.end > end and p.end > p.start]
        self._played = [p for p in self._played if p.start + len(p.samples) > end]
        out: Samples = np.clip(mix, -32768, 32767).astype(np.int16)
        sent: Samples = np.clip(played, -32768, 32767).astype(np.int16)
        self._heard.append(out)
        self.position = end
        stamp = begin / self.rate
        return (
            AudioChunk(out.reshape(-1, 1), self.rate, stamp),
            AudioChunk(sent.reshape(-1, 1), self.rate, stamp),
        )

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


def _add(mix: npt.NDArray[np.float32], sound: Samples, start: int, begin: int, end: int) -> None:
    """Add the part of ``sound`` (placed at sample ``start``) that falls in [begin, end)."""
    lo, hi = max(begin, start), min(end, start + len(sound))
    if lo < hi:
        mix[lo - begin : hi - begin] += sound[lo - start : hi - start]


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
    ``coach_voice`` shares one voice (and what it rendered) between rooms.
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
        coach_voice: CoachVoice | None = None,
    ) -> None:
        self.room = room
        self.voice = coach_voice or CoachVoice(voice)
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
        self._placed = [p for p in self._placed if p.played_end > self.room.position]
        at = self.room.time
        if self._placed:
            at = max(at, self._placed[-1].played_end / self.room.rate + self.gap)

        def started(seconds: float) -> None:
            if self.on_speech_start is not None:
                self.on_speech_start(text, seconds)

        placement = self.room.add(audio, at, label=f"coach: {text}", on_start=started, played=True)
        self._placed.append(placement)
        self._end = placement.played_end

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
