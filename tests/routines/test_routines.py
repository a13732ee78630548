"""Routine files: the built-in one follows the routine facts; broken ones are explained."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from routine_samples import GOOD

from voicecoach.cli.main import main
from voicecoach.coaching.plan import build_plan
from voicecoach.routines.library import find_routine


def test_built_in_back_routine_follows_the_facts() -> None:
    r = find_routine("back")
    assert r is not None
    assert [m.id for m in r.moves] == [
        "sky_high_stretch", "pelvic_tilt", "knee_lift", "hinging_side_lunge",
    ]  # fmt: skip
    sky, tilt, knee, lunge = r.moves
    assert (sky.hold and sky.hold.seconds, sky.sides) == (15, "each")
    assert (tilt.reps and tilt.reps.count, tilt.sides) == (10, "none")
    assert knee.hold and (knee.hold.seconds, knee.hold.rounds) == (30, 3) and knee.hold.rest > 0
    assert (lunge.reps and lunge.reps.count, lunge.sides) == (10, "alternate")
    assert [m.position for m in r.moves] == [
        "standing", "lying on your back", "on all fours", "standing",
    ]  # fmt: skip
    plan = build_plan(r)
    assert [(s.move.id, s.round, s.side) for s in plan] == [
        ("sky_high_stretch", 0, 0), ("sky_high_stretch", 0, 1), ("pelvic_tilt", 0, 0),
        ("knee_lift", 0, 0), ("knee_lift", 1, 0), ("knee_lift", 2, 0),
        ("hinging_side_lunge", 0, 0),
    ]  # fmt: skip


def test_a_good_user_routine_is_found_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "routines"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text(GOOD)
    r = find_routine("mine")
    assert r is not None and r.moves[0].hold and r.moves[0].hold.rounds == 2


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


BROKEN = [
    ("unknown key", replace("title:", "colour: red\ntitle:"), "colour: unknown field"),
    ("missing field", replace("title: My routine\n", ""), "title: missing field"),
    ("negative hold", replace("seconds: 20", "seconds: -5"), "moves[0].hold.seconds: must be more than 0, got -5"),
    ("zero reps", replace("hold: {seconds: 20, rounds: 2, rest: 5}", "reps: {count: 0, seconds: 4}"),
     "moves[0].reps.count: must be a whole number of at least 1, got 0"),
    ("wrong type", replace("seconds: 20", "seconds: twenty"), "moves[0].hold.seconds: expected a number, got text"),
    ("bad sides", replace("    hold:", "    sides: both\n    hold:"), "moves[0].sides: must be one of none, each, alternate"),
    ("hold and reps", replace("    hold:", "    reps: {count: 3, seconds: 2}\n    hold:"), "needs exactly one of 'hold' or 'reps'"),
    ("no moves", GOOD.split("moves:")[0] + "moves: []\n", "moves: a routine needs at least one move"),
    ("not yaml", "name: [unclosed\n", "not valid YAML at line 2"),
    ("not a mapping", "- just\n- a list\n", "expected a mapping of routine fields"),
    ("duplicate ids", GOOD + textwrap.indent(GOOD.split("moves:\n")[1], ""), "duplicate move id 'plank'"),
    ("alternate hold", replace("    hold:", "    sides: alternate\n    hold:"), "'alternate' works only with reps"),
    ("bad name", replace("name: mine", "name: My Routine!"), "name: expected a lowercase name"),
    ("negative rest", replace("rest: 5", "rest: -1"), "hold.rest: must not be negative"),
    ("empty text", replace("intro: Hello there.", 'intro: ""'), "intro: must not be empty"),
    ("side cue count", replace("    hold:", "    sides: each\n    side_cues: [only one]\n    hold:"),
     "side_cues: has 1 cues for 2 sides"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "text", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_routine_files_are_explained(
    kind: str, text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    assert main(["routines", "check", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"voicecoach: {path}: ")
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_routine_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "check", str(tmp_path / "nope.yaml")]) == 3
    assert "no such routine file" in capsys.readouterr().err


def test_routines_show_prints_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "show", "back"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Back routine (back): about 5 minutes 16 seconds")
    assert "3. Knee lift [on all fours]: hold 30 s x 3 rounds, 10 s rest between" in out
    assert "4. Hinging side lunge [standing]: 10 reps of 8 s, alternating sides" in out


def test_routines_show_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines", "show", "yoga"]) == 3
    assert "no routine called 'yoga' (known: back)" in capsys.readouterr().err


def test_routines_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routines"]) == 0
    assert capsys.readouterr().out.startswith("back ")


def test_diagram_is_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram"]) == 0
    out = capsys.readouterr().out
    assert "stateDiagram-v2" in out and "holding --> paused: pause" in out
