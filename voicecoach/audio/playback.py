"""Playing rendered speech on a sound device, cut off within one audio block when asked."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from voicecoach.audio.chunk import AudioChunk, convert
from voicecoach.audio.devices import DeviceInfo, find_device, sounddevice_module
from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

Cancelled = Callable[[], bool]
Started = Callable[[float], None]
BLOCK_SECONDS = 0.02
# 0.1 s: "high" adds seconds of drain time through PulseAudio, "low" (a few ms) underruns
# and stops early through the ALSA pulse plugin; speech needs neither extreme.
OUTPUT_LATENCY = 0.1


class Player(Protocol):
    """Plays one sentence, blocking until it ends or ``cancelled()`` turns true."""

    def play(self, audio: AudioChunk, cancelled: Cancelled, started: Started) -> bool:
        """Play ``audio``; call ``started(monotonic_time)`` when sound starts.

        Returns True if it played to the end, False if it was cut off.
        """
        ...

    def close(self) -> None:
        """Release the device."""
        ...


class SoundDevicePlayer:
    """Plays through a PortAudio output stream opened per sentence."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device_spec = device
        self._device: DeviceInfo | None = None
        find_device(device, "output")  # fail now, with one line, if there is no output

    def _rate_for(self, sd: Any, device: DeviceInfo, rate: int) -> int:
        try:
            sd.check_output_settings(
                device=device.index, samplerate=rate, channels=1, dtype="int16"
            )
            return rate
        except Exception:  # the device wants its own rate
            return int(device.default_rate)

    def play(self, audio: AudioChunk, cancelled: Cancelled, started: Started) -> bool:
        sd = sounddevice_module()
        if self._device is None:
            self._device = find_device(self.device_spec, "output")
        rate = self._rate_for(sd, self._device, audio.rate)
        data = convert(audio.samples, audio.rate, rate).reshape(-1, 1)
        if len(data) == 0:
            return True
        position = 0
        first_sound: list[float] = []
        done = threading.Event()

        def callback(outdata: np.ndarray[Any, Any], frames: int, when: Any, status: Any) -> None:
            nonlocal position
            if cancelled():
                outdata.fill(0)
                raise sd.CallbackAbort
            n = min(frames, len(data) - position)
            outdata[:n] = data[position : position + n]
            outdata[n:] = 0
            if not first_sound:
                ahead = when.outputBufferDacTime - when.currentTime
                first_sound.append(time.monotonic() + (ahead if 0 < ahead < 1 else 0.0))
            position += n
            if position >= len(data):
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(
                device=self._device.index,
                samplerate=rate,
                channels=1,
                dtype="int16",
                blocksize=int(rate * BLOCK_SECONDS),
                latency=OUTPUT_LATENCY,
                callback=callback,
                finished_callback=done.set,
            )
            stream.start()
        except Exception as exc:  # PortAudioError: device gone or busy
            self._device = None  # look it up again next time
            raise AudioError(f"cannot play speech: {exc}") from exc
        reported = False
        try:
            while not done.wait(0.005):
                if first_sound and not reported:
                    started(first_sound[0])
                    reported = True
                if cancelled():
                    stream.abort()
                    break
        finally:
            stream.close()
        if first_sound and not reported:
            started(first_sound[0])
        return not cancelled() and position >= len(data)

    def close(self) -> None:
        pass
