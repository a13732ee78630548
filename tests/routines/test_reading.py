"""Any routine file a person can write is one clear line, never a traceback, wherever it is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from routine_samples import GOOD
from session_driver import Driver

from voicecoach.cli.main import main
from voicecoach.errors import RoutineError
from voicecoach.routines.library import find_routine, move_names
from voicecoach.yaml_files import MAX_BYTES

NAN = GOOD.replace("seconds: 20", "seconds: .nan").replace("rest: 5", "rest: .inf")
DEEP_BLOCK = "".join(" " * i + "a:\n" for i in range(700))

UNREADABLE = [
    ("deep list", b"[" * 5000, "not valid YAML: nested too deeply"),
    ("deep flow mapping", b"{a: " * 5000, "not valid YAML: nested too deeply"),
    ("deep block mapping", DEEP_BLOCK.encode(), "not valid YAML: nested too deeply"),
    ("deep under moves", b"moves:\n" + b"".join(b"  " * i + b"- \n" for i in range(600)), "nested too deeply"),
    ("latin-1", "name: caf\u00e9\n".encode("latin-1"), "is not UTF-8 text (line 1); save it as UTF-8"),
    ("utf-16", GOOD.encode("utf-16"), "is not UTF-8 text"),
    ("binary", bytes(range(256)) * 4, "is not UTF-8 text"),
    ("nul byte", b"name: a\x00b\n", "not valid YAML at line 1: unacceptable character #x0000"),
    ("empty", b"", "the file is empty"),
    ("only comments", b"# nothing yet\n\n", "the file is empty"),
    ("a list", b"- just\n- a list\n", "expected a mapping of routine fields at the top, got a list"),
    ("a sentence", b"just some words\n", "expected a mapping of routine fields at the top, got text"),
    ("unclosed", b"name: [unclosed\n", "not valid YAML at line 2"),
    ("bad date", b"title: 2024-13-45\n", "not valid YAML: cannot read a value (month must be in 1..12)"),
    ("bad tag", b"title: !!int abc\n", "not valid YAML: cannot read a value"),
    ("bad bool", b"title: !!bool maybe\n", "not valid YAML: cannot read a value"),
    ("python tag", b"title: !!python/object/apply:os.system [ls]\n", "not valid YAML at line 1"),
    ("too large", b"#" * (MAX_BYTES + 1), "is larger than 1 MB"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "content", "message"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_files_are_one_line(
    kind: str, content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_bytes(content)
    assert main(["routines", "check", str(path)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"voicecoach: {path}: ")
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_folder_or_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "check", str(tmp_path)]) == 3
    assert capsys.readouterr().err == f"voicecoach: {tmp_path}: is a folder, not a file\n"
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.yaml"
        locked.write_text(GOOD)
        locked.chmod(0)
        assert main(["routines", "check", str(locked)]) == 3
        assert "cannot read the file (Permission denied)" in capsys.readouterr().err


@pytest.fixture
def user_routines(tmp_path: Path) -> Path:
    folder = tmp_path / "config" / "routines"
    folder.mkdir(parents=True)
    (folder / "nan.yaml").write_text(NAN)
    (folder / "deep.yaml").write_text("[" * 5000)
    (folder / "good.yaml").write_text(GOOD)
    return folder


def test_broken_user_routines_are_routine_errors(user_routines: Path) -> None:
    with pytest.raises(RoutineError, match=r"moves\[0\].hold.seconds: must be a finite number"):
        find_routine("nan")
    with pytest.raises(RoutineError, match="nested too deeply"):
        find_routine("deep")
    assert find_routine("good") is not None
    names = move_names()  # what the recognizer listens for: the broken files are left out
    assert names["plank"] == "Plank" and names["knee lift"] == "Knee lift"


def test_routines_show_a_broken_routine(
    user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routines", "show", "nan"]) == 3
    path = user_routines / "nan.yaml"
    assert capsys.readouterr().err == (
        f"voicecoach: {path}: moves[0].hold.seconds: must be a finite number, got .nan"
        f" (and 1 more; run `voicecoach routines check {path}`)\n"
    )
    assert main(["routines", "show", "deep"]) == 3
    err = capsys.readouterr().err
    assert "deep.yaml: not valid YAML: nested too deeply" in err and err.count("\n") == 1
    assert main(["routines", "show"]) == 0  # the default routine
    assert capsys.readouterr().out.startswith("Back routine (back): ")


def test_routines_list_marks_broken_files(
    user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routines"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["nan"].endswith(
        f"(broken: voicecoach routines check {user_routines / 'nan.yaml'})"
    )
    assert "broken" in lines["deep"]
    assert "broken" not in lines["good"] and "broken" not in lines["back"]


@pytest.mark.parametrize("name", ["nan", "deep"])
def test_starting_a_broken_routine_says_so_and_waits(user_routines: Path, name: str) -> None:
    driver = Driver()
    driver.say("start", routine=name)
    assert driver.speaker.said[-1] == (
        f"The {name} routine file has a mistake in it. The details are on the screen."
    )
    assert driver.session.routine is None
    driver.say("start", routine="good")
    assert driver.session.routine is not None and driver.session.routine.name == "mine"
