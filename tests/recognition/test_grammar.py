import itertools
import re
import time
from pathlib import Path

import pytest
from bigintents import COLORS, ROOMS, write_big_intents
from hassil.sample import sample_expression

from voicecoach.commands.intents import load_intents
from voicecoach.errors import ConfigError
from voicecoach.recognition.grammar import compile_grammar, spoken


def everything(word: str) -> bool:
    return True


def test_jsgf_holds_every_command_phrase_and_the_routine_list() -> None:
    ci = load_intents(routine_names=["back", "neck"])
    jsgf = compile_grammar(ci, everything).to_jsgf()
    assert jsgf.startswith("#JSGF V1.0;")
    assert "public <command> =" in jsgf
    assert re.search(r"<list_routine> = \(\[the\] back \| \[the\] neck \| my\);", jsgf)
    for phrase in ["hold on", "[i'm] ready", "say that again", "move on", "start over"]:
        assert phrase in jsgf


def test_unknown_words_drop_only_their_branch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    f = tmp_path / "i.yaml"
    f.write_text(
        "language: en\nintents:\n  go:\n    data:\n"
        "      - sentences: ['(go|zorblax) now', 'zorblax only']\n"
    )
    g = compile_grammar(load_intents(f), lambda w: w != "zorblax")
    assert g.dropped_words == {"zorblax"}
    assert "go now" in g.to_jsgf() and "zorblax" not in g.to_jsgf()
    assert "zorblax" in caplog.text
    with pytest.raises(ConfigError):
        compile_grammar(load_intents(f), lambda w: False)


def test_phrases_cover_every_branch_within_a_bound() -> None:
    ci = load_intents(routine_names=["back", "neck", "hips"])
    phrases = compile_grammar(ci, everything).phrases(limit=3000)
    joined = "\n".join(phrases)
    for word in ["neck", "hips", "whole thing", "hurry", "pace", "pardon"]:
        assert word in joined
    assert len(phrases) == len(set(phrases)) <= 3000


def test_large_file_compiles_without_expanding_sentences(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    total = write_big_intents(f)
    assert total > 300_000
    began = time.perf_counter()
    ci = load_intents(f)
    grammar = compile_grammar(ci, everything)
    jsgf = grammar.to_jsgf()
    phrases = grammar.phrases(limit=2000)
    assert time.perf_counter() - began < 3.0
    assert len(jsgf) < 20_000  # lists are compiled once into rules
    assert jsgf.count("<list_color>") >= 4
    text = " ".join(phrases)
    assert all(room in text for room in ROOMS)
    assert all(color in text for color in COLORS)
    matched = ci.match("make the kitchen old lamp blue")
    assert matched is not None
    assert matched.slots == {
        "room": "kitchen",
        "thing": "old lamp",
        "color": "blue",
    }


def test_undefined_list_is_a_config_error(tmp_path: Path) -> None:
    f = tmp_path / "i.yaml"
    f.write_text("language: en\nintents:\n  a:\n    data:\n      - sentences: ['go {nowhere}']\n")
    with pytest.raises(ConfigError, match="nowhere"):
        compile_grammar(load_intents(f), everything)


def test_typed_only_phrasings_stay_out_of_the_speech_grammar() -> None:
    ci = load_intents(routine_names=["back"])
    jsgf = compile_grammar(ci, everything).to_jsgf()
    for typed in ["carry on", "a little slower", "quicker", "freeze"]:
        assert ci.match(typed) is not None  # still understood when typed
        assert typed not in jsgf
    for said in ["hold on", "keep going", "say that again", "pick up the pace"]:
        assert said in jsgf


def test_a_grammar_of_some_intents_holds_their_sentences_alone() -> None:
    ci = load_intents(routine_names=["back"])
    stop = [ci.match(p) for p in compile_grammar(ci, everything, only=["stop"]).phrases()]
    assert stop and all(c is not None and c.name == "stop" for c in stop)
    with pytest.raises(ConfigError):
        compile_grammar(ci, everything, only=["no such intent"])


def test_every_command_has_six_spoken_phrasings() -> None:
    ci = load_intents(routine_names=["back"])
    lists = ci.all_lists()
    for name, intent in ci.intents.intents.items():
        said: set[str] = set()
        for data in intent.data:
            if spoken(data):
                for sentence in data.sentences:
                    said.update(
                        itertools.islice(sample_expression(sentence.expression, lists), 200)
                    )
        assert len(said) >= 6, name


def test_lists_of_the_same_name_in_two_intents_keep_their_own_values(tmp_path: Path) -> None:
    f = tmp_path / "i.yaml"
    f.write_text(
        "language: en\nintents:\n"
        "  eat:\n    data:\n      - sentences: ['eat {thing}']\n"
        "        lists: {thing: {values: [apples, pears]}}\n"
        "  read:\n    data:\n      - sentences: ['read {thing}']\n"
        "        lists: {thing: {values: [books, letters]}}\n"
    )
    g = compile_grammar(load_intents(f), everything)
    phrases = set(g.phrases())
    assert {"eat apples", "eat pears", "read books", "read letters"} <= phrases
    assert not {"eat books", "read apples", "read pears", "eat letters"} & phrases
