"""The echo canceller: the coach's voice, as a room returns it, taken out of the microphone,
and the person's word kept."""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools

import numpy as np
import pytest
from speech import needs_espeak, synth

from voicecoach.audio import echo
from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, convert
from voicecoach.audio.echo import FRAME, LATENCY, EchoCanceller, EchoRemover, find_delay
from voicecoach.errors import AudioError
from voicecoach.sim.room import Echo, Room


def room(played: np.ndarray, delay: int, rng: np.random.Generator) -> np.ndarray:
    """``played`` as a room returns it: after ``delay`` samples, with three reflections and
    a tail that dies away in 0.3 s."""
    tail = int(0.3 * SPEECH_RATE)
    response = np.zeros(delay + tail)
    response[delay] = 0.6
    for after, gain in ((110, 0.3), (210, -0.2), (370, 0.15)):
        response[delay + after] += gain
    decay = np.exp(-6.9 * np.arange(tail) / tail)  # -60 dB over the tail
    response[delay:] += 0.05 * rng.normal(size=tail) * decay
    return np.convolve(played.astype(np.float64), response)[: len(played)]


def power(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64) ** 2)) + 1e-9


@needs_espeak
@pytest.mark.parametrize("delay_ms", [20, 120])
def test_the_coach_s_voice_is_taken_out_and_the_person_s_word_kept(delay_ms: int) -> None:
    rng = np.random.default_rng(5)
    coach = np.concatenate(
        [synth(text) for text in ("Lie on your back and bend your knees.",
                                  "Breathe in, and let your low back sink into the mat.",
                                  "Hold it there, and keep breathing slowly.")] * 2
    ).astype(np.float64)  # fmt: skip
    n = len(coach) - len(coach) % FRAME
    coach = coach[:n]
    delay = delay_ms * SPEECH_RATE // 1000
    heard_coach = room(coach, delay, rng)
    word = synth("next", voice="en-us+m3").astype(np.float64)
    at = n - 3 * SPEECH_RATE  # said over the coach, once the canceller has learned the room
    person = np.zeros(n)
    person[at : at + len(word)] = word
    mic = np.clip(heard_coach + person + rng.normal(0, 20, n), -32768, 32767).astype(np.int16)
    canceller = EchoCanceller(delay=delay // FRAME)
    out = np.concatenate(
        [
            canceller.process(mic[i : i + FRAME], coach[i : i + FRAME].astype(np.int16))
            for i in range(0, n, FRAME)
        ]
    ).astype(np.float64)
    canceller.close()
    settled = slice(4 * SPEECH_RATE, at)  # echo only, after four seconds of learning
    erle = 10 * np.log10(power(mic[settled]) / power(out[settled]))
    assert erle > 20.0, f"echo taken out: {erle:.1f} dB"
    span = slice(at + LATENCY, at + LATENCY + len(word))  # the output comes a frame late
    kept = 10 * np.log10(power(out[span]) / power(word))
    assert -6.0 < kept < 3.0, f"the person's word at {kept:.1f} dB of its own level"
    alike = float(np.corrcoef(out[span], word)[0, 1])
    assert alike > 0.9, f"the word's waveform kept: correlation {alike:.2f}"
    assert float(np.corrcoef(mic[at : at + len(word)], word)[0, 1]) < 0.7  # it was buried


def test_frames_must_be_ten_milliseconds() -> None:
    canceller = EchoCanceller()
    with pytest.raises(ValueError, match="160"):
        canceller.process(np.zeros(100, np.int16), np.zeros(100, np.int16))
    canceller.close()


def test_a_missing_library_is_one_line_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(echo, "_library", None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(ctypes, "CDLL", missing)
    with pytest.raises(AudioError) as error:
        EchoCanceller()
    assert "sudo apt-get install libspeexdsp1" in str(error.value)
    assert "\n" not in str(error.value)


def coach_in_room(rate: int, echo_delay: float) -> tuple[Room, float]:
    """A room at ``rate`` where the coach (espeak-ng) talks for about 12 s; returns it and
    when the talk ends."""
    room = Room(rate, noise_dbfs=-66.0, echo=Echo(delay=echo_delay, rt60=0.4, gain_db=-3.0))
    at = 0.2
    lines = ("Lie on your back and bend your knees.",
             "Breathe in, and let your low back sink into the mat.",
             "Hold it there, and keep breathing slowly.")  # fmt: skip
    for text in lines * 2:
        placed = room.add(AudioChunk(synth(text).reshape(-1, 1), SPEECH_RATE), at, played=True)
        at = placed.played_end / rate + 0.2
    return room, at


@needs_espeak
@pytest.mark.parametrize(("rate", "delay_ms"), [(SPEECH_RATE, 150), (48000, 60)])
def test_the_remover_finds_the_room_s_delay_and_takes_the_echo_out(
    rate: int, delay_ms: int
) -> None:
    room, ends = coach_in_room(rate, delay_ms / 1000)
    remover = EchoRemover(delay=0.0)  # knows nothing of the room: it must find the delay
    heard, left, stamps = [], [], []
    while room.time < ends:
        mic, played = room.read_both(rate * 30 // 1000)
        out = remover.process(mic, played)
        assert out.rate == SPEECH_RATE
        stamps.append((out.timestamp, out.duration))
        heard.append(convert(mic.samples, rate, SPEECH_RATE))
        left.append(out.samples[:, 0])
    remover.close()
    assert remover.measured_seconds == pytest.approx(delay_ms / 1000, abs=0.011)
    assert remover.settled
    mic_all = np.concatenate(heard)[: sum(len(x) for x in left)]
    out_all = np.concatenate(left)
    settled = slice(6 * SPEECH_RATE, len(out_all))
    erle = 10 * np.log10(power(mic_all[settled]) / power(out_all[settled]))
    assert erle > 20.0, f"echo taken out: {erle:.1f} dB"
    for (at, length), (after, _) in itertools.pairwise(stamps):
        assert after == pytest.approx(at + length)  # one unbroken stream


def test_find_delay_names_the_direct_sound_and_nothing_when_nothing_matches() -> None:
    rng = np.random.default_rng(2)
    played = rng.normal(0, 3000, 2 * SPEECH_RATE)
    heard = np.zeros_like(played)
    heard[800:] += 0.7 * played[:-800]  # the direct sound, 50 ms later
    heard[1200:] += 0.9 * played[:-1200]  # a louder reflection after it
    assert find_delay(heard, played, SPEECH_RATE // 2) == 800
    other = rng.normal(0, 3000, 2 * SPEECH_RATE)
    assert find_delay(other, played, SPEECH_RATE // 2) is None


def test_find_delay_looks_no_sooner_than_it_is_told() -> None:
    """A spurious peak at lag 0 (seen on the virtual devices) is not the echo when the
    stream's buffers alone take longer than that."""
    rng = np.random.default_rng(4)
    played = rng.normal(0, 3000, 2 * SPEECH_RATE)
    heard = 0.5 * played  # in step with what was played: no room returns that
    heard[4800:] += 0.4 * played[:-4800]  # the echo, 300 ms later
    assert find_delay(heard, played, SPEECH_RATE // 2) == 0
    assert find_delay(heard, played, SPEECH_RATE // 2, shortest=2400) == 4800
    assert EchoRemover(delay=0.33).shortest == round(0.165 * SPEECH_RATE)


@needs_espeak
def test_with_nothing_played_the_microphone_passes_through_only_denoised() -> None:
    rng = np.random.default_rng(3)
    remover = EchoRemover()
    floor = rng.normal(0, 30, 2 * SPEECH_RATE)  # the room's own noise, learned first
    said = synth("next", voice="en-us+m3").astype(np.float64)
    word = np.concatenate([floor, said, np.zeros(4000)])
    mic = AudioChunk(word.astype(np.int16).reshape(-1, 1), SPEECH_RATE)
    silent = AudioChunk(np.zeros_like(mic.samples), SPEECH_RATE)
    out = remover.process(mic, silent).samples[:, 0].astype(np.float64)
    remover.close()
    at = len(floor) + LATENCY
    alike = float(np.corrcoef(out[at : at + len(said)], said)[0, 1])
    assert alike > 0.9, f"the word's waveform kept: correlation {alike:.2f}"
    assert remover.found == [] and not remover.settled  # nothing played: nothing learned


@needs_espeak
def test_a_delay_close_to_the_one_set_does_not_start_it_again_and_one_far_off_does() -> None:
    room, ends = coach_in_room(SPEECH_RATE, 0.15)
    near = EchoRemover(delay=0.14)  # 10 ms off: the filter finds the sound where it is
    jumped = EchoRemover(delay=0.12)  # 30 ms off: as when the output jumps; learned afresh
    far = EchoRemover(delay=0.0)  # 150 ms off: most of the room's tail would fall outside
    while room.time < ends:
        mic, played = room.read_both(480)
        for remover in (near, jumped, far):
            remover.process(mic, played)
    for remover in (near, jumped, far):
        remover.close()
    assert near.delay_seconds == pytest.approx(0.14) and near.settled
    assert jumped.delay_seconds == pytest.approx(0.15, abs=0.011) and jumped.settled
    assert far.delay_seconds == pytest.approx(0.15, abs=0.011) and far.settled
    assert near.measured_seconds == pytest.approx(0.15, abs=0.011)


@needs_espeak
def test_what_is_left_tells_the_person_s_word_from_the_coach_s_echo() -> None:
    room, ends = coach_in_room(SPEECH_RATE, 0.08)
    word = synth("next", voice="en-us+f2")
    at = ends - 2.5  # over the coach, once the remover has learned the room
    placed = room.add(word, at)
    remover = EchoRemover()
    while room.time < ends:
        mic, played = room.read_both(480)
        remover.process(mic, played)
    remover.close()
    spoken = (placed.start / SPEECH_RATE, placed.end / SPEECH_RATE)
    person = remover.kept_db(*spoken)
    echo_only = remover.kept_db(at - 1.5, at - 0.5)
    assert person is not None and echo_only is not None
    assert person > -6.0, f"the person's word kept {person:.1f} dB"
    assert echo_only < -15.0, f"the coach's echo kept {echo_only:.1f} dB"
    assert remover.kept_db(ends + 5, ends + 6) is None  # not heard yet
    word_over_noise = remover.over_noise_db(*spoken)
    assert word_over_noise is not None and word_over_noise > 30.0  # the room's noise: -66 dBFS


@needs_espeak
def test_when_the_room_changes_the_remover_says_it_has_lost_it_then_learns_it_again() -> None:
    room, moved_at = coach_in_room(SPEECH_RATE, 0.08)
    remover = EchoRemover()
    settled: list[tuple[float, bool]] = []
    working: list[tuple[float, bool]] = []
    ends = moved_at
    while room.time < ends + 1.0:
        if room.time >= moved_at and ends == moved_at:
            # The loudspeaker turned towards the microphone: 9 dB louder, a frame later, longer.
            room.move(Echo(delay=0.09, rt60=0.6, gain_db=6.0, seed=7))
            for text in ("Lie on your back and bend your knees.",
                         "Breathe in, and let your low back sink into the mat.") * 3:  # fmt: skip
                played = AudioChunk(synth(text).reshape(-1, 1), SPEECH_RATE)
                ends = room.add(played, ends + 0.2, played=True).played_end / SPEECH_RATE
        mic, played = room.read_both(480)
        remover.process(mic, played)
        settled.append((room.time, remover.settled))
        working.append((room.time, remover.working_before(room.time)))
    remover.close()
    before = [ok for at, ok in settled if at < moved_at]
    after = [ok for at, ok in settled if at >= moved_at]
    assert before[-1], "learned the first room"
    assert not all(after), "the changed room was noticed"
    assert after[-1], "and learned in turn"
    assert all(ok for at, ok in working if moved_at - 3.0 < at < moved_at)
    noticed = min(at for at, ok in working if at >= moved_at and not ok)
    lost = min(at for at, ok in settled if at >= moved_at and not ok)
    assert noticed < lost - 0.5, "just before an utterance tells sooner than settled"
    assert remover.delay_seconds == pytest.approx(0.08, abs=0.011)  # no restart: a small shift
