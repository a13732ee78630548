"""The routine checker reports every problem of a file at once, one ``file: field: reason`` each."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicecoach.cli.main import main
from voicecoach.errors import RoutineError
from voicecoach.routines.validate import check_file, load_routine

GOOD = """\
name: mine
title: My routine
intro: Hello there.
safety: Be careful.
transition_seconds: 8
switch_seconds: 4
moves:
  - id: plank
    name: Plank
    position: on your elbows
    setup: Elbows under shoulders.
    hold: {seconds: 20, rounds: 2, rest: 5}
  - id: tilt
    name: Pelvic tilt
    position: lying on your back
    setup: [Knees bent., Feet flat.]
    reps: {count: 10, seconds: 6}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    """What the checker says about ``text``, without the file name in front."""
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    checked = check_file(path)
    assert (checked.routine is None) == bool(checked.problems)
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in checked.problems)
    return [p.removeprefix(prefix) for p in checked.problems]


def edit(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


def test_the_good_routine_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []


def test_every_problem_is_reported_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        edit("title: My routine", "title: 12")
        .replace("transition_seconds: 8", "transition_seconds: .inf")
        .replace("{seconds: 20, rounds: 2, rest: 5}", "{seconds: .nan, rounds: true}")
        .replace("setup: [Knees bent., Feet flat.]", "setup: [Knees bent., 12]")
        .replace("count: 10", "count: 0")
    )
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert main(["routines", "check", str(path)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"voicecoach: {path}: {line}"
        for line in [
            "title: expected text, got a number (put it in quotes)",
            "transition_seconds: must be a finite number, got .inf",
            "moves[0].hold.seconds: must be a finite number, got .nan",
            "moves[0].hold.rounds: expected a number, got true/false",
            "moves[1].setup[1]: expected text, got a number (put it in quotes)",
            "moves[1].reps.count: must be a whole number of at least 1, got 0",
        ]
    ]


NUMBERS = [
    # Not finite: YAML reads these as floats, and they used to crash `routines show`.
    ("seconds: 20", "seconds: .nan", "moves[0].hold.seconds: must be a finite number, got .nan"),
    ("seconds: 20", "seconds: .inf", "moves[0].hold.seconds: must be a finite number, got .inf"),
    ("rest: 5", "rest: .inf", "moves[0].hold.rest: must be a finite number, got .inf"),
    ("rounds: 2", "rounds: .nan", "moves[0].hold.rounds: must be a finite number, got .nan"),
    ("count: 10", "count: .inf", "moves[1].reps.count: must be a finite number, got .inf"),
    ("seconds: 6", "seconds: -.inf", "moves[1].reps.seconds: must be a finite number, got -.inf"),
    ("switch_seconds: 4", "switch_seconds: .NaN", "switch_seconds: must be a finite number, got .nan"),
    ("seconds: 20", "seconds: 1.0e+999", "moves[0].hold.seconds: must be a finite number, got .inf"),
    # true/false are not numbers, though Python counts them as ints.
    ("seconds: 20", "seconds: true", "moves[0].hold.seconds: expected a number, got true/false"),
    ("rounds: 2", "rounds: yes", "moves[0].hold.rounds: expected a number, got true/false"),
    ("count: 10", "count: on", "moves[1].reps.count: expected a number, got true/false"),
    # Zero, negative, fractional counts.
    ("seconds: 20", "seconds: 0", "moves[0].hold.seconds: must be more than 0, got 0"),
    ("seconds: 6", "seconds: -0.5", "moves[1].reps.seconds: must be more than 0, got -0.5"),
    ("rest: 5", "rest: -1", "moves[0].hold.rest: must not be negative, got -1"),
    ("transition_seconds: 8", "transition_seconds: -3", "transition_seconds: must not be negative, got -3"),
    ("rounds: 2", "rounds: 0", "moves[0].hold.rounds: must be a whole number of at least 1, got 0"),
    ("count: 10", "count: 2.5", "moves[1].reps.count: must be a whole number of at least 1, got 2.5"),
    ("count: 10", "count: 10.0", "moves[1].reps.count: must be a whole number of at least 1, got 10.0"),
    # Absurdly large: a typo, and a plan nobody could follow (or build).
    ("seconds: 20", "seconds: 36000", "moves[0].hold.seconds: must be at most 3600 seconds (an hour), got 36000"),
    ("rounds: 2", "rounds: 100000", "moves[0].hold.rounds: must be at most 100, got 100000"),
    ("count: 10", "count: 1000000000", "moves[1].reps.count: must be at most 1000, got 1000000000"),
    ("count: 10", "count: 100000000000000000000", "moves[1].reps.count: must be at most 1000, got a number of 16 digits or more"),
    ("seconds: 6", "seconds: 601", "moves[1].reps.seconds: must be at most 600 seconds, got 601"),
    ("rest: 5", "rest: 1e6", "moves[0].hold.rest: expected a number, got text '1e6'"),  # YAML 1.1
    ("rest: 5", "rest: 1.0e+6", "moves[0].hold.rest: must be at most 600 seconds, got 1000000.0"),
    ("switch_seconds: 4", "switch_seconds: 86400", "switch_seconds: must be at most 600 seconds, got 86400"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "problem"), NUMBERS, ids=[n[1] for n in NUMBERS])
def test_every_number_is_finite_and_in_bounds(
    old: str, new: str, problem: str, tmp_path: Path
) -> None:
    assert problems(tmp_path, edit(old, new)) == [problem]


def test_a_number_in_bounds_passes(tmp_path: Path) -> None:
    text = edit("seconds: 20", "seconds: 3600").replace("rest: 5", "rest: 0")
    assert problems(tmp_path, text.replace("count: 10", "count: 1000")) == []


def test_texts_are_checked_item_by_item(tmp_path: Path) -> None:
    text = edit("setup: Elbows under shoulders.", "setup: [Elbows under shoulders., '', yes]")
    text = text.replace(
        "reps: {count: 10, seconds: 6}", "reps: {count: 10, seconds: 6}\n    form: []"
    )
    assert problems(tmp_path, text) == [
        "moves[0].setup[1]: must not be empty",
        "moves[0].setup[2]: expected text, got true/false (put it in quotes)",
        "moves[1].form: must not be empty",
    ]


def test_an_unknown_field_suggests_the_one_meant(tmp_path: Path) -> None:
    assert problems(tmp_path, edit("rest: 5", "rests: 5")) == [
        "moves[0].hold.rests: unknown field (did you mean 'rest'? known: rest, rounds, seconds)",
        "moves[0].hold.rest: needed when rounds is more than 1",
    ]


def test_a_duplicate_id_points_at_the_second_move(tmp_path: Path) -> None:
    assert problems(tmp_path, edit("id: tilt", "id: plank")) == [
        "moves[1].id: duplicate move id 'plank' (moves[0] too)"
    ]


def test_one_mistake_is_reported_once(tmp_path: Path) -> None:
    # A hold that is not a mapping says so, and no more about rounds or rest.
    assert problems(tmp_path, edit("{seconds: 20, rounds: 2, rest: 5}", "20")) == [
        "moves[0].hold: expected a mapping, got a number"
    ]
    # Unknown sides: the side cues are not also blamed for not matching them.
    text = edit("    hold: {", "    sides: both\n    side_cues: [a, b, c]\n    hold: {")
    assert problems(tmp_path, text) == [
        "moves[0].sides: must be one of none, each, alternate, got 'both'"
    ]


def test_moves_that_are_not_mappings_and_missing_fields(tmp_path: Path) -> None:
    text = "name: mine\nmoves:\n  - just a string\n  - {id: x}\n"
    assert problems(tmp_path, text) == [
        "moves[0]: expected a mapping of move fields, got text",
        "moves[1].name: missing field",
        "moves[1].position: missing field",
        "moves[1].setup: missing field",
        "moves[1]: a move needs exactly one of 'hold' or 'reps'",
        "title: missing field",
        "intro: missing field",
        "safety: missing field",
    ]


def test_loading_a_broken_routine_names_the_first_problem_and_the_count(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(edit("seconds: 20", "seconds: .nan").replace("count: 10", "count: -1"))
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert str(caught.value) == (
        f"{path}: moves[0].hold.seconds: must be a finite number, got .nan"
        f" (and 1 more; run `voicecoach routines check {path}`)"
    )
    assert caught.value.exit_code == 3


def test_check_reports_each_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad, missing = tmp_path / "good.yaml", tmp_path / "bad.yaml", tmp_path / "nope.yaml"
    good.write_text(GOOD)
    bad.write_text(edit("rest: 5", "rest: .inf"))
    assert main(["routines", "check", str(good), str(bad), str(missing)]) == 3
    out, err = capsys.readouterr()
    assert out == f"{good}: ok, 2 moves\n"
    assert err.splitlines() == [
        f"voicecoach: {bad}: moves[0].hold.rest: must be a finite number, got .inf",
        f"voicecoach: {missing}: no such routine file",
    ]
    assert main(["routines", "check", str(good), str(good)]) == 0
