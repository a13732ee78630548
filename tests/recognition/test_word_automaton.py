"""The minimal word automaton the PocketSphinx search runs on."""

import itertools
from collections import Counter
from pathlib import Path

import pytest
from bigintents import write_big_intents
from hassil.sample import sample_expression
from speech import needs_espeak, synth, with_silence

from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.recognition import word_automaton
from voicecoach.recognition.grammar import Grammar, compile_grammar, spoken
from voicecoach.recognition.pocketsphinx_engine import PocketSphinxRecognizer
from voicecoach.recognition.word_automaton import Automaton, TooLarge, minimal_automaton
from voicecoach.recognition.word_automaton import word_automaton as nfa


def everything(word: str) -> bool:
    return True


def accepts(auto: Automaton, sentence: str) -> bool:
    """Walk a deterministic automaton word by word."""
    step = {(a, w): b for a, w, b in auto.arcs}
    state: int | None = auto.start
    for word in sentence.split():
        state = step.get((state, word))  # type: ignore[arg-type]
        if state is None:
            return False
    return state in auto.finals


def sentences(auto: Automaton, limit: int = 10_000) -> set[str]:
    """Every sentence of an acyclic automaton with empty transitions (a few, for tests)."""
    leaving: dict[int, list[tuple[str | None, int]]] = {}
    for a, w, b in auto.arcs:
        leaving.setdefault(a, []).append((w, b))
    out: set[str] = set()
    todo: list[tuple[int, tuple[str, ...]]] = [(auto.start, ())]
    while todo:
        state, words = todo.pop()
        if state in auto.finals:
            out.add(" ".join(words))
        for w, b in leaving.get(state, []):
            todo.append((b, words if w is None else (*words, w)))
        assert len(todo) < limit
    return out


def spoken_phrasings(ci: CommandIntents, per_template: int = 50) -> set[str]:
    lists = ci.all_lists()
    out: set[str] = set()
    for intent in ci.intents.intents.values():
        for data in intent.data:
            if spoken(data):
                for sentence in data.sentences:
                    expansions = sample_expression(sentence.expression, lists)
                    out.update(" ".join(s.split()) for s in itertools.islice(expansions, 50))
    return out


def grammar_of(tmp_path: Path, *templates: str) -> Grammar:
    f = tmp_path / "i.yaml"
    body = "".join(f"        - {t!r}\n" for t in templates)
    f.write_text(
        "language: en\nlists:\n  color:\n    values: [red, dark red, blue]\n"
        f"intents:\n  paint:\n    data:\n      - sentences:\n{body}"
    )
    return compile_grammar(load_intents(f), everything)


def test_same_sentences_as_the_grammar_without_empty_transitions(tmp_path: Path) -> None:
    grammar = grammar_of(
        tmp_path,
        "[please] paint (it|the wall) {color}",
        "(paint;{color}) now",
        "[[very] quickly] paint it {color} [please]",
    )
    loose = nfa(grammar)
    tight = minimal_automaton(grammar)
    expected = sentences(loose)
    assert "please paint the wall dark red" in expected and "red paint now" in expected
    assert sentences(tight) == expected
    assert all(w is not None for _, w, _ in tight.arcs)  # no empty transitions
    assert max(Counter((a, w) for a, w, _ in tight.arcs).values()) == 1  # deterministic
    assert len(tight.arcs) < len(loose.arcs)


def test_the_coach_commands_are_all_accepted_and_nothing_else() -> None:
    ci = load_intents(routine_names=["back", "neck"])
    auto = minimal_automaton(compile_grammar(ci, everything))
    said = spoken_phrasings(ci)
    assert len(said) > 150
    missing = sorted(s for s in said if not accepts(auto, s))
    assert not missing
    for other in ["start start", "pause the", "next week", "the pause", "keep the change", ""]:
        assert not accepts(auto, other), other
    assert auto.states < 200


def test_a_file_of_millions_of_sentences_becomes_a_few_dozen_states(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    assert write_big_intents(f) > 1_000_000
    ci = load_intents(f)
    auto = minimal_automaton(compile_grammar(ci, everything))
    assert auto.states < 100
    assert accepts(auto, "make the kitchen old lamp blue")
    assert not accepts(auto, "make the kitchen kitchen blue")


def test_fsg_transitions_share_each_state_evenly(tmp_path: Path) -> None:
    auto = minimal_automaton(grammar_of(tmp_path, "paint [it] {color}"))
    start, final, transitions = auto.fsg_transitions()
    assert final == auto.states and start == auto.start
    total: dict[int, float] = {}
    for t in transitions:
        total[t[0]] = total.get(t[0], 0.0) + t[2]
    assert all(abs(v - 1.0) < 1e-9 for v in total.values())
    assert {t[3] for t in transitions if t[1] == final} == {"red", "blue"}  # words that end it
    assert {t[1] for t in transitions if t[0] == final} == set()  # nothing follows the end


def test_a_grammar_too_large_to_determinize_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(word_automaton, "MAX_STATES", 5)
    with pytest.raises(TooLarge):
        minimal_automaton(grammar_of(tmp_path, "[please] paint (it|the wall) {color}"))


@needs_espeak
@pytest.mark.slow
def test_the_recognizer_falls_back_to_jsgf_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word_automaton, "MAX_STATES", 5)
    recognizer = PocketSphinxRecognizer(load_intents(routine_names=["back"]))
    text, _ = recognizer.score(with_silence(synth("pause the timer"), 0.2, 0.3))
    assert text == "pause the timer"
