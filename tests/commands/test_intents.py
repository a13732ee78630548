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


def one_line_config_error(path: Path) -> str:
    """The ConfigError that loading ``path`` raises: one line naming the file."""
    with pytest.raises(ConfigError) as caught:
        load_intents(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 5000, "not valid YAML: nested too deeply"),
        (b"intents: " + b"{a: " * 5000, "not valid YAML: nested too deeply"),
        ("".join(" " * i + "a:\n" for i in range(700)).encode(), "nested too deeply"),
        ("intents: {caf\u00e9: x}\n".encode("latin-1"), "is not UTF-8 text"),
        (bytes(range(256)) * 4, "is not UTF-8 text"),
        (b"", "the file is empty"),
        (b"- a\n- list\n", "expected a mapping of intents at the top, got a list"),
        (b"intents: !!int abc\n", "cannot read a value"),
        (b"intents: {}\nlists: [1]\n", "'lists:' must be a mapping"),
        (b"intents: {}\nlists: {routine: abc}\n", "the list 'routine' must be a mapping"),
    ],
    ids=[
        "deep list", "deep flow mapping", "deep block mapping", "latin-1", "binary", "empty",
        "a list", "bad tag", "lists not a mapping", "routine list not a mapping",
    ],
)  # fmt: skip
def test_unreadable_intents_files_are_one_line(
    content: bytes, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "intents.yaml"
    path.write_bytes(content)
    assert message in one_line_config_error(path)


def intents_file(tmp_path: Path, sentence: str, extra: str = "") -> Path:
    path = tmp_path / "intents.yaml"
    path.write_text(
        f"language: en\n{extra}intents:\n  go:\n    data:\n      - sentences: [{sentence!r}]\n"
    )
    return path


@pytest.mark.parametrize(
    ("sentence", "message"),
    [
        ("(a|" * 3000 + "b" + ")" * 3000, "a template is nested too deeply"),
        ("(a|" * 50 + "b" + ")" * 50, "intent 'go': a template is nested more than 40 groups deep"),
        ("go (left|right", "is not valid hassil YAML: Unable to find end of group"),
        ("go <nowhere>", "intent 'go': uses <nowhere> but there is no such expansion rule"),
        ("go {nowhere}", "intent 'go': uses {nowhere} but there is no such list"),
    ],
    ids=["very deep", "deep", "unbalanced", "unknown rule", "unknown list"],
)
def test_broken_templates_fail_at_load_not_on_the_first_match(
    sentence: str, message: str, tmp_path: Path
) -> None:
    # hassil parses templates when first matched: on the typed-commands thread, or the
    # listener's; there a broken one was a traceback and a dead thread.
    assert message in one_line_config_error(intents_file(tmp_path, sentence))


def test_rules_lists_and_ranges_that_exist_are_fine(tmp_path: Path) -> None:
    rules = "expansion_rules:\n  side: (left|right)\nlists:\n  speed:\n    values: [slow, fast]\n"
    ci = load_intents(intents_file(tmp_path, "go <side> {speed} {1..10:times}", rules))
    command = ci.match("go left fast 3")
    assert command is not None and command.slots["speed"] == "fast" and "times" in command.slots
    assert load_intents(intents_file(tmp_path, "start {routine}")).match("start back")
