"""Microphone and WAV sources of audio chunks."""

from __future__ import annotations

import time
import wave
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from fakesd import FakeSoundDevice, device

from voicecoach.audio import devices, mic
from voicecoach.audio.chunk import SPEECH_RATE
from voicecoach.audio.mic import DeviceLost, MicrophoneSource, WavSource
from voicecoach.errors import AudioError


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeSoundDevice:
    sd = FakeSoundDevice(
        [device(0, "Built-in Microphone", 2, 0, 48000.0), device(1, "Speakers", 0, 2)],
        default=(0, 1),
    )
    monkeypatch.setattr(devices, "sounddevice_module", lambda: sd)
    monkeypatch.setattr(mic, "sounddevice_module", lambda: sd)
    return sd


def test_microphone_yields_30ms_chunks_with_timestamps(fake: FakeSoundDevice) -> None:
    with MicrophoneSource() as source:
        chunks = list(islice(source, 5))
    assert source.rate == SPEECH_RATE
    assert all(c.rate == SPEECH_RATE and c.samples.shape == (480, 1) for c in chunks)
    assert [round(c.timestamp, 3) for c in chunks] == [0.0, 0.03, 0.06, 0.09, 0.12]
    joined = np.concatenate([c.samples[:, 0] for c in chunks])
    assert np.array_equal(joined, (np.arange(len(joined)) % 100).astype(np.int16))
    stream = fake.streams[0]
    assert stream.kwargs["device"] == 0 and stream.kwargs["channels"] == 1
    assert stream.kwargs["dtype"] == "int16"


def test_device_rate_is_used_when_the_speech_rate_is_refused(fake: FakeSoundDevice) -> None:
    fake.rates_refused = {SPEECH_RATE}
    with MicrophoneSource("built-in") as source:
        chunk = next(iter(source))
    assert source.rate == 48000
    assert chunk.rate == 48000 and len(chunk.samples) == 1440


def test_no_microphone_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sd = FakeSoundDevice([device(0, "Speakers", 0, 2)])
    monkeypatch.setattr(devices, "sounddevice_module", lambda: sd)
    monkeypatch.setattr(mic, "sounddevice_module", lambda: sd)
    with pytest.raises(AudioError, match="no input device found"):
        MicrophoneSource().open()


def test_a_device_that_cannot_open_says_so(fake: FakeSoundDevice) -> None:
    fake.fail_open = True
    with pytest.raises(AudioError, match="cannot open the microphone 'Built-in Microphone'"):
        MicrophoneSource().open()


def test_silent_device_is_reported_lost(fake: FakeSoundDevice) -> None:
    fake.blocks_before_failure = 3
    source = MicrophoneSource(stall_timeout=0.2).open()
    got = []
    started = time.monotonic()
    with pytest.raises(DeviceLost, match=r"no audio for 0\.2 s"):
        for chunk in source:
            got.append(chunk)
    source.close()
    assert len(got) == 3
    assert time.monotonic() - started < 2.0


def test_stream_that_stops_is_reported_lost_with_the_reason(fake: FakeSoundDevice) -> None:
    fake.blocks_before_failure = 2
    fake.finish_on_failure = True
    with MicrophoneSource(stall_timeout=0.2) as source, pytest.raises(DeviceLost, match="stopped"):
        list(source)


def test_reopening_after_a_loss_works(fake: FakeSoundDevice) -> None:
    fake.blocks_before_failure = 1
    source = MicrophoneSource(stall_timeout=0.1).open()
    with pytest.raises(DeviceLost):
        list(source)
    source.close()
    fake.blocks_before_failure = None
    source.open()
    chunk = source.read()
    source.close()
    assert chunk.timestamp == 0.0
    assert len(fake.streams) == 2


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1] if samples.ndim == 2 else 1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def test_wav_source_gives_the_file_back_in_chunks(tmp_path: Path) -> None:
    samples = (np.arange(16000 * 2) % 3000).astype("<i2").reshape(-1, 2)  # 1 s stereo
    path = write_wav(tmp_path / "a.wav", samples, 16000)
    source = WavSource(path)
    chunks = list(source)
    assert source.rate == 16000  # the file's own
    assert len(chunks) == 34  # 33 full 30 ms chunks and a 10 ms rest
    assert chunks[1].timestamp == pytest.approx(0.03)
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), samples)


def test_wav_source_in_real_time_takes_the_file_duration(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "b.wav", np.zeros((8000 * 3 // 10, 1), dtype="<i2"), 8000)
    started = time.monotonic()
    count = sum(1 for _ in WavSource(path, realtime=True))
    assert count == 10
    assert 0.25 <= time.monotonic() - started < 1.0


def test_wav_source_close_stops_it(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "c.wav", np.zeros((16000, 1), dtype="<i2"), 16000)
    source = WavSource(path)
    taken = []
    for chunk in source:
        taken.append(chunk)
        source.close()
    assert len(taken) == 1


def test_wav_problems_are_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="No such file"):
        WavSource(tmp_path / "missing.wav")
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(AudioError, match="not a RIFF/WAVE file"):
        WavSource(tmp_path / "text.wav")
    eight = write_wav(tmp_path / "8bit.wav", np.full(100, 128, dtype=np.uint8), 8000, width=1)
    chunks = list(WavSource(eight))  # 8-bit files are read, not refused
    assert sum(len(c.samples) for c in chunks) == 100 and all(c.rate == 8000 for c in chunks)
