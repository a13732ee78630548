"""What the microphone's stream and the duplex stream share: a PortAudio callback that only
queues copies, a reading thread that takes them, and a stall or failure told as
:class:`DeviceLost`.

:class:`CallbackStream` keeps the queue, counts what it had to drop, and closes the
PortAudio stream; a subclass opens the stream (its ``open`` calls :meth:`_reset` first and
sets ``_stream``), queues an item per callback with :meth:`_queue_item` and reads them with
:meth:`_next`.
"""

from __future__ import annotations

import logging
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

Item = TypeVar("Item")  # what the callback queues
Read = TypeVar("Read")  # what the reading side makes of it


class DeviceLost(AudioError):
    """The microphone stopped delivering audio (unplugged, or its server went away)."""


class CallbackStream(ABC, Generic[Item]):
    """A sound stream whose callback queues items for a reading thread.

    Reading raises :class:`DeviceLost` when the stream reports an error or nothing arrives
    for ``stall_timeout`` seconds; close it and ``open`` it again (e.g. every second) until
    the device is back.
    """

    def __init__(self, *, chunk_ms: int, stall_timeout: float, max_queue_seconds: float) -> None:
        self.chunk_ms = chunk_ms
        self.stall_timeout = stall_timeout
        self.dropped_chunks = 0
        self._max_chunks = max(1, int(max_queue_seconds * 1000 / chunk_ms))
        self._queue: queue.Queue[Item] = queue.Queue(self._max_chunks)
        self._stream: Any = None
        self._frames = 0  # frames read so far: the next item's timestamp
        self._failure: str | None = None
        self._closing = threading.Event()

    @abstractmethod
    def open(self) -> Self:
        """Open and start the stream (after :meth:`_reset`); AudioError when impossible."""

    def _reset(self) -> None:
        """Before a stream is opened: nothing queued, nothing read, nothing failed."""
        self._queue = queue.Queue(self._max_chunks)
        self._frames = 0
        self._failure = None
        self._closing.clear()

    @abstractmethod
    def _device_name(self) -> str:
        """The microphone's name, for :class:`DeviceLost`."""

    def _queue_item(self, item: Item, overflow: bool) -> None:
        """From the callback: queue ``item`` (a full queue drops it, and counts it)."""
        if overflow:
            self.dropped_chunks += 1
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped_chunks += 1

    def _on_finished(self) -> None:
        if not self._closing.is_set():
            self._failure = "the audio stream stopped"

    def _next(self, timeout: float | None, closed: str) -> Item:
        """The next item queued; AudioError ``closed`` when the stream is not open, and
        DeviceLost when it failed or stayed silent too long."""
        if self._stream is None and self._queue.empty():
            raise AudioError(closed)
        wait = self.stall_timeout if timeout is None else timeout
        try:
            return self._queue.get(timeout=wait)
        except queue.Empty:
            reason = self._failure or f"no audio for {wait:g} s"
            raise DeviceLost(f"lost the microphone {self._device_name()!r} ({reason})") from None

    def _items(self, read: Callable[[], Read]) -> Iterator[Read]:
        """``read()`` again and again until closed (opening first if need be)."""
        if self._stream is None:
            self.open()
        while not self._closing.is_set():
            try:
                item = read()
            except DeviceLost:
                if self._closing.is_set():
                    return  # closed from another thread while waiting
                raise
            yield item

    def close(self) -> None:
        """Stop the stream; safe to call twice or after a failure."""
        self._closing.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:  # a lost device may refuse even this
                log.debug("closing the %s stream failed: %s", type(self).__name__, exc)

    def __enter__(self) -> Self:
        return self.open() if self._stream is None else self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
