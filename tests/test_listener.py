"""The own-voice guard: what the listener passes on while the coach speaks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from voicecoach.audio import AudioChunk
from voicecoach.commands import Command
from voicecoach.listener import Listener
from voicecoach.recognizer import Recognition
from voicecoach.speaker import RecordingSpeaker
from voicecoach.vad import Utterance


@dataclass
class ScriptedRecognizer:
    """Answers each utterance with the next scripted result."""

    results: list[Recognition]
    sample_rate: int = 16000
    engine: str = "scripted"

    def recognize(self, samples: np.ndarray) -> Recognition:  # type: ignore[type-arg]
        return self.results.pop(0)


@dataclass
class OneUtterancePerChunk:
    """A segmenter that closes one utterance at the end of every chunk."""

    def feed(self, chunk: AudioChunk) -> list[Utterance]:
        end = chunk.timestamp + chunk.duration
        return [Utterance(chunk.samples.reshape(-1), chunk.timestamp, end)]


@dataclass
class SpeakingSpeaker(RecordingSpeaker):
    speaking: list[bool] = field(default_factory=list)

    def is_speaking(self) -> bool:
        return self.speaking.pop(0)


def chunk(at: float) -> AudioChunk:
    return AudioChunk(np.zeros((480, 1), dtype=np.int16), 16000, at)


def run(results: list[Recognition], speaking: list[bool]) -> tuple[list[Command], list[str]]:
    posted: list[Command] = []
    listener = Listener(
        ScriptedRecognizer(results),
        SpeakingSpeaker(speaking=speaking),
        posted.append,
        segmenter=OneUtterancePerChunk(),  # type: ignore[arg-type]
    )
    ignored = [d.ignored for i in range(len(speaking)) for d in listener.feed(chunk(i * 0.03))]
    return posted, ignored


def test_commands_pass_when_the_coach_is_quiet() -> None:
    posted, ignored = run([Recognition("next", "next", {}, 0.5)], [False])
    assert posted == [Command("next")] and ignored == [""]


def test_ordinary_commands_are_dropped_while_the_coach_speaks() -> None:
    posted, ignored = run([Recognition("next", "next", {}, 0.99)], [True])
    assert posted == [] and ignored == ["the coach was speaking"]


def test_barge_in_needs_a_sure_hearing_over_the_coach() -> None:
    results = [Recognition("pause", "pause", {}, 0.5), Recognition("stop", "stop", {}, 0.97)]
    posted, ignored = run(results, [True, True])
    assert posted == [Command("stop")]
    assert ignored[0].startswith("not sure enough over the coach's voice")


def test_a_command_the_session_waits_for_passes_a_lower_bar() -> None:
    posted: list[Command] = []
    results = [
        Recognition("resume", None, {}, 0.3),  # rejected by the engine, but expected
        Recognition("next", None, {}, 0.3),  # rejected and not expected: stays rejected
        Recognition("resume", None, {}, 0.1),  # too unsure even for an expected command
    ]
    listener = Listener(
        ScriptedRecognizer(results),
        SpeakingSpeaker(speaking=[False, False, False]),
        posted.append,
        segmenter=OneUtterancePerChunk(),  # type: ignore[arg-type]
        expected=lambda: frozenset({"resume"}),
        match=lambda text: Command(text),
    )
    for i in range(3):
        listener.feed(chunk(i * 0.03))
    assert posted == [Command("resume")]
