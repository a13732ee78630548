"""The coach's voice: pyttsx3 renders each sentence, sounddevice plays it.

pyttsx3 must be driven from the thread that created its engine, so one worker
thread owns the engine and a queue of sentences. pyttsx3's own playback on
Linux (espeak driver, pyttsx3 2.99) shells out to ``aplay`` from inside the
synthesis callback, where ``engine.stop()`` cannot reach it, and ``aplay`` is
often not installed. So the engine only renders (``save_to_file``, about 10 ms
a sentence) and the audio is played here through a PortAudio stream, which an
interruption aborts within one audio block.
"""

from __future__ import annotations

import logging
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.playback import Player, SoundDevicePlayer
from voicecoach.audio.wav import read_wav
from voicecoach.errors import AudioError
from voicecoach.settings import DEFAULTS
from voicecoach.voice.speaker import clamp_rate

log = logging.getLogger(__name__)

ESPEAK_LIBRARY_PACKAGE = "libespeak-ng1"
SpeechStart = Callable[[str, float], None]
RENDER_TIMEOUT = 10.0  # seconds for the engine to render one sentence
FILE_SETTLE = 2.0  # seconds to wait for a rendered file to be complete
STABLE_SECONDS = 0.03  # a file that has not grown for this long is taken as complete
EMPTY_RATE = 22050  # the rate of the empty chunk that stands for a missing file
RENDER_ATTEMPTS = 3  # renderings of one sentence before giving up on it
_active_lock = threading.Lock()


def _silence_driver_prints() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." for every file; not to our terminal."""
    module = sys.modules.get("pyttsx3.drivers.espeak")
    if module is not None:
        module.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]


def _voice_took(engine: Any, wanted: str) -> bool:
    """espeak-ng may keep its old voice for an unknown name without saying so: check."""
    asked = wanted.strip().lower()
    current = str(engine.getProperty("voice") or "").lower()
    return current == asked or current.endswith("/" + asked)


def _default_engine(driver: str | None) -> Any:
    # Lazy: pyttsx3 loads the espeak-ng library on import; typed and demo runs never speak.
    import pyttsx3

    return pyttsx3.init(driver)


class Pyttsx3Speaker:
    """A :class:`voicecoach.voice.speaker.Speaker` that speaks out loud.

    ``say`` returns at once; sentences are spoken in order. ``interrupt`` cuts
    the current sentence off and drops the queue. ``is_speaking`` stays true
    while a sentence is pending or playing and for ``tail`` seconds after, so a
    listener can ignore the coach's own voice (and its echo in the room).
    ``on_speech_start(text, t)`` is called (on the speaker's thread) when a
    sentence's sound starts, ``t`` in ``time.monotonic()`` seconds.

    espeak-ng's library is one per process, so only one of these runs at a time.
    """

    _active = False

    def __init__(
        self,
        *,
        rate_wpm: int | None = None,
        voice: str | None = None,
        volume: float = 1.0,
        device: str | int | None = None,
        tail: float = 0.4,
        on_speech_start: SpeechStart | None = None,
        player: Player | None = None,
        driver: str | None = None,
        engine_factory: Callable[[str | None], Any] = _default_engine,
        startup_timeout: float = 10.0,
    ) -> None:
        with _active_lock:
            if Pyttsx3Speaker._active:
                raise RuntimeError("only one Pyttsx3Speaker may run at a time (one engine)")
            Pyttsx3Speaker._active = True
        self.tail = tail
        self.on_speech_start = on_speech_start
        self._player = player if player is not None else SoundDevicePlayer(device)
        self._voice = voice
        self._volume = volume
        self._base_rate = rate_wpm or DEFAULTS.speech_rate  # words per minute
        self._factor = 1.0
        self._queue: queue.Queue[tuple[int, str] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._busy = False
        self._last_end = -1e9
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._rendered = threading.Event()  # the engine finished writing a sentence's file
        self._notifies = False  # whether the engine says so (pyttsx3 engines do)
        self._renders = 0
        self._closed = False
        self._tmp = tempfile.TemporaryDirectory(prefix="voicecoach-tts-")
        self._thread = threading.Thread(
            target=self._run, args=(engine_factory, driver), name="pyttsx3-speaker", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(startup_timeout):
            self._release()
            raise AudioError(f"the speech engine did not start within {startup_timeout:g} s")
        if self._error is not None:
            self._release()
            self._tmp.cleanup()
            raise self._error

    # -- the Speaker protocol ------------------------------------------------

    def say(self, text: str) -> None:
        """Queue ``text``; returns at once."""
        if text.strip():
            with self._lock:
                self._queue.put((self._generation, text))

    def prepare(self, texts: Iterable[str]) -> None:
        """Nothing to do: espeak-ng starts a sentence in some 50 ms."""

    def interrupt(self) -> None:
        """Stop the sentence being spoken now and forget the queued ones."""
        with self._lock:
            self._generation += 1
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break

    def set_rate(self, factor: float) -> None:
        """Speak ``factor`` times the configured rate from the next sentence on."""
        self._factor = clamp_rate(factor)

    def is_speaking(self) -> bool:
        """True while speech is pending or playing, and for ``tail`` seconds after."""
        return (
            self._busy or not self._queue.empty() or time.monotonic() < self._last_end + self.tail
        )

    def close(self) -> None:
        """Let the queued speech finish, then stop the engine thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=60)
        self._player.close()
        self._tmp.cleanup()
        self._release()

    @staticmethod
    def _release() -> None:
        with _active_lock:
            Pyttsx3Speaker._active = False

    # -- the engine thread ---------------------------------------------------

    def _run(self, factory: Callable[[str | None], Any], driver: str | None) -> None:
        try:
            engine = factory(driver)
            _silence_driver_prints()
            self._notifies = type(engine).__module__.startswith("pyttsx3")
            if self._notifies:
                engine.connect("finished-utterance", lambda **_: self._rendered.set())
            self._apply_settings(engine, voice=True)
        except AudioError as exc:
            self._error = exc
            self._ready.set()
            return
        except (RuntimeError, OSError, ImportError, ValueError, KeyError) as exc:
            self._error = AudioError(
                f"the speech engine cannot start ({exc}); on Debian/Ubuntu install "
                f"`sudo apt-get install {ESPEAK_LIBRARY_PACKAGE} espeak-ng-data`"
            )
            self._error.__cause__ = exc
            self._ready.set()
            return
        self._ready.set()
        while (item := self._queue.get()) is not None:
            generation, text = item
            if generation != self._generation:
                continue
            self._busy = True
            try:
                self._speak(engine, generation, text)
            except AudioError as exc:
                log.warning("could not speak %r: %s", text, exc)
            finally:
                self._last_end = time.monotonic()
                self._busy = False
        try:
            engine.stop()
        except Exception as exc:  # the engine is going away either way
            log.debug("stopping the speech engine: %s", exc)

    def _apply_settings(self, engine: Any, *, voice: bool = False) -> None:
        if voice and self._voice:
            try:
                engine.setProperty("voice", self._voice)
                # Properties are queued until the engine runs; a short render applies them.
                # (runAndWait with nothing to say can hang the espeak driver.)
                self._render(engine, "ok")
                took = _voice_took(engine, self._voice)
            except ValueError:
                took = False
            if not took:
                raise AudioError(
                    f"unknown voice {self._voice!r}; `espeak-ng --voices` lists them "
                    "(use the File column, e.g. gmw/en-us, optionally with +f3 for a variant)"
                )
        # Set before every sentence, not only after a change: cheap, and no flag shared
        # between threads that could lose a change (CI once rendered a sentence after
        # set_rate(2.0) at the old rate).
        engine.setProperty("volume", self._volume)
        engine.setProperty("rate", round(self._base_rate * self._factor))

    def _render(self, engine: Any, text: str) -> AudioChunk:
        """Render ``text`` to audio, trying again when the engine hands back an empty file.

        Under load pyttsx3 2.99's espeak driver has been seen (in CI, not reproducibly)
        to finish a sentence with no samples in its file; a second rendering is whole.
        """
        for attempt in range(1, RENDER_ATTEMPTS + 1):
            audio = self._render_once(engine, text)
            if audio.samples.size:
                return audio
            log.debug("rendering %r gave no audio (attempt %d)", text, attempt)
        raise AudioError(f"the speech engine gave no audio for {text!r}")

    def _render_once(self, engine: Any, text: str) -> AudioChunk:
        self._renders += 1
        # A new file each time: a late write from an earlier sentence can never be played.
        path = Path(self._tmp.name) / f"sentence-{self._renders}.wav"
        self._rendered.clear()
        engine.save_to_file(text, str(path))
        engine.runAndWait()
        # pyttsx3 2.99's espeak driver runs espeak-ng asynchronously: runAndWait can return
        # before the file is written (under load, or for the first sentence). Its
        # finished-utterance notice comes once the file is complete.
        if self._notifies and not self._rendered.wait(RENDER_TIMEOUT):
            raise AudioError(f"the speech engine did not render {text!r} in {RENDER_TIMEOUT:g} s")
        # Even after that notice the file may still be being written (its header is kept
        # valid after every write): wait until it holds audio and stops growing.
        settle = time.monotonic() + FILE_SETTLE
        last = -1
        while True:
            size = path.stat().st_size if path.exists() else 0
            if size == last and size > 44:
                break
            if time.monotonic() > settle:
                break
            last = size
            time.sleep(STABLE_SECONDS)
        if not path.exists():
            return AudioChunk(np.zeros((0, 1), dtype=np.int16), EMPTY_RATE)
        try:
            return read_wav(path)
        finally:
            path.unlink(missing_ok=True)

    def _speak(self, engine: Any, generation: int, text: str) -> None:
        self._apply_settings(engine)
        audio = self._render(engine, text)

        def started(at: float) -> None:
            if self.on_speech_start is not None:
                self.on_speech_start(text, at)

        self._player.play(audio, lambda: generation != self._generation, started)
