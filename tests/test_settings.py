"""Personal settings: defaults, the TOML file, environment overrides and clear errors."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecoach.errors import ConfigError
from voicecoach.settings import (
    DEFAULTS,
    ENV_PREFIX,
    KEYS,
    SPECS,
    Settings,
    Spec,
    check_value,
    default_path,
    example_config,
    load_settings,
)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def test_without_a_file_every_value_is_the_default(cfg: Path) -> None:
    settings, sources = load_settings(cfg, env={})
    assert settings == Settings()
    assert set(sources) == set(KEYS)
    assert set(sources.values()) == {"default"}


def test_values_from_the_file_are_used_and_attributed(cfg: Path) -> None:
    cfg.write_text(
        'hold_scale = 1.5\nvoice = "en-gb"\ndisabled_moves = ["bird dog"]\n'
        'verbosity = "short"\nvolume = 1\nrest_seconds = 20\nhistory = false\n'
    )
    settings, sources = load_settings(cfg, env={})
    assert settings.hold_scale == 1.5
    assert settings.voice == "en-gb"
    assert settings.disabled_moves == ("bird dog",)
    assert settings.verbosity == "short"
    assert settings.volume == 1.0 and isinstance(settings.volume, float)
    assert settings.rest_seconds == 20.0 and settings.history is False
    assert sources["hold_scale"] == f"config file {cfg}"
    assert sources["speech_rate"] == "default"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hold_scal = 2", ["unknown setting 'hold_scal'", "did you mean hold_scale"]),
        ("hold_scale = 5", ["hold_scale", "between 0.5 and 3", "not 5"]),
        ('hold_scale = "long"', ["hold_scale", "must be a number"]),
        ("volume = true", ["volume", "must be a number"]),
        ("speech_rate = 150.5", ["speech_rate", "whole number"]),
        ('verbosity = "loud"', ["verbosity", "full, short, auto"]),
        ('disabled_moves = "bridge"', ["disabled_moves", "list of move names"]),
        ('history = "yes"', ["history", "true or false"]),
        ("hold_scale = ", ["not valid TOML"]),
        ("[speech]\nrate = 150", ["unknown setting 'speech'"]),
    ],
)
def test_bad_files_give_one_line_naming_file_key_and_reason(
    cfg: Path, text: str, words: list[str]
) -> None:
    cfg.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(cfg))
    for word in words:
        assert word in message
    assert caught.value.exit_code == 6


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path, env={})  # a folder, not a file


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1),  # a picture saved over it
        (b'hold_scale = 1.5\nvoice = "caf\xe9"\n', 2),  # Latin-1, not UTF-8
        (b"hold_scale = 1.5\n\n\x00\x00\x00\x00", 3),  # zeroed by a crash: valid UTF-8
        (b"\xef\xbb\xbfhold_scale = 1.5\n\xff", 2),  # a BOM, then a bad byte
    ],
)
def test_a_file_that_is_not_text_is_one_line_naming_file_and_line(
    cfg: Path, data: bytes, line: int
) -> None:
    cfg.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    message = str(caught.value)
    assert message.startswith(f"{cfg}: not a text file (line {line} holds bytes")
    assert "\n" not in message and "voicecoach config init" in message
    assert caught.value.exit_code == 6


def test_a_byte_order_mark_is_fine(cfg: Path) -> None:
    cfg.write_bytes(b'\xef\xbb\xbfhold_scale = 1.5\r\nvoice = "caf\xc3\xa9"\r\n')  # Notepad
    settings, _ = load_settings(cfg, env={})
    assert settings.hold_scale == 1.5 and settings.voice == "café"


def test_a_file_without_permission_to_read_is_one_line(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg.write_text("hold_scale = 1.5\n")
    real_read = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path == cfg:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    assert str(caught.value) == f"{cfg}: cannot read it: Permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_permission_to_read_is_one_line_for_real(cfg: Path) -> None:
    cfg.write_text("hold_scale = 1.5\n")
    cfg.chmod(0)
    with pytest.raises(ConfigError, match="cannot read it: Permission denied"):
        load_settings(cfg, env={})


def test_environment_overrides_the_file(cfg: Path) -> None:
    cfg.write_text("hold_scale = 1.5\nspeech_rate = 120\n")
    env = {"VOICECOACH_HOLD_SCALE": "2", "VOICECOACH_DISABLED_MOVES": "bridge, bird dog"}
    settings, sources = load_settings(cfg, env=env)
    assert settings.hold_scale == 2.0 and settings.speech_rate == 120
    assert settings.disabled_moves == ("bridge", "bird dog")
    assert sources["hold_scale"] == "environment VOICECOACH_HOLD_SCALE"
    assert sources["speech_rate"] == f"config file {cfg}"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("VOICECOACH_HOLD_SCALE", "lots", "must be a number"),
        ("VOICECOACH_SPEECH_RATE", "2.5", "whole number"),
        ("VOICECOACH_HISTORY", "maybe", "true or false"),
        ("VOICECOACH_VOLUME", "3", "between 0 and 1"),
    ],
)
def test_bad_environment_values_name_the_variable(
    cfg: Path, name: str, value: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={name: value})
    assert str(caught.value).startswith(f"environment {name}:")
    assert words in str(caught.value)


def test_default_path_follows_the_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICECOACH_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text("rep_pace = 2\n")
    assert default_path() == tmp_path / "config.toml"
    assert load_settings()[0].rep_pace == 2.0


def test_auto_verbosity_goes_short_once_the_routine_is_known() -> None:
    auto = Settings(verbosity="auto", full_sessions=3)
    assert [auto.cue_style(n) for n in range(5)] == ["full"] * 3 + ["short"] * 2
    assert Settings(verbosity="short").cue_style(0) == "short"
    assert Settings(verbosity="full").cue_style(99) == "full"


def test_the_example_file_loads_and_matches_the_defaults(cfg: Path) -> None:
    text = example_config()
    cfg.write_text(text)
    assert load_settings(cfg, env={})[0] == DEFAULTS  # everything commented out
    for key in KEYS:
        assert f"# {key} = " in text
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and " = " in line else line for line in text.splitlines()
    )
    cfg.write_text(uncommented)
    settings, sources = load_settings(cfg, env={})
    assert set(tomllib.loads(uncommented)) == set(KEYS)
    for key in KEYS:
        if getattr(DEFAULTS, key) is not None:
            assert getattr(settings, key) == getattr(DEFAULTS, key), key
        assert sources[key] == f"config file {cfg}"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_hold_scale_is_accepted_exactly_inside_its_range(value: float) -> None:
    if 0.5 <= value <= 3.0:
        assert check_value("hold_scale", value) == value
    else:
        with pytest.raises(ValueError, match="between"):
            check_value("hold_scale", value)


def test_the_spec_table_drives_keys_example_file_and_checks(cfg: Path) -> None:
    assert KEYS == tuple(f.name for f in dataclasses.fields(Settings)) == tuple(SPECS)
    text = example_config()
    for key, spec in SPECS.items():
        assert spec.explain and "\n" not in spec.explain, key
        assert spec.default == getattr(DEFAULTS, key), key
        assert f"\n# {spec.explain}\n# {key} = " in text, key  # the note sits above its key
        cfg.write_text(f"{key} = {{ wrong = 1 }}\n")  # a TOML table: the wrong type for any key
        with pytest.raises(ConfigError) as caught:
            load_settings(cfg, env={})
        if spec.kind != "choice":
            assert str(caught.value) == f"{cfg}: {key} {spec.problem()}"
        name = ENV_PREFIX + key.upper()
        if spec.kind in ("whole", "number", "flag"):
            with pytest.raises(ConfigError) as caught:
                load_settings(cfg.with_name("none.toml"), env={name: "wrong"})
            assert str(caught.value) == f"environment {name}: {key} {spec.problem()}"


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("whole", "must be a whole number"),
        ("number", "must be a number"),
        ("flag", "must be true or false"),
    ],
)
def test_each_kind_has_its_documented_message(kind: str, problem: str) -> None:
    assert any(spec.kind == kind for spec in SPECS.values())
    assert all(spec.problem() == problem for spec in SPECS.values() if spec.kind == kind)


def test_an_incomplete_spec_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="range"):
        Spec("number", 1.0)
    with pytest.raises(TypeError, match="choices"):
        Spec("choice", "auto")
    with pytest.raises(TypeError, match="example"):
        Spec("text", None)
