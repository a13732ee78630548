"""Settings reach the session: timing, moves switched off, verbosity, the safety note."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pytest

from voicecoach.app.assemble import begin, build_session, coach_options
from voicecoach.app.checks import check_settings
from voicecoach.cli.main import main
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.cues import cue
from voicecoach.coaching.handlers import handle
from voicecoach.errors import ConfigError
from voicecoach.routines.library import find_routine
from voicecoach.settings import Settings
from voicecoach.voice.speaker import RecordingSpeaker

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")


def test_settings_map_onto_coach_options() -> None:
    settings = dataclasses.replace(
        Settings(),
        hold_scale=1.5,
        rep_pace=2.0,
        rest_seconds=20.0,
        disabled_moves=("Knee Lift",),
        verbosity="auto",
        full_sessions=3,
    )
    early = coach_options(settings, times_done={"back": 1}, safety_given=False)
    assert early.timing.hold_scale == 1.5 and early.timing.rep_pace == 2.0
    assert early.timing.rest_seconds == 20.0
    assert early.skip_moves == frozenset({"knee lift"})
    assert early.known_routines == frozenset() and early.safety_note
    later = coach_options(settings, times_done={"back": 3, "neck": 1}, safety_given=True)
    assert later.known_routines == {"back"} and not later.safety_note


def test_safety_note_is_given_once_across_sessions() -> None:
    safety = "One thing first."
    said = []
    for _ in range(2):
        speaker = RecordingSpeaker()
        built = build_session(Settings(), speaker, FakeClock())
        handle(built.session, "start", {})
        built.store.close()
        said.append(any(s.startswith(safety) for s in speaker.said))
    assert said == [True, False]


def test_a_damaged_history_file_is_said_once_and_the_coach_still_runs(tmp_path: Path) -> None:
    db = tmp_path / "data" / "history.sqlite3"
    db.parent.mkdir(parents=True)
    junk = bytes(range(256)) * 40
    db.write_bytes(junk)
    speaker = RecordingSpeaker()
    built = build_session(Settings(), speaker, FakeClock())
    assert speaker.said[0].startswith("History is off today")
    handle(built.session, "start", {})
    assert built.session.state == "intro"
    assert sum(s.startswith("History is off") for s in speaker.said) == 1
    built.store.close()
    assert db.read_bytes() == junk


def test_a_switched_off_move_no_routine_has_is_a_config_error() -> None:
    typo = dataclasses.replace(Settings(), disabled_moves=("Knee lift", "brid dog"))
    with pytest.raises(ConfigError, match=r"'brid dog' is not a move of any routine.*Pelvic tilt"):
        build_session(typo, RecordingSpeaker(), FakeClock())
    by_id = dataclasses.replace(Settings(), disabled_moves=("pelvic_tilt", "KNEE LIFT"))
    build_session(by_id, RecordingSpeaker(), FakeClock()).store.close()


def test_a_routine_left_with_nothing_to_do_stops_before_a_word_is_said() -> None:
    back = find_routine("back")
    assert back is not None
    every = dataclasses.replace(Settings(), disabled_moves=tuple(m.id for m in back.moves))
    speaker = RecordingSpeaker()
    with pytest.raises(ConfigError, match=r"every move of the 'back' routine.*keep at least one"):
        build_session(every, speaker, FakeClock())
    assert speaker.said == []


@needs_espeak
def test_an_unknown_voice_stops_the_session_and_says_how_to_list_voices() -> None:
    speaker = RecordingSpeaker()
    with pytest.raises(ConfigError, match=r"voice: 'klingon' .*`voicecoach voices`"):
        build_session(dataclasses.replace(Settings(), voice="klingon"), speaker, FakeClock())
    assert speaker.said == []
    for default in (None, ""):  # the engine's default voice: nothing to check
        quiet = dataclasses.replace(Settings(), voice=default)
        build_session(quiet, RecordingSpeaker(), FakeClock()).store.close()


@needs_espeak
def test_a_voice_from_the_command_line_is_checked_with_its_source() -> None:
    from_flag = dataclasses.replace(Settings(), voice="en-uss")
    with pytest.raises(ConfigError) as caught:
        check_settings(from_flag, {"voice": "--voice"})
    assert str(caught.value).endswith("; change --voice")
    assert "did you mean 'en-us'?" in str(caught.value)
    check_settings(dataclasses.replace(from_flag, voice="en-us+f3"), {"voice": "--voice"})


def test_without_a_speech_engine_the_voice_is_left_to_the_speaker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    check_settings(dataclasses.replace(Settings(), voice="anything"))


@needs_espeak
def test_a_bad_voice_stops_a_typed_run_with_one_line_and_exit_6(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICECOACH_VOICE", "klingon")
    monkeypatch.setattr("sys.stdin", io.StringIO("start back routine\n"))
    assert main(["run", "--text", "--quiet"]) == 6
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and 'write voice = "art/piqd"' in err
    assert "VOICECOACH_VOICE" in err


def test_the_typo_stops_the_run_with_one_line_and_exit_6(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICECOACH_DISABLED_MOVES", "brid dog")
    monkeypatch.setattr("sys.stdin", io.StringIO("start back routine\n"))
    assert main(["run", "--text", "--quiet"]) == 6
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "brid dog" in err[0] and "VOICECOACH_DISABLED_MOVES" in err[0]


def test_the_session_hands_its_speaker_what_it_will_say_often_or_soon() -> None:
    """Counts, fixed cues and the routine's own sentences, for a slow voice to render while
    it is quiet; the cues still to be filled in are not among them."""
    speaker = RecordingSpeaker()
    built = build_session(Settings(), speaker, FakeClock())
    begin(built)
    built.store.close()
    back = find_routine("back")
    assert back is not None
    assert speaker.said == [cue("ready")]
    prepared = speaker.prepared
    assert {cue("ready"), cue("halfway"), cue("switch_sides"), "3", "3."} <= set(prepared)
    assert back.intro in prepared and back.moves[0].setup[0] in prepared
    assert not any("{" in text for text in prepared)
    assert len(prepared) == len(set(prepared))


def test_a_started_routine_hands_its_plan_lines_to_the_speaker() -> None:
    speaker = RecordingSpeaker()
    built = build_session(Settings(), speaker, FakeClock())
    speaker.prepared.clear()
    handle(built.session, "start", {})
    built.store.close()
    back = find_routine("back")
    assert back is not None and back.moves[1].reps is not None
    prepared = speaker.prepared
    assert prepared[0].startswith("First up:")  # the plan, from its first move
    assert (
        "Switch sides." in prepared
        and cue("reps_start", count=back.moves[1].reps.count) in prepared
    )
    assert any(text.startswith("Round 2 of") for text in prepared)
