"""The ``history`` and ``config`` subcommands and the spoken progress lines."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from voicecoach.cli import config as cli_config
from voicecoach.cli import history as cli_history
from voicecoach.cli.main import main as cli_main
from voicecoach.coaching import events as ev
from voicecoach.coaching.events import Event, Position
from voicecoach.errors import UserError
from voicecoach.history.store import HistoryStore, default_path
from voicecoach.history.view import progress_sentence, render_chart
from voicecoach.settings import example_config


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICECOACH_CONFIG_DIR", str(tmp_path / "config"))
    for name in list(os.environ):
        if name.startswith("VOICECOACH_") and not name.endswith("_DIR"):
            monkeypatch.delenv(name)
    return tmp_path


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="voicecoach")
    sub = parser.add_subparsers()
    cli_history.register(sub)
    cli_config.register(sub)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def days_ago(n: int) -> datetime:
    """Noon, ``n`` days before today: far from midnight, so a day count cannot slip."""
    return datetime.combine(date.today(), time(12)).astimezone() - timedelta(days=n)


def record_session(
    days_back: int, moves: int = 2, routine: str = "back", finish: bool = True
) -> None:
    """A session ``days_back`` days ago with ``moves`` moves of one minute each."""
    with HistoryStore.open(now=lambda: days_ago(days_back)) as store:
        p = Position(routine, "hold", 0)
        store.record(Event(ev.SESSION_STARTED, 0, p, {"routine": routine}))
        for move in range(moves):
            store.record(Event(ev.MOVE_DONE, 60 * (move + 1), Position(routine, "hold", move)))
        if finish:
            store.record(Event(ev.SESSION_FINISHED, 60 * moves, p))


def test_empty_history_is_a_friendly_line_and_creates_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run("history") == 0
    assert "No sessions yet" in capsys.readouterr().out
    assert not default_path().exists()
    assert run("history", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["total_sessions"] == 0 and payload["sessions"] == []
    assert len(payload["weeks"]) == 8


def test_history_lists_sessions_streak_minutes_and_chart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for back in (9, 2, 1, 0):
        record_session(back, moves=3 if back == 0 else 2)
    assert run("history") == 0
    out = capsys.readouterr().out
    assert "Streak: 3 days in a row." in out
    assert "9 minutes in all over 4 sessions." in out
    assert out.count("finished") == 4
    chart = out[out.index("Minutes per week:") :].splitlines()[1:]
    assert len(chart) == 8
    bars = [line.count("#") for line in chart]
    assert max(bars) == 30 and sum(1 for b in bars if b) in (2, 3)


def test_history_json_has_stable_keys_and_honours_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for back in (3, 1):
        record_session(back)
    record_session(0, finish=False)
    assert run("history", "--json", "--limit", "2", "--weeks", "3") == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {
        "history", "problem", "database", "streak_days", "total_minutes",
        "total_sessions", "practice_sessions", "weeks", "sessions",
    }  # fmt: skip
    assert payload["streak_days"] == 2 and payload["total_sessions"] == 3
    assert payload["total_minutes"] == pytest.approx(6.0)
    assert [s["outcome"] for s in payload["sessions"]] == ["interrupted", "finished"]
    assert set(payload["sessions"][0]) == {
        "id", "routine", "started", "ended", "outcome", "minutes",
        "moves_done", "moves_skipped", "moves_repeated", "pauses", "practice",
    }  # fmt: skip
    assert len(payload["weeks"]) == 3
    assert sum(w["minutes"] for w in payload["weeks"]) == pytest.approx(6.0)


def test_history_on_a_damaged_file_is_one_line_and_leaves_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    default_path().parent.mkdir(parents=True)
    default_path().write_bytes(b"not a database at all" * 50)
    with pytest.raises(cli_history.HistoryError) as caught:
        run("history")
    assert caught.value.exit_code == 7
    assert "damaged" in str(caught.value) and str(default_path()) in str(caught.value)
    assert default_path().read_bytes() == b"not a database at all" * 50


@pytest.mark.parametrize("as_json", [False, True])
def test_a_damaged_history_is_said_once_and_json_says_so_too(
    as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    default_path().parent.mkdir(parents=True)
    default_path().write_bytes(b"not a database at all" * 50)
    code = cli_main(["history", "--json"] if as_json else ["history"])
    out, err = capsys.readouterr()
    assert code == 7
    assert err.count("\n") == 1 and "damaged" in err and str(default_path()) in err
    if as_json:
        error = json.loads(out)["error"]
        assert error["code"] == 7 and error["kind"] == "damaged"
        assert str(default_path()) in error["message"]
    else:
        assert out == ""


def test_bad_history_options_are_user_errors() -> None:
    with pytest.raises(UserError, match="--weeks"):
        run("history", "--weeks", "0")


def test_config_shows_values_and_sources(dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = dirs / "config" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text("hold_scale = 1.5\n")
    assert run("config") == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("hold_scale"))
    assert "1.5" in line and f"config file {cfg}" in line
    assert run("config", "show", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["values"]["hold_scale"] == 1.5
    assert payload["sources"]["volume"] == "default"


def test_config_path_init_and_never_overwrite(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = dirs / "config" / "config.toml"
    assert run("config", "path") == 0
    assert capsys.readouterr().out.strip() == str(cfg)
    assert run("config", "init") == 0
    assert cfg.read_text() == example_config()
    cfg.write_text("volume = 0.5\n")
    with pytest.raises(UserError, match="exists already"):
        run("config", "init")
    assert cfg.read_text() == "volume = 0.5\n"


def test_a_broken_config_surfaces_as_config_error(dirs: Path) -> None:
    cfg = dirs / "config" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text("volume = 7\n")
    with pytest.raises(UserError) as caught:
        run("config")
    assert caught.value.exit_code == 6 and "volume" in str(caught.value)


def test_progress_sentence_follows_the_history() -> None:
    today = date.today()
    with HistoryStore.open() as store:
        assert "first session" in progress_sentence(store, today)
    record_session(4)
    with HistoryStore.open() as store:
        assert progress_sentence(store, today) == (
            "Your last session was 4 days ago. Good to have you back."
            " You have done 2 minutes in all."
        )
    record_session(1)
    with HistoryStore.open() as store:
        assert progress_sentence(store, today).startswith("You exercised yesterday.")
    record_session(0)
    with HistoryStore.open() as store:
        assert progress_sentence(store, today) == (
            "2 days in a row. Keep it up. You have done 6 minutes in all."
        )
    assert "can't see your history" in progress_sentence(HistoryStore.disabled(), today)


def test_chart_scales_to_the_best_week() -> None:
    today = date(2024, 5, 15)
    weeks = [
        {"week_start": "2024-04-29", "minutes": 0.0},
        {"week_start": "2024-05-06", "minutes": 10.0},
        {"week_start": "2024-05-13", "minutes": 20.0},
    ]
    lines = render_chart(weeks, today, width=20)
    assert [line.count("#") for line in lines[1:]] == [0, 10, 20]
    assert "this week" in lines[3] and "." in lines[1]
