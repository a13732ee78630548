"""A stand-in for the sounddevice module: fixed devices and a stream fed by a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np


class PortAudioError(Exception):
    pass


class CallbackStop(Exception):
    pass


class CallbackAbort(Exception):
    pass


def device(index: int, name: str, ins: int, outs: int, rate: float = 48000.0) -> dict[str, Any]:
    return {
        "index": index,
        "name": name,
        "hostapi": 0,
        "max_input_channels": ins,
        "max_output_channels": outs,
        "default_samplerate": rate,
    }


class FakeInputStream:
    """Calls the callback with blocks of a test signal from a thread, like PortAudio."""

    def __init__(self, owner: FakeSoundDevice, **kwargs: Any) -> None:
        self.owner = owner
        self.kwargs = kwargs
        self.callback: Callable[..., None] = kwargs["callback"]
        self.finished: Callable[[], None] | None = kwargs.get("finished_callback")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        owner.streams.append(self)

    def _run(self) -> None:
        block = int(self.kwargs["blocksize"])
        rate = float(self.kwargs["samplerate"])
        sent = 0
        status = SimpleNamespace(input_overflow=False)
        while not self._stop.is_set():
            if (
                self.owner.blocks_before_failure is not None
                and sent >= self.owner.blocks_before_failure
            ):
                if self.owner.finish_on_failure and self.finished is not None:
                    self.finished()
                return  # the device went quiet
            data = (np.arange(sent * block, (sent + 1) * block) % 100).astype(np.int16)
            self.callback(data.reshape(-1, 1), block, None, status)
            sent += 1
            time.sleep(block / rate / 4)  # faster than real time keeps the test short

    def start(self) -> None:
        if self.owner.fail_open:
            raise PortAudioError("Device unavailable [PaErrorCode -9985]")
        self._thread.start()

    def abort(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)


class FakeSoundDevice:
    """Devices and defaults as given; records streams opened."""

    PortAudioError = PortAudioError
    CallbackStop = CallbackStop
    CallbackAbort = CallbackAbort

    def __init__(self, devices: list[dict[str, Any]], default: tuple[int, int] = (-1, -1)):
        self.devices = devices
        self.default = SimpleNamespace(device=list(default))
        self.streams: list[FakeInputStream] = []
        self.rates_refused: set[int] = set()
        self.blocks_before_failure: int | None = None
        self.finish_on_failure = False
        self.fail_open = False
        self.restarts = 0

    def query_devices(self) -> list[dict[str, Any]]:
        return self.devices

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "ALSA"}]

    def check_input_settings(self, *, samplerate: float, **kwargs: Any) -> None:
        if int(samplerate) in self.rates_refused:
            raise PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    def InputStream(self, **kwargs: Any) -> FakeInputStream:
        return FakeInputStream(self, **kwargs)

    def _terminate(self) -> None:
        self.restarts += 1

    def _initialize(self) -> None:
        pass


class FakeOutputStream:
    """Pulls blocks from the callback on a thread, four times as fast as real time; keeps them."""

    def __init__(self, owner: FakeOutput, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.blocks: list[np.ndarray[Any, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        owner.outputs.append(self)

    def _run(self) -> None:
        frames, rate = int(self.kwargs["blocksize"]), float(self.kwargs["samplerate"])
        when = SimpleNamespace(outputBufferDacTime=0.01, currentTime=0.0)
        while not self._stop.is_set():
            out = np.zeros((frames, 1), dtype=np.int16)
            try:
                self.kwargs["callback"](out, frames, when, None)
            except (CallbackStop, CallbackAbort):
                break
            finally:
                self.blocks.append(out)
            time.sleep(frames / rate / 4)
        self.kwargs["finished_callback"]()

    def start(self) -> None:
        self._thread.start()

    def abort(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)


class FakeOutput(FakeSoundDevice):
    """One output device; records the output streams opened."""

    def __init__(self) -> None:
        super().__init__([device(0, "speakers", 0, 2)], default=(-1, 0))
        self.outputs: list[FakeOutputStream] = []

    def check_output_settings(self, **kwargs: Any) -> None:
        pass

    def OutputStream(self, **kwargs: Any) -> FakeOutputStream:
        return FakeOutputStream(self, **kwargs)


class FakeDuplexStream:
    """One callback for input and output, on a thread, four times as fast as real time.

    The input is the room: what was played ``owner.echo_blocks`` blocks before, times
    ``owner.echo_gain``, plus whatever the test put on ``owner.voice`` (blocks of samples).
    """

    def __init__(self, owner: FakeDuplex, **kwargs: Any) -> None:
        self.owner = owner
        self.kwargs = kwargs
        self.latency = (0.02, 0.1)
        self.played: list[np.ndarray[Any, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        owner.duplex.append(self)

    def _run(self) -> None:
        frames, rate = int(self.kwargs["blocksize"]), float(self.kwargs["samplerate"])
        when = SimpleNamespace(outputBufferDacTime=0.01, currentTime=0.0)
        status = SimpleNamespace(input_overflow=False)
        sent = 0
        while not self._stop.is_set():
            if (
                self.owner.blocks_before_failure is not None
                and sent >= self.owner.blocks_before_failure
            ):
                return  # the device went quiet
            back = len(self.played) - self.owner.echo_blocks
            echo = self.played[back] if back >= 0 else np.zeros((frames, 1), np.int16)
            heard = echo.astype(np.float64) * self.owner.echo_gain
            if self.owner.voice:
                heard[:, 0] += self.owner.voice.pop(0)[:frames]
            indata = np.clip(heard, -32768, 32767).astype(np.int16)
            outdata = np.zeros((frames, 1), dtype=np.int16)
            self.kwargs["callback"](indata, outdata, frames, when, status)
            self.played.append(outdata.copy())
            sent += 1
            time.sleep(frames / rate / 4)
        self.kwargs["finished_callback"]()

    def start(self) -> None:
        if self.owner.fail_open:
            raise PortAudioError("Device unavailable [PaErrorCode -9985]")
        self._thread.start()

    def abort(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1)


class FakeDuplex(FakeSoundDevice):
    """A microphone and a speaker (at 48 kHz by default) that open as one duplex stream."""

    def __init__(self, rate: float = 48000.0) -> None:
        super().__init__(
            [device(0, "microphone", 1, 0, rate), device(1, "speakers", 0, 2, rate)],
            default=(0, 1),
        )
        self.duplex: list[FakeDuplexStream] = []
        self.echo_blocks = 3
        self.echo_gain = 0.5
        self.voice: list[np.ndarray[Any, Any]] = []

    def check_output_settings(self, *, samplerate: float, **kwargs: Any) -> None:
        if int(samplerate) in self.rates_refused:
            raise PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    def Stream(self, **kwargs: Any) -> FakeDuplexStream:
        return FakeDuplexStream(self, **kwargs)
