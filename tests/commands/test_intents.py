from pathlib import Path

import pytest
from hassil.sample import sample_intents

from voicecoach.commands import names as commands
from voicecoach.commands.intents import CommandIntents, load_intents, normalize
from voicecoach.errors import ConfigError


@pytest.fixture(scope="module")
def intents() -> CommandIntents:
    return load_intents(routine_names=["back", "hip openers"])


def test_every_command_has_six_phrasings(intents: CommandIntents) -> None:
    assert set(intents.names) == set(commands.ALL)
    for name in commands.ALL:
        sentences = set(
            sample_intents(intents.intents, slot_lists=intents.slot_lists, intent_names={name})
        )
        assert len(sentences) >= 6, name


@pytest.mark.parametrize(
    ("text", "name", "slots"),
    [
        ("pause", "pause", {}),
        ("Hold on!", "pause", {}),
        ("wait", "pause", {}),
        ("give me a second", "pause", {}),
        ("pause the timer", "pause", {}),
        ("resume", "resume", {}),
        ("continue", "resume", {}),
        ("keep going", "resume", {}),
        ("go on", "resume", {}),
        ("I'm ready", "resume", {}),
        ("ready", "resume", {}),
        ("next", "next", {}),
        ("Next one.", "next", {}),
        ("skip", "next", {}),
        ("move on", "next", {}),
        ("repeat", "repeat", {}),
        ("say that again", "repeat", {}),
        ("what was that?", "repeat", {}),
        ("come again", "repeat", {}),
        ("start over", "restart", {}),
        ("Start back routine", "start", {"routine": "back"}),
        ("start my routine", "start", {"routine": "back"}),
        ("start the back routine", "start", {"routine": "back"}),
        ("start my back routine", "start", {"routine": "back"}),
        ("let's do the hip openers", "start", {"routine": "hip openers"}),
        ("start", "start", {}),
        ("how much longer in this hold", "how_long", {"scope": "hold"}),
        ("how long is left in the routine", "how_long", {"scope": "routine"}),
        ("how much longer", "how_long", {}),
        ("what's next", "whats_next", {}),
        ("what\u2019s next", "whats_next", {}),
        ("go back", "previous", {}),
        ("STOP", "stop", {}),
        ("help", "help", {}),
        ("slow down", "slower", {}),
        ("speed up", "faster", {}),
        ("how am I doing", "progress", {}),
        ("next, please", "next", {}),
    ],
)
def test_phrasings_match(
    intents: CommandIntents, text: str, name: str, slots: dict[str, str]
) -> None:
    command = intents.match(text)
    assert command is not None, text
    assert command.name == name
    assert command.slots == slots


@pytest.mark.parametrize(
    "text",
    [
        "next week",
        "I paused the video",
        "hold for fifteen seconds",
        "",
        "   ",
        "switch sides",
        "let's start the my",  # "my" names the default routine; it takes no "the"
    ],
)
def test_other_speech_matches_nothing(intents: CommandIntents, text: str) -> None:
    assert intents.match(text) is None


def test_normalize_strips_case_and_punctuation() -> None:
    assert normalize("  What's   NEXT?! ") == "what's next"
    assert normalize("\u2018hold on\u2019") == "hold on"


def test_custom_intents_file_with_own_lists(tmp_path: Path) -> None:
    f = tmp_path / "lights.yaml"
    f.write_text(
        "language: en\n"
        "intents:\n"
        "  light_on:\n"
        "    data:\n"
        "      - sentences: ['turn on [the] {room} light']\n"
        "lists:\n"
        "  room:\n"
        "    values: [kitchen, {in: 'living room', out: living}]\n"
    )
    ci = load_intents(f)
    living, kitchen = ci.match("turn on the living room light"), ci.match("turn on kitchen light")
    assert living is not None and living.slots == {"room": "living"}
    assert kitchen is not None and kitchen.name == "light_on"
    assert ci.match("pause") is None


def test_missing_or_bad_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_intents(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("intents: [1, 2\n")
    with pytest.raises(ConfigError):
        load_intents(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("language: en\n")
    with pytest.raises(ConfigError, match="intents"):
        load_intents(empty)
