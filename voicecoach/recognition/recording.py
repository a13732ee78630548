"""A recording heard the way the microphone is heard: its chunks through the live Listener.

``voicecoach recognize`` and the benchmarks judge a recording with the same segmenter,
decoding, intent matching and own-voice guard as the live coach, so a figure measured
on files holds for the microphone. The stream is flushed at its end, in case the last
utterance is still open there.

By default each utterance is decided whole at its endpoint, as recordings always were.
The live listener's early decisions (``early=EARLY_DECISION``) act on an accepted
command before the endpoint: where speech goes on after such a pause they act on the
half before it, and their extra decodes (of utterances that then grew) change the
cepstral mean PocketSphinx carries from one utterance to the next, so later utterances
can decode differently. Figures with them differ; they are measured on request
(``benchmarks/recognition.py --early``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from typing import ParamSpec, TypeVar

from voicecoach.audio.chunk import AudioChunk
from voicecoach.recognition.listener import Decision, Listener
from voicecoach.recognition.recognizer import Recognizer
from voicecoach.voice.speaker import RecordingSpeaker, Speaker

P = ParamSpec("P")
T = TypeVar("T")


class Inline(Executor):
    """Runs each job at once on the calling thread.

    A recording has no stream to keep up with, so the listener's early decodes need not
    run beside the segmenter: the results are the same, and each decode is timed alone.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to whoever asks for the result, as a pool would
            future.set_exception(exc)
        return future


def hear(
    recognizer: Recognizer,
    chunks: Iterable[AudioChunk],
    speaker: Speaker | None = None,
    *,
    early: float | None = None,
    coach_words: Sequence[str] | None = None,
) -> list[Decision]:
    """Every decision the live listener makes on ``chunks``, the end of the stream included.

    ``speaker`` is the coach as the listener sees it; by default one that never speaks.
    ``early`` is the listener's early decision (None: each utterance at its endpoint).
    ``coach_words``: what the coach is saying meanwhile (its own-voice guard's second line).
    """
    said = list(coach_words) if coach_words is not None else None
    listener = Listener(
        recognizer,
        speaker or RecordingSpeaker(),
        lambda command: None,
        early=early,
        executor=Inline(),
        coach_words=(lambda: said) if said is not None else None,
    )
    decisions = [decision for chunk in chunks for decision in listener.feed(chunk)]
    decisions += listener.flush()
    listener.close()
    return decisions


def best_of(decisions: Sequence[Decision]) -> Decision | None:
    """The most confident command acted on, else the most confident hearing (None: none).

    A recording is reported as one result, as if it held one command.
    """
    acted = [d for d in decisions if d.command is not None and not d.ignored]
    pool = acted or decisions
    return max(pool, key=lambda d: d.confidence) if pool else None
