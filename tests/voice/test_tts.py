"""The pyttsx3 speaker: queued, interruptible, and honest about when it speaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from silent_player import SilentPlayer

from voicecoach.errors import AudioError
from voicecoach.sim.room import rms_dbfs
from voicecoach.voice.speaker import Speaker
from voicecoach.voice.tts import Pyttsx3Speaker


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def player() -> SilentPlayer:
    return SilentPlayer(realtime=True)


@pytest.fixture
def starts() -> list[tuple[str, float]]:
    return []


@pytest.fixture
def speaker(player: SilentPlayer, starts: list[tuple[str, float]]) -> Iterator[Pyttsx3Speaker]:
    spk = Pyttsx3Speaker(
        player=player, tail=0.3, on_speech_start=lambda t, at: starts.append((t, at))
    )
    yield spk
    spk.interrupt()
    spk.close()


def test_it_is_a_speaker(speaker: Pyttsx3Speaker) -> None:
    typed: Speaker = speaker
    assert not typed.is_speaking()


def test_say_returns_at_once_and_speaks_in_order(
    speaker: Pyttsx3Speaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    began = time.monotonic()
    speaker.say("Lie on your back.")
    speaker.say("Bend your knees.")
    assert time.monotonic() - began < 0.05
    assert speaker.is_speaking()
    assert wait_until(lambda: not speaker.is_speaking())
    assert [t for t, _ in starts] == ["Lie on your back.", "Bend your knees."]
    assert starts[1][1] - starts[0][1] >= player.played[0].duration * 0.95
    assert all(rms_dbfs(a.samples) > -40 for a in player.played)


def test_is_speaking_covers_the_tail_after_speech(
    speaker: Pyttsx3Speaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    speaker.say("Next.")
    assert wait_until(lambda: bool(starts) and bool(player.played))
    ended = starts[0][1] + player.played[0].duration
    assert wait_until(lambda: time.monotonic() >= ended + 0.05)
    assert speaker.is_speaking()
    assert wait_until(lambda: not speaker.is_speaking())
    assert time.monotonic() - ended >= 0.25


def test_interrupt_cuts_off_and_drops_the_queue(
    speaker: Pyttsx3Speaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    speaker.say("This sentence is long enough to be cut off well before it reaches its end.")
    speaker.say("This one is never heard.")
    assert wait_until(lambda: bool(starts))
    time.sleep(0.2)
    speaker.interrupt()
    assert wait_until(lambda: bool(player.cut_off), timeout=0.5)
    assert wait_until(lambda: not speaker.is_speaking(), timeout=1.0)
    assert len(player.played) == 1
    assert player.cut_off and player.cut_off[0] < player.played[0].duration / 2
    speaker.say("Still works.")
    assert wait_until(lambda: len(starts) == 2)
    assert starts[1][0] == "Still works."


def test_rate_factor_shortens_speech(player: SilentPlayer) -> None:
    quick = SilentPlayer(realtime=False)
    spk = Pyttsx3Speaker(player=quick, rate_wpm=150, tail=0.0)
    try:
        spk.say("Hold it there for five seconds.")
        assert wait_until(lambda: len(quick.played) == 1)
        spk.set_rate(2.0)
        spk.say("Hold it there for five seconds.")
        assert wait_until(lambda: len(quick.played) == 2)
    finally:
        spk.close()
    normal, fast = (a.duration for a in quick.played)
    # 2.0 is past the fastest the coach may speak (voice.speaker.RATE_BOUNDS): 1.3 times.
    assert 0.65 < fast / normal < 0.85


def render(text: str, **options: Any) -> float:
    """Loudness of ``text`` spoken by a speaker with ``options``."""
    quiet = SilentPlayer(realtime=False)
    spk = Pyttsx3Speaker(player=quiet, tail=0.0, **options)
    spk.say(text)
    spk.close()
    return rms_dbfs(quiet.played[0].samples)


def test_volume_is_applied() -> None:
    assert render("Breathe out.", volume=0.2) < render("Breathe out.", volume=1.0) - 6


def test_one_speaker_at_a_time(speaker: Pyttsx3Speaker) -> None:
    with pytest.raises(RuntimeError, match="one Pyttsx3Speaker"):
        Pyttsx3Speaker(player=SilentPlayer())


def test_unknown_voice_is_one_clear_error() -> None:
    with pytest.raises(AudioError, match="unknown voice 'zz-nothing'"):
        Pyttsx3Speaker(player=SilentPlayer(), voice="zz-nothing")
    assert render("ok") > -40  # and the next speaker can start


def test_voice_variants_are_accepted_and_change_the_sound() -> None:
    assert render("Hold it.", voice="en-us+f3") != render("Hold it.", voice="en-us")


def test_close_lets_queued_speech_finish() -> None:
    quick = SilentPlayer(realtime=False)
    spk = Pyttsx3Speaker(player=quick, tail=0.0)
    for word in ("one", "two", "three"):
        spk.say(word)
    spk.close()
    assert len(quick.played) == 3


def test_missing_espeak_library_names_the_package() -> None:
    def broken(driver: str | None) -> Any:
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    with pytest.raises(AudioError, match="apt-get install libespeak-ng1"):
        Pyttsx3Speaker(player=SilentPlayer(), engine_factory=broken)


def test_engine_is_driven_only_from_its_own_thread() -> None:
    threads: set[int] = set()

    class Engine:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def __getattr__(self, name: str) -> Callable[..., Any]:
            def call(*args: Any) -> Any:
                threads.add(threading.get_ident())
                if name == "getProperty":
                    return 200
                if name == "save_to_file":
                    import wave

                    with wave.open(args[1], "wb") as w:
                        w.setnchannels(1)
                        w.setsampwidth(2)
                        w.setframerate(16000)
                        w.writeframes(b"\x10\x00" * 1600)
                return None

            return call

    spk = Pyttsx3Speaker(player=SilentPlayer(realtime=False), engine_factory=lambda d: Engine())
    spk.say("hello")
    spk.set_rate(1.5)
    spk.say("again")
    spk.close()
    assert len(threads) == 1
    assert threading.get_ident() not in threads


class FlakyEngine:
    """Writes an empty WAV for the first ``empty`` renderings, then real audio."""

    def __init__(self, empty: int) -> None:
        self.empty = empty
        self.renders = 0

    def getProperty(self, name: str) -> Any:
        return 200

    def setProperty(self, name: str, value: Any) -> None:
        pass

    def save_to_file(self, text: str, path: str) -> None:
        import wave

        self.renders += 1
        frames = b"" if self.renders <= self.empty else b"\x00\x20" * 1600
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(frames)

    def runAndWait(self) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.mark.parametrize(
    ("empty", "renders", "played"),
    [(1, 2, [1600]), (99, 3, [])],  # recovers on a second try; gives up without playing silence
)
def test_an_empty_rendering_is_rendered_again(empty: int, renders: int, played: list[int]) -> None:
    engine = FlakyEngine(empty=empty)
    quick = SilentPlayer(realtime=False)
    spk = Pyttsx3Speaker(player=quick, engine_factory=lambda d: engine)
    spk.say("Bend your knees.")
    spk.close()
    assert engine.renders == renders
    assert [a.samples.size for a in quick.played] == played
