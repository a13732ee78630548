"""The installed voices: the espeak-ng listing, and which voice settings the speaker accepts."""

from __future__ import annotations

import shutil

import pytest
from silent_player import SilentPlayer

from voicecoach.errors import AudioError
from voicecoach.voice import voices as voices_mod
from voicecoach.voice.tts import Pyttsx3Speaker
from voicecoach.voice.voices import (
    DEFAULT_VOICE_ID,
    VoiceInfo,
    find_voice,
    installed_variants,
    installed_voices,
    parse_variant_list,
    parse_voice_list,
    voice_problem,
)

# Lines as espeak-ng 1.51 prints them: names with _ for spaces, a language wider than its
# column, other languages in brackets, and a variant whose file name holds a space.
VOICES_TEXT = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  art-lojban      --/M      Lojban             art/jbo
 5  art-piqd        --/M      Klingon            art/piqd
 5  chr-US-Qaaa-x-west --/M      Cherokee_          iro/chr
 5  cmn-latn-pinyin --/M      Chinese_(Mandarin,_latin_as_Pinyin) sit/cmn-Latn-pinyin  (zh-cmn 5)(zh 5)
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
"""
VARIANTS_TEXT = """\
Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  variant         --/M      Alex               !v/Alex
 5  variant         --/F      female3            !v/f3
 5  variant         --/M      male3              !v/m3
 5  variant         --/M      Mr_Serious         !v/Mr serious
 5  variant         --/M      Storm              !v/Storm             (en-us 5)
"""
VOICES = parse_voice_list(VOICES_TEXT)
VARIANTS = parse_variant_list(VARIANTS_TEXT)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng")


def test_the_listing_is_parsed_into_ids_names_and_languages() -> None:
    assert [v.id for v in VOICES] == [
        "art/jbo",
        "art/piqd",
        "iro/chr",
        "sit/cmn-latn-pinyin",
        "gmw/en",
        "gmw/en-us",
    ]
    by_id = {v.id: v for v in VOICES}
    assert by_id["gmw/en-us"] == VoiceInfo("gmw/en-us", "English (America)", ("en-us", "en"))
    assert by_id["sit/cmn-latn-pinyin"].name == "Chinese (Mandarin, latin as Pinyin)"
    assert by_id["sit/cmn-latn-pinyin"].languages == ("cmn-latn-pinyin", "zh-cmn", "zh")
    assert by_id["iro/chr"].name == "Cherokee"
    assert by_id["iro/chr"].languages == ("chr-us-qaaa-x-west",)
    assert all(v.engine == "pyttsx3" for v in VOICES)


def test_variant_files_keep_their_case_and_spaces() -> None:
    assert [v.id for v in VARIANTS] == ["Alex", "f3", "m3", "Mr serious", "Storm"]
    assert VARIANTS[3].name == "Mr Serious"


@pytest.mark.parametrize(
    ("wanted", "voice"),
    [
        ("gmw/en-us", "gmw/en-us"),
        ("gmw/en-US", "gmw/en-us"),
        ("GMW/EN-US", "gmw/en-us"),
        ("en-us", "gmw/en-us"),
        ("en", "gmw/en"),
        ("piqd", "art/piqd"),
        ("cmn-Latn-pinyin", "sit/cmn-latn-pinyin"),
        ("en-us+f3", "gmw/en-us"),
        ("gmw/en+Alex", "gmw/en"),
        ("en+Mr serious", "gmw/en"),
        ("en-us+m3", "gmw/en-us"),
    ],
)
def test_ids_and_their_last_part_with_an_exact_variant_are_accepted(
    wanted: str, voice: str
) -> None:
    found = find_voice(wanted, VOICES, VARIANTS)
    assert found is not None and found.id == voice
    assert voice_problem(wanted, VOICES, VARIANTS) is None


@pytest.mark.parametrize(
    ("wanted", "words"),
    [
        ("klingon", ["voice's name", 'voice = "art/piqd"', "voicecoach voices"]),
        ("English (America)", ["voice's name", 'voice = "gmw/en-us"']),
        ("English (America)+f3", ['voice = "gmw/en-us+f3"']),
        ("en-uss", ["not an installed voice", "did you mean 'en-us'?", "voicecoach voices"]),
        ("bird", ["not an installed voice", "voicecoach voices"]),
        ("en-us+alex", ["'alex' is not a variant", "did you mean 'Alex'?", "--variants"]),
        ("en-us+F3", ["'F3' is not a variant", "written exactly"]),
        ("en-us+3", ["'3' is not a variant"]),  # espeak-ng would make it m3
        ("en-us+", ["'' is not a variant"]),
        ("en+f3+m3", ["'f3+m3' is not a variant"]),
        ("f3", ["variant, not a voice", '"en-us+f3"']),
        ("alex", ["variant, not a voice", '"en-us+Alex"']),
        (" en-us", ["spaces around it"]),
        ("   ", ["spaces around it"]),
        ("gmw", ["not an installed voice"]),
        ("gmw//en", ["not an installed voice"]),
        ("+f3", ["not an installed voice"]),
    ],
)
def test_what_the_speaker_refuses_is_explained(wanted: str, words: list[str]) -> None:
    assert find_voice(wanted, VOICES, VARIANTS) is None
    problem = voice_problem(wanted, VOICES, VARIANTS)
    assert problem is not None and "\n" not in problem
    for word in words:
        assert word in problem


def test_a_voice_of_another_engine_is_not_taken_for_a_pyttsx3_voice() -> None:
    piper = VoiceInfo("en_US-lessac-medium", "Lessac", ("en-us",), engine="piper")
    assert find_voice("en_US-lessac-medium", [*VOICES, piper], VARIANTS) is None


def test_no_espeak_ng_is_an_audio_error_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AudioError, match="apt-get install espeak-ng") as caught:
        installed_voices()
    assert caught.value.exit_code == 5


def test_a_failing_listing_is_an_audio_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices_mod, "espeak_binary", lambda: "false")  # exits 1, says nothing
    with pytest.raises(AudioError, match=r"cannot list its voices \(exit code 1\)"):
        installed_variants()


@needs_espeak
def test_the_installed_voices_hold_the_default_and_the_variants() -> None:
    voices = installed_voices()
    ids = {v.id for v in voices}
    assert {DEFAULT_VOICE_ID, "gmw/en-us"} <= ids
    assert len(ids) == len(voices)  # one line per voice
    last_parts = [i.rsplit("/", 1)[-1] for i in ids]
    assert len(set(last_parts)) == len(last_parts)  # find_voice relies on it, as espeak-ng does
    assert {"f3", "m3", "klatt"} <= {v.id for v in installed_variants()}


# The speaker decides, the check must agree: each value is given to a real Pyttsx3Speaker
# (about 0.1 s each). The check is stricter only where the speaker would be silent or broken.
SPEAKER_CASES = [
    "gmw/en-us", "GMW/EN-US", "en-us", "en", "de", "piqd", "cmn-Latn-pinyin",
    "en-us+f3", "gmw/en-US+Alex", "en+klatt",
    "en-us+alex", "en-us+F3", "en-us+3", "gmw/en+", "en+f3+f4", "gmw/en-us+nosuch",
    "English (America)", "klingon", "en-uss", "gmw", "+f3", "zz",
]  # fmt: skip


@needs_espeak
def test_the_check_accepts_exactly_what_the_speaker_accepts() -> None:
    voices, variants = installed_voices(), installed_variants()
    disagree = []
    for wanted in SPEAKER_CASES:
        try:
            Pyttsx3Speaker(voice=wanted, player=SilentPlayer(realtime=False)).close()
            speaker_took = True
        except AudioError:
            speaker_took = False
        if speaker_took != (find_voice(wanted, voices, variants) is not None):
            disagree.append(wanted)
    assert disagree == []
    for mute in ("f3", "mb-en1"):  # the speaker takes these; one has no language, one no sound
        assert find_voice(mute, voices, variants) is None
