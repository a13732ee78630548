"""The Speaker interface and the speakers that need no sound card."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

# How much faster or slower than the configured rate the coach may speak ("slower",
# "faster"): beyond these, espeak-ng is hard to follow or drags.
RATE_BOUNDS = (0.75, 1.3)


def clamp_rate(factor: float) -> float:
    """A speech-rate factor kept within :data:`RATE_BOUNDS`."""
    low, high = RATE_BOUNDS
    return min(high, max(low, factor))


# Transcript lines come from several threads (coordinator, listener): one write each.
PRINT_LOCK = threading.Lock()


def print_line(text: str, out: TextIO) -> None:
    """Write one whole line without another thread's output landing inside it."""
    with PRINT_LOCK:
        out.write(text + "\n")
        out.flush()


class Speaker(Protocol):
    """Says cue texts. Implementations queue speech and return at once."""

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken after whatever is queued already."""
        ...

    def prepare(self, texts: Iterable[str]) -> None:
        """Get ready to say ``texts`` later (a voice that renders slowly renders them
        while it is quiet); says nothing. Returns at once."""
        ...

    def interrupt(self) -> None:
        """Cut off the sentence being spoken and drop the queue."""
        ...

    def set_rate(self, factor: float) -> None:
        """Scale the speech rate (1.0 is the configured rate)."""
        ...

    def is_speaking(self) -> bool:
        """True while speech is coming out (used to ignore the coach's own voice)."""
        ...

    def close(self) -> None:
        """Finish and release the audio device."""
        ...


@dataclass
class RecordingSpeaker:
    """Keeps every cue in order; the fake used by tests."""

    said: list[str] = field(default_factory=list)
    prepared: list[str] = field(default_factory=list)
    interrupts: int = 0
    rate: float = 1.0

    def say(self, text: str) -> None:
        self.said.append(text)

    def prepare(self, texts: Iterable[str]) -> None:
        self.prepared.extend(texts)

    def interrupt(self) -> None:
        self.interrupts += 1

    def set_rate(self, factor: float) -> None:
        self.rate = factor

    def is_speaking(self) -> bool:
        return False

    def close(self) -> None:
        pass


class PrintSpeaker:
    """Prints cues with a timestamp from ``stamp`` (typed mode and demo transcripts)."""

    def __init__(self, stamp: Callable[[], str], out: TextIO | None = None) -> None:
        self._stamp = stamp
        self._out = out or sys.stdout
        self.rate = 1.0

    def say(self, text: str) -> None:
        print_line(f"[{self._stamp()}] coach: {text}", self._out)

    def prepare(self, texts: Iterable[str]) -> None:
        pass

    def interrupt(self) -> None:
        pass

    def set_rate(self, factor: float) -> None:
        self.rate = factor

    def is_speaking(self) -> bool:
        return False

    def close(self) -> None:
        pass


class TeeSpeaker:
    """Sends every call to several speakers (e.g. pyttsx3 and the transcript)."""

    def __init__(self, *speakers: Speaker) -> None:
        self.speakers = speakers

    def say(self, text: str) -> None:
        for s in self.speakers:
            s.say(text)

    def prepare(self, texts: Iterable[str]) -> None:
        listed = list(texts)
        for s in self.speakers:
            s.prepare(listed)

    def interrupt(self) -> None:
        for s in self.speakers:
            s.interrupt()

    def set_rate(self, factor: float) -> None:
        for s in self.speakers:
            s.set_rate(factor)

    def is_speaking(self) -> bool:
        return any(s.is_speaking() for s in self.speakers)

    def close(self) -> None:
        for s in self.speakers:
            s.close()
