import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from speech import needs_espeak, synth, with_silence

from voicecoach.audio.wav import read_wav, read_wav_mono
from voicecoach.cli.recognize import main


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    data = samples if samples.ndim == 2 else samples[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes())


def float_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    body = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    path.write_bytes(
        b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    )  # fmt: skip


@pytest.mark.slow
@needs_espeak
def test_one_json_line_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    speech = with_silence(synth("keep going", tmp_path))
    stereo = np.stack([speech, speech], axis=1)
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    write_wav(a, convert_rate(stereo, 16000, 44100), 44100)
    write_wav(b, np.zeros(16000, np.int16), 8000)
    assert main(["recognize", str(a), str(b)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(a), str(b)]
    for line in lines:
        assert set(line) == {"file", "text", "intent", "slots", "confidence", "ms"}
        assert line["ms"] > 0 and 0.0 <= line["confidence"] <= 1.0
    assert lines[1]["intent"] is None and lines[1]["text"] == ""


def convert_rate(stereo: np.ndarray, rate: int, target: int) -> np.ndarray:
    import soxr

    return np.asarray(soxr.resample(stereo, rate, target), dtype=np.int16)


def test_unreadable_wav_is_exit_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    assert main(["recognize", str(bad)]) == 5
    err = capsys.readouterr().err
    assert err.startswith("voicecoach: cannot read WAV file") and "Traceback" not in err
    assert main(["recognize", str(tmp_path / "missing.wav")]) == 5


def test_vosk_without_model_is_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VOICECOACH_VOSK_MODEL", raising=False)
    monkeypatch.setattr("voicecoach.recognition.model_files.search_dirs", lambda: [tmp_path])
    write_wav(tmp_path / "a.wav", np.zeros(1600, np.int16), 16000)
    assert main(["recognize", "--engine", "vosk", str(tmp_path / "a.wav")]) == 4
    assert "no Vosk model" in capsys.readouterr().err


def test_wav_formats_read_alike(tmp_path: Path) -> None:
    t = np.arange(4800)
    x = (np.sin(t / 7) * 12000).astype(np.int16)
    write_wav(tmp_path / "i16.wav", x, 48000)
    float_wav(tmp_path / "f32.wav", x / 32768.0, 48000)
    a, b = read_wav_mono(tmp_path / "i16.wav"), read_wav_mono(tmp_path / "f32.wav")
    assert len(a) == len(b) == 1600
    assert np.max(np.abs(a.astype(int) - b.astype(int))) <= 2
    assert read_wav(tmp_path / "f32.wav").rate == 48000


def test_models_command_lists_and_reports_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad-model" / "am").mkdir(parents=True)
    monkeypatch.delenv("VOICECOACH_VOSK_MODEL", raising=False)
    monkeypatch.setattr("voicecoach.recognition.model_files.search_dirs", lambda: [tmp_path])
    assert main(["models"]) == 4
    assert "broken" in capsys.readouterr().out
