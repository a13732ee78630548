import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from speech import needs_espeak, synth, with_silence

from voicecoach.audio.chunk import SPEECH_RATE, convert
from voicecoach.audio.wav import read_wav
from voicecoach.cli.main import main
from voicecoach.commands.names import Command
from voicecoach.recognition.listener import Decision
from voicecoach.recognition.recording import best_of


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
    speech = with_silence(synth("keep going"))
    stereo = np.stack([speech, speech], axis=1)
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    write_wav(a, convert_rate(stereo, SPEECH_RATE, 44100), 44100)
    write_wav(b, np.zeros(8000, np.int16), 8000)
    assert main(["recognize", str(a), str(b)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(a), str(b)]
    for line in lines:
        assert set(line) == {"file", "text", "intent", "slots", "confidence", "ms"}
        assert line["ms"] > 0 and 0.0 <= line["confidence"] <= 1.0
    assert lines[1]["intent"] is None and lines[1]["text"] == ""


@pytest.mark.slow
@needs_espeak
def test_a_recording_at_any_rate_gives_the_same_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Talk that is no command, a pause longer than the endpoint, then the command.
    talk, command = synth("the weather is nice today"), synth("start back routine")
    speech = np.concatenate([with_silence(talk, 0.5, 1.0), with_silence(command, 0.0)])
    files = []
    for rate in (8000, SPEECH_RATE, 44100):
        files.append(tmp_path / f"{rate}.wav")
        write_wav(files[-1], convert(speech, SPEECH_RATE, rate), rate)
    assert main(["recognize", *map(str, files)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["intent"], line["slots"]) for line in lines] == [
        ("start", {"routine": "back"})
    ] * 3, lines


@pytest.mark.slow
@needs_espeak
def test_a_command_cut_off_by_the_end_of_the_file_is_still_heard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = synth("start back routine")
    words_end = np.flatnonzero(np.abs(command) > 300)[-1]  # no silence after: no endpoint
    write_wav(tmp_path / "cut.wav", with_silence(command[:words_end], 0.5, 0.0), SPEECH_RATE)
    assert main(["recognize", str(tmp_path / "cut.wav")]) == 0
    line = json.loads(capsys.readouterr().out)
    assert (line["intent"], line["slots"]) == ("start", {"routine": "back"}), line


def decision(text: str, command: str | None, confidence: float) -> Decision:
    name = Command(command) if command else None
    return Decision(text, name, confidence, start=0.0, end=1.0, decided=1.5, ms=5.0)


def test_a_recording_is_reported_by_its_surest_command_else_its_surest_hearing() -> None:
    talk, pause, next_ = (
        decision("oh look", None, 0.9),
        decision("pause", "pause", 0.6),
        decision("next", "next", 0.7),
    )
    assert best_of([talk, pause, next_]) is next_
    assert best_of([talk, decision("hm", None, 0.2)]) is talk
    assert best_of([]) is None


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
    write_wav(tmp_path / "a.wav", np.zeros(1600, np.int16), SPEECH_RATE)
    assert main(["recognize", "--engine", "vosk", str(tmp_path / "a.wav")]) == 4
    assert "no Vosk model" in capsys.readouterr().err


def test_wav_formats_read_alike(tmp_path: Path) -> None:
    t = np.arange(4800)
    x = (np.sin(t / 7) * 12000).astype(np.int16)
    write_wav(tmp_path / "i16.wav", x, 48000)
    float_wav(tmp_path / "f32.wav", x / 32768.0, 48000)
    i16, f32 = read_wav(tmp_path / "i16.wav"), read_wav(tmp_path / "f32.wav")
    a, b = (convert(w.samples, w.rate, SPEECH_RATE) for w in (i16, f32))
    assert len(a) == len(b) == 1600
    assert np.max(np.abs(a.astype(int) - b.astype(int))) <= 2
    assert f32.rate == 48000


def test_models_command_lists_and_reports_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad-model" / "am").mkdir(parents=True)
    monkeypatch.delenv("VOICECOACH_VOSK_MODEL", raising=False)
    monkeypatch.setattr("voicecoach.recognition.model_files.search_dirs", lambda: [tmp_path])
    assert main(["models"]) == 4
    assert "broken" in capsys.readouterr().out
