"""``voicecoach run``: usage mistakes, a missing microphone, and --routine / --voice."""

from __future__ import annotations

import io

import pytest

from voicecoach.cli.main import main
from voicecoach.coaching.cues import cue
from voicecoach.errors import AudioError
from voicecoach.history.store import HistoryStore


@pytest.mark.parametrize("value", ["0", "-2", "fast", "1e9"])
def test_a_bad_speed_is_a_usage_mistake(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", "--text", "--speed", value])
    assert caught.value.code == 2
    assert "--speed" in capsys.readouterr().err


def test_run_without_a_microphone_says_what_to_do_instead(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_device(spec: object, kind: str) -> object:
        raise AudioError(f"no {kind} device found: connect a microphone and try again")

    monkeypatch.setattr("voicecoach.cli.run.find_device", no_device)
    assert main(["run"]) == 5
    [line] = capsys.readouterr().err.strip().splitlines()
    for way in ("run --text", "voicecoach demo", "--input"):
        assert way in line


def test_routine_starts_that_routine_without_its_name_being_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("stop\nstop\n"))
    assert main(["run", "--text", "--quiet", "--speed", "50", "--routine", "back"]) == 0
    out = capsys.readouterr().out
    assert "four gentle moves" in out  # the back routine's introduction
    assert cue("ready") not in out  # no waiting for "start back routine"
    with HistoryStore.open() as store:
        [session] = store.recent(1)
    assert (session.routine, session.outcome, session.practice) == ("back", "stopped", True)


def test_an_unknown_routine_is_a_usage_mistake_before_anything_is_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["run", "--text", "--quiet", "--routine", "neck"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "neck" in err and "back" in err and len(err.strip().splitlines()) == 1


def test_an_unknown_voice_on_the_command_line_is_one_line_naming_the_flag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["run", "--text", "--voice", "no-such-voice"]) == 6
    out, err = capsys.readouterr()
    [line] = err.strip().splitlines()
    assert out == "" and "--voice" in line and "voicecoach voices" in line
