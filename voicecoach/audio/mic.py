"""Sources of audio chunks: the microphone (sounddevice) and WAV files.

Both yield :class:`voicecoach.audio.chunk.AudioChunk` of about 30 ms in the
device's or file's own format; the consumer converts with
:func:`voicecoach.audio.chunk.convert`. The microphone's audio callback only puts
copies on a queue; everything else happens on the reading thread
(:class:`voicecoach.audio.stream.CallbackStream`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.audio.chunk import CHUNK_MS, SPEECH_RATE, AudioChunk, split
from voicecoach.audio.devices import DeviceInfo, find_device, sounddevice_module
from voicecoach.audio.stream import CallbackStream, DeviceLost
from voicecoach.audio.wav import read_wav
from voicecoach.errors import AudioError

__all__ = ["DeviceLost", "MicrophoneSource", "WavSource", "choose_rate"]

log = logging.getLogger(__name__)


def choose_rate(sd: Any, device: DeviceInfo, preferred: int, channels: int) -> int:
    """``preferred`` if the device takes it, else the device's own default rate."""
    try:
        sd.check_input_settings(
            device=device.index, samplerate=preferred, channels=channels, dtype="int16"
        )
        return preferred
    except Exception as exc:  # PortAudioError or ValueError, both mean "not at this rate"
        log.info(
            "%s cannot record at %d Hz (%s); using %g Hz",
            device.name,
            preferred,
            exc,
            device.default_rate,
        )
        return int(device.default_rate)


class MicrophoneSource(CallbackStream[np.ndarray[Any, Any]]):
    """Chunks from a sound input device.

    ``device`` is an index, a (part of a) name, or None for the default.
    Iterating raises :class:`DeviceLost` when the stream reports an error or
    no audio arrives for ``stall_timeout`` seconds; close it and :meth:`open`
    again (e.g. every second) until the device is back.
    """

    def __init__(
        self,
        device: str | int | None = None,
        *,
        rate: int = SPEECH_RATE,  # asked for first: the VAD then resamples nothing
        chunk_ms: int = CHUNK_MS,
        stall_timeout: float = 2.0,
        max_queue_seconds: float = 10.0,
    ) -> None:
        super().__init__(
            chunk_ms=chunk_ms, stall_timeout=stall_timeout, max_queue_seconds=max_queue_seconds
        )
        self.device_spec = device
        self.preferred_rate = rate
        self.rate = rate
        self.device: DeviceInfo | None = None
        self.started_at = 0.0  # time.monotonic() when the stream started

    def open(self) -> MicrophoneSource:
        """Open and start the stream; AudioError (one line) when that is impossible."""
        sd = sounddevice_module()
        self.device = find_device(self.device_spec, "input")
        self.rate = choose_rate(sd, self.device, self.preferred_rate, 1)
        self._reset()
        try:
            self._stream = sd.InputStream(
                device=self.device.index,
                samplerate=self.rate,
                channels=1,
                dtype="int16",
                blocksize=self.rate * self.chunk_ms // 1000,
                callback=self._on_audio,
                finished_callback=self._on_finished,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError carries the reason text
            self._stream = None
            raise AudioError(
                f"cannot open the microphone {self.device.name!r}: {exc}; "
                "check it is connected and not used by another program"
            ) from exc
        self.started_at = time.monotonic()
        log.info("listening on %s at %d Hz", self.device.name, self.rate)
        return self

    def _device_name(self) -> str:
        return self.device.name if self.device else "the microphone"

    def _on_audio(self, indata: np.ndarray[Any, Any], frames: int, when: Any, status: Any) -> None:
        self._queue_item(indata.copy(), status.input_overflow)

    def read(self, timeout: float | None = None) -> AudioChunk:
        """The next chunk; DeviceLost if the device fails or stays silent too long."""
        data = self._next(timeout, "the microphone is not open")
        chunk = AudioChunk(data, self.rate, self._frames / self.rate)
        self._frames += len(data)
        return chunk

    def __iter__(self) -> Iterator[AudioChunk]:
        return self._items(self.read)


class WavSource:
    """A WAV file as a stream of chunks, optionally paced in real time."""

    def __init__(self, path: Path | str, *, chunk_ms: int = CHUNK_MS, realtime: bool = False):
        self.path = Path(path)
        self.audio = read_wav(self.path)
        self.rate = self.audio.rate
        self.chunk_ms = chunk_ms
        self.realtime = realtime
        self._closed = False

    def __iter__(self) -> Iterator[AudioChunk]:
        start = time.monotonic()
        for chunk in split(self.audio, self.chunk_ms):
            if self._closed:
                return
            if self.realtime:
                delay = start + chunk.timestamp - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield chunk

    def close(self) -> None:
        """Stop yielding chunks."""
        self._closed = True
