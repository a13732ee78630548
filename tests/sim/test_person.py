"""The demo's simulated person: the script means what it says, tries are counted."""

from __future__ import annotations

import pytest

from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.intents import load_intents
from voicecoach.commands.names import NEXT, RESUME, SLOWER, START, STOP
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.sim.person import SCRIPT, Line, Person, script_for
from voicecoach.voice.speaker import RecordingSpeaker


def always(session: Session) -> bool:
    return True


SESSION = Session(
    find_routine,
    RecordingSpeaker(),
    FakeClock(),
    options=CoachOptions(),
    routine_names=routine_names,
)
TWO = (
    Line("stop", STOP, always, 0.0, ("stop the session", "end the session")),
    Line("continue", RESUME, always, 1.0),
)


@pytest.mark.parametrize("line", SCRIPT, ids=[line.text for line in SCRIPT])
def test_every_way_a_line_is_said_means_its_command(line: Line) -> None:
    intents = load_intents(None, routine_names())
    for words in (line.text, *line.again):
        command = intents.match(words)
        assert command is not None and command.name == line.means, words


def test_a_routine_named_up_front_leaves_out_asking_for_it() -> None:
    assert script_for(None) == SCRIPT
    assert script_for("back") == SCRIPT[1:] and SCRIPT[0].means == START


def test_a_line_waits_until_its_command_is_acted_on_and_counts_the_tries() -> None:
    person = Person(TWO)
    assert person.due(SESSION, 0.0) == "stop"
    assert person.due(SESSION, 5.0) is None  # still waiting for "stop" to be understood
    assert not person.heard(SLOWER)  # "stop" heard as "slow down"
    assert person.say_again() == "stop the session"
    assert person.say_again() == "end the session"
    assert person.heard(STOP) and person.waiting is None
    assert person.due(SESSION, 5.0) is None  # "continue" comes a second later
    assert person.due(SESSION, 6.0) == "continue" and person.heard(RESUME)
    assert person.done and person.missed == []
    assert person.summary() == [
        "'stop' (stop): understood at try 3",
        "'continue' (resume): understood at try 1",
        "2 of 2 scripted commands understood",
    ]


def test_a_line_given_up_on_and_a_line_never_said_are_both_missed() -> None:
    person = Person((*TWO, Line("next", NEXT, lambda s: False)))
    person.due(SESSION, 0.0)
    person.heard(SLOWER)
    person.say_again()
    person.heard(SLOWER)
    person.give_up()
    person.due(SESSION, 0.0)
    person.due(SESSION, 1.0)
    person.heard(RESUME)
    assert not person.done and person.missed == ["stop", "next"]
    assert person.summary() == [
        "'stop' (stop): NEVER understood (2 tries); acted on instead: slower (2 times)",
        "'continue' (resume): understood at try 1",
        "'next' (next): never said",
        "1 of 3 scripted commands understood; never: 'stop', 'next'",
    ]
