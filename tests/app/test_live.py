"""The live listener thread: a microphone that goes away pauses, and its return resumes."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from voicecoach.app.live import DEVICE_BACK, DEVICE_LOST, listen
from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.mic import DeviceLost
from voicecoach.commands.names import Command


class FlakyMic:
    """Gives one chunk, then is lost; the first reopen fails, the second works."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.opens = 0
        self.closes = 0

    def open(self) -> FlakyMic:
        self.opens += 1
        if self.opens == 1:
            raise DeviceLost("the microphone is still away")
        return self

    def __iter__(self) -> Iterator[AudioChunk]:
        yield AudioChunk(np.zeros((480, 1), dtype=np.int16), 16000, 0.0)
        if self.opens == 0:
            raise DeviceLost("the microphone stopped sending audio")
        self.stop.set()  # back and working: end the test

    def close(self) -> None:
        self.closes += 1


class Posts:
    def __init__(self) -> None:
        self.commands: list[Command] = []

    def post(self, command: Command) -> None:
        self.commands.append(command)


class CountingListener:
    def __init__(self) -> None:
        self.chunks = 0

    def feed(self, chunk: AudioChunk) -> list[object]:
        self.chunks += 1
        return []


def test_a_lost_microphone_pauses_then_resumes_when_it_is_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = threading.Event()
    mic, coach, listener = FlakyMic(stop), Posts(), CountingListener()
    thread = threading.Thread(target=listen, args=(mic, listener, coach, stop))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert coach.commands == [DEVICE_LOST, DEVICE_BACK]
    assert mic.opens == 2 and listener.chunks == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "voicecoach: the microphone stopped sending audio; pausing until it is back.",
        "voicecoach: the microphone is back; carrying on.",
    ]
