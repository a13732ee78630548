"""A whole back routine on a fake clock, steered by scripted commands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from session_driver import Driver

from voicecoach.coaching import events as ev
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.routines.library import find_routine
from voicecoach.voice.speaker import RecordingSpeaker

GOLDEN = Path(__file__).parent / "golden" / "back_session.txt"


def at(state: str, move: str | None = None, round_: int | None = None) -> object:
    def check(s: Session) -> bool:
        if s.state != state:
            return False
        seg = s.segment
        return (move is None or seg.move.id == move) and (round_ is None or seg.round == round_)

    return check


def scripted_session() -> Driver:
    d = Driver()
    d.run(1.0)
    d.say("start", routine="back")
    d.run_until(at("positioning", "sky_high_stretch"))
    d.run(3.0)
    d.say("next")  # ready: start the hold now
    d.run(4.0)
    d.say("how_long")
    d.run_until(at("holding", "sky_high_stretch"))  # still the right side
    d.run_until(at("positioning", "pelvic_tilt"))
    d.run(2.0)
    d.say("resume")  # "I'm ready" during a position change
    d.run_until(lambda s: s.state == "repping" and s.rep >= 3)
    d.say("repeat")
    d.run(2.0)
    d.say("previous")  # back to the start of the move before
    d.run_until(at("positioning", "pelvic_tilt"))
    d.say("next")  # skip the wait, go straight into the reps
    d.say("next")  # skip the set
    d.run_until(at("holding", "knee_lift", 0))
    d.run(12.0)
    d.say("pause")
    d.run(30.0)
    d.say("how_long", scope="hold")
    d.say("resume")
    d.run_until(at("resting", "knee_lift", 1))
    d.say("whats_next")
    d.run_until(at("holding", "knee_lift", 2))
    d.run(3.0)
    d.say("restart")
    d.run_until(lambda s: s.state == "repping" and s.rep >= 2)
    d.say("slower")
    d.run_until(lambda s: s.state == "finished")
    d.run(1.0)
    return d


def test_whole_back_routine_matches_the_golden_transcript() -> None:
    text = "\n".join(scripted_session().transcript) + "\n"
    if os.environ.get("VOICECOACH_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_pause_keeps_the_remaining_hold_time() -> None:
    d = Driver()
    d.say("start")
    d.run_until(at("holding", "knee_lift", 0))
    d.run(12.0)
    before = d.session.remaining()
    d.say("pause")
    assert d.session.state == "paused"
    d.run(45.0)
    assert d.session.remaining() == pytest.approx(before, abs=0.1)
    d.say("resume")
    assert d.speaker.said[-1] == f"Picking up. {round(before)} seconds left."
    resumed = d.clock.now()
    d.run_until(lambda s: s.state != "holding")
    assert d.clock.now() - resumed == pytest.approx(before, abs=0.1)
    hold = [e for e in d.events if e.kind == ev.HOLD_DONE][-1]
    assert hold.detail["actual"] == pytest.approx(30, abs=0.2)  # the pause is not counted


def test_pause_during_reps_keeps_the_rep_count() -> None:
    d = Driver()
    d.say("start")
    d.run_until(lambda s: s.state == "repping" and s.rep == 6)
    d.say("pause")
    d.run(60.0)
    assert (d.session.state, d.session.rep) == ("paused", 6)
    assert d.speaker.said[-1] == "Paused after rep 6 of 10. Say resume when you are ready."
    d.say("resume")
    assert d.session.rep == 6
    assert d.speaker.said[-2:] == ["Picking up at rep 7 of 10.", "7. Breathe out, flatten."]


def test_a_lost_microphone_pauses_and_its_return_resumes() -> None:
    d = Driver()
    d.say("pause", device="lost")
    d.say("resume", device="back")
    assert (d.session.state, d.speaker.said) == ("idle", [])
    d.say("start")
    d.run_until(at("holding", "sky_high_stretch"))
    d.run(3.0)
    d.say("pause", device="lost")
    left = d.session.remaining()
    d.run(20.0)
    d.say("resume", device="back")
    assert d.session.state == "holding"
    assert d.session.remaining() == pytest.approx(left, abs=0.1)
    d.run_until(at("positioning", "pelvic_tilt"))
    d.say("resume", device="back")  # not paused: must not skip the wait
    assert d.session.state == "positioning"


def test_stop_asks_for_confirmation_and_keeps_the_place() -> None:
    d = Driver()
    d.say("start")
    d.run_until(at("holding", "sky_high_stretch"))
    d.run(5.0)
    d.say("stop")
    assert d.session.state == "paused"
    assert "Say stop again" in d.speaker.said[-1]
    left = d.session.remaining()
    d.say("resume")
    assert d.session.state == "holding"
    assert d.session.remaining() == pytest.approx(left, abs=0.1)
    d.say("stop")
    d.say("stop")
    assert d.session.state == "stopped"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("next", "There is nothing running. Say start back routine to begin."),
        ("pause", "There is nothing running. Say start back routine to begin."),
        ("resume", "There is nothing running. Say start back routine to begin."),
        ("how_long", "The back routine takes about 5 minutes 16 seconds."),
        ("repeat", "There is nothing to repeat yet."),
    ],
)
def test_commands_that_do_not_fit_get_a_short_answer(command: str, reply: str) -> None:
    d = Driver()
    d.say(command)
    assert d.session.state == "idle"
    assert d.speaker.said == [reply]


def test_unknown_routine_is_answered_and_nothing_starts() -> None:
    d = Driver()
    d.say("start", routine="yoga")
    assert d.session.state == "idle"
    assert d.speaker.said == ["I don't know a routine called yoga. I know back."]


def test_a_broken_user_routine_is_explained_not_crashed_on(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "routines"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("name: mine\ntitle: Mine\n")
    d = Driver()
    d.say("start", routine="mine")
    assert d.session.state == "idle"
    assert d.speaker.said == [
        "The mine routine file has a mistake in it. The details are on the screen."
    ]


def test_settings_scale_holds_and_switch_moves_off() -> None:
    from voicecoach.coaching.plan import Timing

    d = Driver(CoachOptions(timing=Timing(hold_scale=1.5), skip_moves=frozenset({"pelvic_tilt"})))
    d.say("start")
    d.run_until(at("holding", "sky_high_stretch"))
    assert d.session.remaining() == pytest.approx(22.5, abs=0.1)
    d.run_until(at("positioning"))
    assert d.session.segment.move.id == "knee_lift"


def test_safety_note_is_said_only_when_asked() -> None:
    safety = "One thing first."
    d = Driver(CoachOptions(safety_note=False))
    d.say("start")
    assert not any(s.startswith(safety) for s in d.speaker.said)
    d = Driver()
    d.say("start")
    assert any(s.startswith(safety) for s in d.speaker.said)


def test_short_cues_only_for_a_routine_the_person_knows() -> None:
    intro = find_routine("back").intro  # type: ignore[union-attr]
    knows_another = Driver(CoachOptions(known_routines=frozenset({"neck"})))
    knows_another.say("start")
    assert intro in knows_another.speaker.said
    knows_back = Driver(CoachOptions(known_routines=frozenset({"back"})))
    knows_back.say("start")
    assert intro not in knows_back.speaker.said
    assert "Back routine." in knows_back.speaker.said


def test_quiet_for_counts_down_to_the_next_thing_the_coach_says() -> None:
    import math

    d = Driver()
    assert d.session.quiet_for() == math.inf  # nothing timed before the start
    d.say("start")
    d.run_until(at("holding", "sky_high_stretch"))
    cues_at = [d.clock.now() + d.session.quiet_for()]
    said = len(d.speaker.said)
    d.run_until(lambda s: len(d.speaker.said) > said)
    assert d.clock.now() == pytest.approx(cues_at[0], abs=0.11)  # it spoke when foretold
    d.say("pause")
    assert d.session.quiet_for() == math.inf


class TalkingSpeaker(RecordingSpeaker):
    """A speaker still saying something: a command now is said over it."""

    def is_speaking(self) -> bool:
        return True


def test_a_command_said_while_the_coach_talks_cuts_it_off_then_is_carried_out() -> None:
    d = Driver()
    d.say("start", routine="back")
    d.run_until(at("positioning", "sky_high_stretch"))
    speaker = TalkingSpeaker()
    d.session.speaker = speaker
    d.say("next")
    assert speaker.interrupts == 1
    assert d.session.state == "holding"  # carried out: the hold began
    assert speaker.said  # and the coach said so, after the cut
    d.say("pause", device="lost")  # no one's words: nothing is cut off for it
    assert speaker.interrupts == 2  # the pause itself still stops the speech, once
    d.say("resume", device="back")
    assert speaker.interrupts == 2


def test_a_command_said_in_a_silence_cuts_nothing_off() -> None:
    d = Driver()
    d.say("start", routine="back")
    d.run_until(at("positioning", "sky_high_stretch"))
    d.say("how_long")
    assert d.speaker.interrupts == 0
