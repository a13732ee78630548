"""The duplex stream: what was played beside what was heard, on one clock; the coach's
voice plays through it and is cut off when cancelled."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fakesd import FakeDuplex

from voicecoach.audio import devices, duplex
from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk
from voicecoach.audio.duplex import DuplexAudio
from voicecoach.audio.mic import DeviceLost
from voicecoach.errors import AudioError


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDuplex:
    sd = FakeDuplex()
    monkeypatch.setattr(devices, "sounddevice_module", lambda: sd)
    monkeypatch.setattr(duplex, "sounddevice_module", lambda: sd)
    return sd


def sentence(seconds: float, rate: int = SPEECH_RATE) -> AudioChunk:
    n = round(seconds * rate)
    samples = (3000 * np.cos(np.arange(n) * 2 * np.pi * 440 / rate)).astype(np.int16)
    return AudioChunk(samples.reshape(-1, 1), rate)


def play_in_background(
    audio: DuplexAudio, said: AudioChunk, cancel: threading.Event
) -> dict[str, object]:
    result: dict[str, object] = {}

    def started(at: float) -> None:
        result.setdefault("started", at)

    def run() -> None:
        result["whole"] = audio.play(said, cancel.is_set, started)

    thread = threading.Thread(target=run)
    thread.start()
    result["thread"] = thread
    return result


def test_what_is_played_comes_beside_what_is_heard_and_its_echo_follows(fake: FakeDuplex) -> None:
    audio = DuplexAudio(chunk_ms=10).open()
    assert audio.rate == SPEECH_RATE  # both devices take the recognizers' rate
    said = sentence(0.3)
    result = play_in_background(audio, said, threading.Event())
    pairs = [audio.read() for _ in range(60)]
    result["thread"].join(5)  # type: ignore[attr-defined]
    audio.close()
    assert result["whole"] is True and "started" in result
    played = np.concatenate([p.samples[:, 0] for _, p in pairs])
    heard = np.concatenate([h.samples[:, 0] for h, _ in pairs])
    begin = int(np.flatnonzero(played)[0])
    assert np.array_equal(played[begin : begin + len(said.samples)], said.samples[:, 0])
    block = SPEECH_RATE // 100
    echo_at = begin + fake.echo_blocks * block  # the fake room returns it three blocks later
    expected = (said.samples[:, 0].astype(np.float64) * fake.echo_gain).astype(np.int16)
    assert np.array_equal(heard[echo_at : echo_at + len(expected)], expected)
    assert [h.timestamp for h, _ in pairs] == [p.timestamp for _, p in pairs]
    assert pairs[1][0].timestamp == pytest.approx(0.01)


def test_a_cancelled_sentence_stops_at_the_next_block(fake: FakeDuplex) -> None:
    audio = DuplexAudio(chunk_ms=10).open()
    cancel = threading.Event()
    result = play_in_background(audio, sentence(5.0), cancel)
    pairs = [audio.read() for _ in range(20)]
    cancel.set()
    result["thread"].join(5)  # type: ignore[attr-defined]
    after = [audio.read() for _ in range(10)][3:]  # blocks already queued may still carry it
    audio.close()
    assert result["whole"] is False
    assert any(p.samples.any() for _, p in pairs)
    assert not any(p.samples.any() for _, p in after)


def test_devices_that_refuse_the_speech_rate_run_at_the_speaker_s_own(fake: FakeDuplex) -> None:
    fake.rates_refused = {SPEECH_RATE}
    audio = DuplexAudio().open()
    heard, played = audio.read()
    audio.close()
    assert audio.rate == 48000 and heard.rate == played.rate == 48000


def test_a_stream_that_stops_delivering_is_a_lost_device(fake: FakeDuplex) -> None:
    fake.blocks_before_failure = 2
    audio = DuplexAudio(stall_timeout=0.2).open()
    audio.read()
    audio.read()
    with pytest.raises(DeviceLost, match="microphone"):
        audio.read()
    audio.close()


def test_playing_on_a_closed_stream_is_an_audio_error(fake: FakeDuplex) -> None:
    audio = DuplexAudio()
    with pytest.raises(AudioError, match="not open"):
        audio.play(sentence(0.1), lambda: False, lambda t: None)


def test_devices_that_will_not_open_are_one_line(fake: FakeDuplex) -> None:
    fake.fail_open = True
    with pytest.raises(AudioError) as error:
        DuplexAudio().open()
    assert "cannot open the microphone 'microphone' and the speaker 'speakers'" in str(error.value)
    assert "\n" not in str(error.value)
