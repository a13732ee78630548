"""One sound stream for the microphone and the loudspeaker: what is played and what is
heard, on one clock.

An echo canceller needs, beside each stretch of the microphone, what the loudspeaker was
playing then. Two separate streams each keep their own clock and start when they are
opened (the player opens one per sentence), so the gap between them would change from
sentence to sentence. A PortAudio duplex stream (``sounddevice.Stream``) asks for a block
of output and hands over a block of input in the same callback: each block of the
microphone is queued with the block played in that callback, and the delay between the
two (the devices' buffers, then the air) stays the same for as long as the stream runs.
:class:`voicecoach.audio.echo.EchoRemover` measures it.

:class:`DuplexAudio` is both ends: a source of ``(heard, played)`` chunk pairs for the
listener, and a :class:`voicecoach.audio.playback.Player` for the coach's voice. A
sentence to play is handed to the callback, which takes it block by block (silence when
there is none) and drops it at the next block when it is cancelled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicecoach.audio.chunk import CHUNK_MS, SPEECH_RATE, AudioChunk, Samples, convert
from voicecoach.audio.devices import DeviceInfo, find_device, sounddevice_module
from voicecoach.audio.playback import Cancelled, Started
from voicecoach.audio.stream import CallbackStream
from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

# Buffers, in seconds. Every block goes through Python (the GIL, a loaded machine: Whisper
# decoding and Piper rendering on two cores), so a late callback must not underrun the
# speaker: PortAudio then restarts both directions and the delay between them moves,
# which the echo canceller has to learn again. An interruption still cuts the coach off
# within DUPLEX_OUTPUT_LATENCY.
INPUT_LATENCY = 0.1
DUPLEX_OUTPUT_LATENCY = 0.2


@dataclass
class _Sentence:
    """A sentence being played: its samples at the stream's rate and how far it got."""

    samples: Samples
    position: int = 0
    first_sound: float | None = None  # time.monotonic() when its first sample sounds
    done: threading.Event = field(default_factory=threading.Event)


Pair = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]  # (heard, played), as queued


class DuplexAudio(CallbackStream[Pair]):
    """The microphone and the loudspeaker as one stream (see the module's description).

    ``input`` and ``output`` are device indices, (parts of) names, or None for the
    defaults. Iterating yields ``(heard, played)``: a chunk of the microphone and the
    chunk played in the same callback, same rate, same timestamps. It raises
    :class:`voicecoach.audio.mic.DeviceLost` when the stream fails or stalls for
    ``stall_timeout`` seconds; close it and :meth:`open` it again until the devices are
    back. :meth:`play` blocks until the sentence has been played or is cancelled.
    """

    def __init__(
        self,
        input: str | int | None = None,
        output: str | int | None = None,
        *,
        rate: int = SPEECH_RATE,
        chunk_ms: int = CHUNK_MS,
        stall_timeout: float = 2.0,
        max_queue_seconds: float = 10.0,
    ) -> None:
        super().__init__(
            chunk_ms=chunk_ms, stall_timeout=stall_timeout, max_queue_seconds=max_queue_seconds
        )
        self.input_spec = input
        self.output_spec = output
        self.preferred_rate = rate
        self.rate = rate
        self.latency = 0.0  # seconds, input plus output, as PortAudio reports them
        self.devices: tuple[DeviceInfo, DeviceInfo] | None = None
        self._lock = threading.Lock()
        self._sentence: _Sentence | None = None

    # -- opening -------------------------------------------------------------

    def _rate_for(self, sd: Any, mic: DeviceInfo, speaker: DeviceInfo) -> int:
        """The preferred rate if both devices take it, else the speaker's own."""
        for rate in (self.preferred_rate, int(speaker.default_rate)):
            try:
                sd.check_input_settings(
                    device=mic.index, samplerate=rate, channels=1, dtype="int16"
                )
                sd.check_output_settings(
                    device=speaker.index, samplerate=rate, channels=1, dtype="int16"
                )
                return rate
            except Exception as exc:  # PortAudioError or ValueError: not at this rate
                log.info("the devices cannot both run at %d Hz (%s)", rate, exc)
        raise AudioError(
            f"the microphone {mic.name!r} and the speaker {speaker.name!r} cannot run at one "
            "rate; choose others with --input and --output"
        )

    def open(self) -> DuplexAudio:
        """Open and start the stream; AudioError (one line) when that is impossible."""
        sd = sounddevice_module()
        mic = find_device(self.input_spec, "input")
        speaker = find_device(self.output_spec, "output")
        self.devices = (mic, speaker)
        self.rate = self._rate_for(sd, mic, speaker)
        self._reset()
        try:
            self._stream = sd.Stream(
                device=(mic.index, speaker.index),
                samplerate=self.rate,
                channels=(1, 1),
                dtype="int16",
                blocksize=self.rate * self.chunk_ms // 1000,
                latency=(INPUT_LATENCY, DUPLEX_OUTPUT_LATENCY),
                callback=self._on_audio,
                finished_callback=self._on_finished,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError carries the reason text
            self._stream = None
            raise AudioError(
                f"cannot open the microphone {mic.name!r} and the speaker {speaker.name!r} "
                f"together: {exc}; check they are connected and not used by another program"
            ) from exc
        latency = self._stream.latency
        self.latency = float(latency[0]) + float(latency[1])
        log.info(
            "listening on %s and speaking on %s at %d Hz, one stream (latency %.0f ms)",
            mic.name,
            speaker.name,
            self.rate,
            self.latency * 1000,
        )
        return self

    # -- the callback --------------------------------------------------------

    def _on_audio(
        self, indata: np.ndarray[Any, Any], outdata: np.ndarray[Any, Any], frames: int,
        when: Any, status: Any,
    ) -> None:  # fmt: skip
        filled = 0
        with self._lock:
            sentence = self._sentence
            if sentence is not None:
                filled = min(frames, len(sentence.samples) - sentence.position)
                part = sentence.samples[sentence.position : sentence.position + filled]
                outdata[:filled, 0] = part
                if sentence.first_sound is None and filled:
                    ahead = when.outputBufferDacTime - when.currentTime
                    sentence.first_sound = time.monotonic() + (ahead if 0 < ahead < 1 else 0.0)
                sentence.position += filled
                if sentence.position >= len(sentence.samples):
                    sentence.done.set()
                    self._sentence = None
        outdata[filled:] = 0
        self._queue_item((indata.copy(), outdata.copy()), status.input_overflow)

    def _on_finished(self) -> None:
        super()._on_finished()
        with self._lock:
            if self._sentence is not None:
                self._sentence.done.set()
                self._sentence = None

    # -- the microphone's side -----------------------------------------------

    def _device_name(self) -> str:
        return self.devices[0].name if self.devices else "the microphone"

    def read(self, timeout: float | None = None) -> tuple[AudioChunk, AudioChunk]:
        """The next chunk heard and the chunk played with it; DeviceLost if the stream
        fails or stays silent too long."""
        heard, played = self._next(timeout, "the sound devices are not open")
        at = self._frames / self.rate
        self._frames += len(heard)
        return AudioChunk(heard, self.rate, at), AudioChunk(played, self.rate, at)

    def __iter__(self) -> Iterator[tuple[AudioChunk, AudioChunk]]:
        return self._items(self.read)

    # -- the loudspeaker's side (a Player) -----------------------------------

    def play(self, audio: AudioChunk, cancelled: Cancelled, started: Started) -> bool:
        """Play ``audio`` through the stream; True if it played to the end."""
        if self._stream is None:
            raise AudioError("cannot play speech: the sound devices are not open")
        exact = audio.rate == self.rate and audio.channels == 1
        samples = (
            audio.samples.reshape(-1) if exact else convert(audio.samples, audio.rate, self.rate)
        )
        sentence = _Sentence(np.asarray(samples, dtype=np.int16))
        if not len(sentence.samples):
            return True
        with self._lock:
            self._sentence = sentence
        reported = False
        while not sentence.done.wait(0.005):
            if sentence.first_sound is not None and not reported:
                started(sentence.first_sound)
                reported = True
            if cancelled() or self._stream is None:
                with self._lock:
                    if self._sentence is sentence:
                        self._sentence = None
                break
        if sentence.first_sound is not None and not reported:
            started(sentence.first_sound)
        return not cancelled() and sentence.position >= len(sentence.samples)

    # -- closing -------------------------------------------------------------

    def close(self) -> None:
        """Stop the stream; safe to call twice or after a failure. A sentence playing
        ends there (its play() returns False)."""
        super().close()
        with self._lock:
            if self._sentence is not None:
                self._sentence.done.set()
                self._sentence = None
