"""The simulated room: timed voices mixed into one microphone stream."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk
from voicecoach.sim.room import Echo, Room, RoomSpeaker, rms_dbfs


def tone(seconds: float, value: int = 1000) -> np.ndarray:
    return np.full(round(seconds * SPEECH_RATE), value, dtype=np.int16)


def read_all(room: Room, seconds: float, chunk: int = 480) -> np.ndarray:
    parts = []
    while room.time < seconds:
        parts.append(room.read(chunk).samples[:, 0])
    return np.concatenate(parts)


def test_sources_are_heard_at_their_times_and_silence_elsewhere() -> None:
    room = Room()
    room.add(tone(0.1, 500), at=0.2)
    room.add(tone(0.1, -700), at=0.5)
    heard = read_all(room, 1.0)
    assert np.all(heard[: int(0.2 * SPEECH_RATE)] == 0)
    assert np.all(heard[int(0.2 * SPEECH_RATE) : int(0.3 * SPEECH_RATE)] == 500)
    assert np.all(heard[int(0.3 * SPEECH_RATE) : int(0.5 * SPEECH_RATE)] == 0)
    assert np.all(heard[int(0.5 * SPEECH_RATE) : int(0.6 * SPEECH_RATE)] == -700)
    assert np.all(heard[int(0.6 * SPEECH_RATE) :] == 0)


def test_chunks_carry_rate_and_timestamps() -> None:
    room = Room()
    chunks = list(room.chunks(chunk_ms=30, until=0.1))
    assert [round(c.timestamp, 3) for c in chunks] == [0.0, 0.03, 0.06, 0.09]
    assert all(c.rate == SPEECH_RATE and c.samples.shape == (480, 1) for c in chunks)


def test_audio_at_other_rates_is_converted() -> None:
    room = Room()
    stereo = np.full((4410, 2), 8000, dtype=np.int16)  # 0.1 s at 44.1 kHz
    placed = room.add(AudioChunk(stereo, 44100), at=0.0)
    assert abs(len(placed.samples) - 1600) <= 2


def test_overlapping_voices_add_and_clip() -> None:
    room = Room()
    room.add(tone(0.1, 20000), at=0.0)
    room.add(tone(0.1, 20000), at=0.05)
    heard = read_all(room, 0.2)
    assert heard[100] == 20000
    assert heard[int(0.07 * SPEECH_RATE)] == 32767


def test_sound_placed_in_the_past_starts_now() -> None:
    room = Room()
    read_all(room, 0.3)
    placed = room.add(tone(0.1), at=0.1)
    assert placed.start == room.position


def test_on_start_fires_once_when_the_room_reaches_the_sound() -> None:
    room = Room()
    seen: list[float] = []
    room.add(tone(0.2), at=0.25, on_start=seen.append)
    read_all(room, 0.24)
    assert seen == []
    read_all(room, 0.6)
    assert seen == [0.25]


def test_noise_has_the_asked_level_and_is_repeatable() -> None:
    a = read_all(Room(noise_dbfs=-50, seed=3), 1.0)
    b = read_all(Room(noise_dbfs=-50, seed=3), 1.0)
    assert np.array_equal(a, b)
    assert abs(rms_dbfs(a) - -50) < 1.0


def test_save_writes_what_was_heard(tmp_path: Path) -> None:
    room = Room()
    room.add(tone(0.1, 1234), at=0.05)
    heard = read_all(room, 0.3)
    path = room.save(tmp_path / "out" / "room.wav")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SPEECH_RATE, 1, 2)
        saved = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(saved, heard)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3000), st.integers(1, 800), st.integers(-20000, 20000)),
        max_size=5,
    ),
    st.integers(1, 700),
)
def test_mix_equals_clipped_sum_whatever_the_chunking(
    sources: list[tuple[int, int, int]], chunk: int
) -> None:
    room = Room()
    expected = np.zeros(4000, dtype=np.int64)
    for start, length, value in sources:
        room.add(np.full(length, value, dtype=np.int16), at=start / SPEECH_RATE)
        expected[start : start + length] += value
    parts = []
    while room.position < 4000:
        parts.append(room.read(min(chunk, 4000 - room.position)).samples[:, 0])
    heard = np.concatenate(parts)
    assert np.array_equal(heard, np.clip(expected, -32768, 32767))


def fake_synth(text: str, rate_wpm: int) -> AudioChunk:
    seconds = len(text) * 0.05 * 150 / rate_wpm  # 0.05 s a character at the default 150 wpm
    return AudioChunk(tone(seconds, 3000).reshape(-1, 1), SPEECH_RATE)


def make_speaker(room: Room) -> tuple[RoomSpeaker, list[tuple[str, float]]]:
    starts: list[tuple[str, float]] = []
    speaker = RoomSpeaker(
        room, tail=0.4, gap=0.2, on_speech_start=lambda t, s: starts.append((t, s))
    )
    speaker._synthesize = fake_synth  # type: ignore[assignment]
    return speaker, starts


def test_room_speaker_queues_sentences_with_a_gap() -> None:
    room = Room()
    speaker, starts = make_speaker(room)
    speaker.say("ten characters")  # 14 chars -> 0.7 s
    speaker.say("two")  # 0.15 s
    assert speaker.is_speaking()
    read_all(room, 2.0)
    assert [t for t, _ in starts] == ["ten characters", "two"]
    assert starts[0][1] == 0.0
    assert abs(starts[1][1] - 0.9) < 0.01
    assert abs(speaker.speech_end() - 1.05) < 0.01


def test_room_speaker_is_speaking_during_speech_and_tail_only() -> None:
    room = Room()
    speaker, _ = make_speaker(room)
    speaker.say("0123456789")  # 0.5 s
    read_all(room, 0.3)
    assert speaker.is_speaking()
    read_all(room, 0.8)
    assert speaker.is_speaking()  # in the tail
    read_all(room, 0.95)
    assert not speaker.is_speaking()


def test_room_speaker_interrupt_cuts_the_voice_off() -> None:
    room = Room()
    speaker, starts = make_speaker(room)
    speaker.say("a long sentence that goes on")  # 1.4 s
    speaker.say("never heard")
    read_all(room, 0.3)
    speaker.interrupt()
    heard = read_all(room, 2.5)
    assert np.all(heard == 0)
    assert [t for t, _ in starts] == ["a long sentence that goes on"]
    assert not speaker.is_speaking()  # the tail ran from the cut at 0.3 s


def test_room_speaker_tail_runs_from_the_cut() -> None:
    room = Room()
    speaker, _ = make_speaker(room)
    speaker.say("a long sentence that goes on")
    read_all(room, 0.3)
    speaker.interrupt()
    read_all(room, 0.6)
    assert speaker.is_speaking()
    read_all(room, 0.75)
    assert not speaker.is_speaking()


def test_room_speaker_rate_changes_duration() -> None:
    room = Room()
    speaker, _ = make_speaker(room)
    speaker.set_rate(2.0)  # past the fastest the coach speaks: 1.3 times (RATE_BOUNDS)
    speaker.say("0123456789")
    assert abs(speaker.speech_end() - 0.5 / 1.3) < 0.01


def test_room_speaker_with_real_synthesis_is_heard() -> None:
    room = Room()
    speaker = RoomSpeaker(room)
    speaker.say("breathe out")
    heard = read_all(room, speaker.speech_end())
    assert rms_dbfs(heard) > -40


def test_a_played_sound_comes_back_later_through_the_room_and_is_the_reference() -> None:
    echo = Echo(delay=0.05, rt60=0.3, gain_db=-6.0)
    room = Room(SPEECH_RATE, echo=echo)
    sound = (8000 * np.sin(np.arange(SPEECH_RATE // 5) * 0.3)).astype(np.int16)
    room.add(sound, 0.1, played=True)
    mic, played = room.read_both(SPEECH_RATE)
    sent = played.samples[:, 0]
    assert np.array_equal(sent[1600:4800], sound)  # played at once, as sent
    assert not sent[:1600].any() and not sent[4800:].any()
    heard = mic.samples[:, 0].astype(np.int32)
    assert not heard[: 1600 + 800 - 1].any()  # nothing before the room's 50 ms delay
    assert np.abs(heard[2400:5600]).max() > 1000  # then the room's version of it
    assert np.abs(heard[5600 + 1600 :]).max() > 0  # and its tail rings on after the sound
    assert mic.timestamp == played.timestamp == 0.0


def test_cutting_a_played_sound_off_keeps_what_was_played_ringing() -> None:
    room = Room(SPEECH_RATE, echo=Echo(delay=0.02, rt60=0.3))
    sound = (8000 * np.sin(np.arange(SPEECH_RATE) * 0.3)).astype(np.int16)
    placed = room.add(sound, 0.0, played=True)
    room.read_both(SPEECH_RATE // 10)
    placed.cut(room.position)
    mic, played = room.read_both(SPEECH_RATE // 2)
    assert not played.samples.any()  # nothing played after the cut
    heard = np.abs(mic.samples[:, 0].astype(np.int32))
    assert heard[:320].max() > 1000  # the last 20 ms played still arrive
    assert heard[-1600:].max() < 50  # and die away within the room's RT60


def test_without_an_echo_the_coach_is_heard_as_played() -> None:
    room = Room(SPEECH_RATE)
    sound = (8000 * np.sin(np.arange(SPEECH_RATE // 10) * 0.3)).astype(np.int16)
    room.add(sound, 0.0, played=True)
    mic, played = room.read_both(SPEECH_RATE // 10)
    assert np.array_equal(mic.samples, played.samples)
