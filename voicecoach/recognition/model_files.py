"""Finding, checking and downloading Vosk models.

Models are looked for in ``VOICECOACH_VOSK_MODEL`` (one model directory), the
repository's ``models/`` folder and the user data dir's ``models/`` folder.
A download is verified before it is unpacked: the byte count must match the
server's Content-Length, every zip member's CRC must check out, no member may
point outside the target, an optional SHA-256 must match, and the unpacked
folder must have the files a Vosk model needs. The folders, the download of a file and
the staging folder are :mod:`voicecoach.model_store`'s, shared with the Whisper model and
the Piper voices.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from voicecoach.errors import ModelError
from voicecoach.model_store import fetch, staging, user_models_dir
from voicecoach.model_store import search_dirs as search_dirs  # where Vosk models are looked for

log = logging.getLogger(__name__)

MODEL_ENV = "VOICECOACH_VOSK_MODEL"
URL_ENV = "VOICECOACH_MODELS_URL"
DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models"
SUGGESTED = "vosk-model-small-en-us-0.15"


@dataclass(frozen=True)
class ModelCheck:
    """The result of checking one model folder."""

    path: Path
    problems: tuple[str, ...]
    grammar: bool  # has a runtime graph (HCLr.fst + Gr.fst), so grammars work

    @property
    def ok(self) -> bool:
        return not self.problems


def check_model(path: Path) -> ModelCheck:
    """List what keeps ``path`` from being a usable Vosk model (empty when fine)."""
    if not path.is_dir():
        return ModelCheck(path, ("not a directory",), False)
    problems: list[str] = []
    if not (path / "am" / "final.mdl").is_file() and not (path / "final.mdl").is_file():
        problems.append("no acoustic model (am/final.mdl)")
    if not (path / "conf" / "mfcc.conf").is_file() and not (path / "mfcc.conf").is_file():
        problems.append("no feature config (conf/mfcc.conf)")
    graph = path / "graph"
    runtime = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    if not runtime and not (graph / "HCLG.fst").is_file() and not (path / "HCLG.fst").is_file():
        problems.append("no decoding graph (graph/HCLG.fst or graph/HCLr.fst + Gr.fst)")
    return ModelCheck(path, tuple(problems), runtime)


def looks_like_model(path: Path) -> bool:
    """True when ``path`` is meant to be a model (it has an am/ or conf/ folder)."""
    return (path / "am").is_dir() or (path / "conf").is_dir()


def find_models() -> list[Path]:
    """Model folders found in the search dirs (and the env var), usable or not."""
    found: list[Path] = []
    env = os.environ.get(MODEL_ENV)
    if env:
        found.append(Path(env))
    for folder in search_dirs():
        if folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if p.is_dir() and looks_like_model(p)))
    return found


def default_model() -> Path | None:
    """The env var's model if set (even if broken, so its error is shown), else the
    first usable model found, else None."""
    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    for path in find_models():
        if check_model(path).ok:
            return path
    return None


def _url_for(name: str, base_url: str | None) -> str:
    base = base_url or os.environ.get(URL_ENV) or DEFAULT_BASE_URL
    return f"{base.rstrip('/')}/{name}.zip"


def _verify_zip(archive: Path, digest: str, sha256: str | None) -> zipfile.ZipFile:
    if sha256 and digest != sha256.lower():
        raise ModelError(f"checksum mismatch: got sha256 {digest}, expected {sha256}")
    try:
        zf = zipfile.ZipFile(archive)
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"downloaded file is not a valid zip archive: {exc}") from None
    if bad is not None:
        raise ModelError(f"downloaded archive is corrupt (bad CRC in {bad})")
    for name in zf.namelist():
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts:
            raise ModelError(f"archive member {name!r} points outside the model folder")
    return zf


def download(
    name: str,
    base_url: str | None = None,
    dest: Path | None = None,
    sha256: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``NAME.zip``, verify it, unpack it into the models dir; return the model path."""
    dest = dest or user_models_dir()
    with staging(name, dest) as (tmp, final):
        archive = tmp / f"{name}.zip"
        url = _url_for(name, base_url)
        log.info("downloading %s", url)
        by_hand = f"Fetch the zip on a connected machine and unzip it into {dest}"
        digest = fetch(url, archive, timeout, by_hand)
        with _verify_zip(archive, digest, sha256) as zf:
            unpacked = tmp / "unpacked"
            zf.extractall(unpacked)
        entries = [p for p in unpacked.iterdir()]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
        check = check_model(root)
        if not check.ok:
            raise ModelError(f"archive {name}.zip is not a Vosk model: {'; '.join(check.problems)}")
        root.rename(final)
    return final
