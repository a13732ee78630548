"""Downloading a Piper voice from rhasspy/piper-voices on Hugging Face, at a pinned revision.

``voicecoach models download piper:en_US-joe-medium`` reads the repository's ``voices.json``
(every voice of the revision, with the paths, sizes and MD5s of its files), then
fetches the voice's two files from ``{base}/rhasspy/piper-voices/resolve/{revision}/{path}``,
e.g. ``en/en_US/joe/medium/en_US-joe-medium.onnx`` (63,201,294 bytes) and its ``.onnx.json``
(4,794 bytes), into ``en_US-joe-medium/`` of the user data dir's models folder, where
:func:`voicecoach.voice.piper_voices.find_voices` looks. The base URL is ``--url``, else
``VOICECOACH_PIPER_URL``, else ``HF_ENDPOINT`` (the Hugging Face mirror setting), else
https://huggingface.co: the same order as the Whisper download's.

The revision is the repository's ``v1.0.0`` tag, the pin Piper's own downloader (rhasspy/piper
``download.py``) and most projects use. It is a tag, not a full commit id: no stored source
gave the commit behind it with certainty (the Hub's history pages show only short ids; at the
tag, joe-medium's config last changed in c3bf31a, "Add native names", 23 September 2023, its
.onnx in 5227e41 of June 2023). A tag can be moved, so every file is checked against what
``voices.json`` of that revision says of it: its size, then its MD5 (the only digest
voices.json publishes; a cut or other file fails one or the other). voices.json is only as
good as the server that sent it; joe-medium's .onnx, whose SHA-256
:mod:`voicecoach.voice.piper_voices` knows, is hashed again by the caller's check.

An unknown name is one line naming the closest known names (the names are long and alike,
``en_US-libritts_r-medium``, so a typo is likelier than a missing voice). Everything is
fetched into a temporary folder inside the models folder and renamed into place in one step;
the caller's ``check`` (the CLI: an onnxruntime load) then runs on the folder in its final
place, and the folder is taken away again when it fails. A failed download leaves nothing a
search finds.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from voicecoach import model_store
from voicecoach.errors import ModelError

log = logging.getLogger(__name__)

URL_ENV = "VOICECOACH_PIPER_URL"
HF_ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_BASE_URL = "https://huggingface.co"
REPO = "rhasspy/piper-voices"
REVISION = "v1.0.0"  # a tag (see above); files are checked against its voices.json
PREFIX = "piper:"  # `voicecoach models download piper:NAME`
VOICES_JSON = "voices.json"


@dataclass(frozen=True)
class VoiceEntry:
    """One file of a voice as voices.json lists it: its path in the repository, size, MD5."""

    path: str
    size: int
    md5: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


def server_url(given: str | None = None) -> str:
    """The server to fetch from: ``given``, else the environment's, else Hugging Face."""
    chosen = given or os.environ.get(URL_ENV) or os.environ.get(HF_ENDPOINT_ENV)
    return (chosen or DEFAULT_BASE_URL).rstrip("/")


def url_for(path: str, base: str) -> str:
    """Where ``path`` of the repository is: the Hub's resolve path at the pinned revision."""
    return f"{base}/{REPO}/resolve/{REVISION}/{path}"


def voice_files(name: str, voices: object, source: str) -> tuple[VoiceEntry, VoiceEntry]:
    """The config and model entries of voice ``name`` in the parsed voices.json ``voices``.

    ModelError when the name is unknown (with the closest names) or its entry is not the
    ``files: {path: {size_bytes, md5_digest}}`` that Piper's downloader reads.
    """
    if not isinstance(voices, dict):
        raise ModelError(f"{source} is not a Piper voices list (no JSON object)")
    if name not in voices:
        close = difflib.get_close_matches(name, [str(key) for key in voices], n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else f"{len(voices)} voices listed"
        raise ModelError(f"no Piper voice called {name!r} in {REPO} {REVISION}; {hint}")
    files = voices[name].get("files") if isinstance(voices[name], dict) else None
    if not isinstance(files, dict):
        raise ModelError(f"{source}: the entry of {name} lists no files")
    wanted: list[VoiceEntry] = []
    for file in (f"{name}.onnx.json", f"{name}.onnx"):  # the small one first: fails fast
        found = [(path, info) for path, info in files.items() if PurePosixPath(path).name == file]
        if len(found) != 1:
            raise ModelError(f"{source}: the entry of {name} lists {len(found)} files {file}")
        path, info = found[0]
        parts = PurePosixPath(path).parts
        size = info.get("size_bytes") if isinstance(info, dict) else None
        md5 = info.get("md5_digest") if isinstance(info, dict) else None
        if path.startswith("/") or ".." in parts or not isinstance(size, int):
            raise ModelError(f"{source}: bad entry for {path!r} of {name}")
        if not isinstance(md5, str) or len(md5) != 32:
            raise ModelError(f"{source}: no md5_digest for {path!r} of {name}")
        wanted.append(VoiceEntry(path, size, md5.lower()))
    return wanted[0], wanted[1]


def _md5_of(path: Path) -> str:
    # voices.json's digest; not for security (the pinned revision is), hence the flag.
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def _verify(target: Path, entry: VoiceEntry, url: str) -> None:
    size = target.stat().st_size
    if size != entry.size:
        raise ModelError(
            f"{url} sent {size:,} bytes, {VOICES_JSON} says {entry.size:,}: "
            f"not the file of {REPO} {REVISION}"
        )
    md5 = _md5_of(target)
    if md5 != entry.md5:
        raise ModelError(
            f"checksum mismatch for {url}: md5 {md5}, {VOICES_JSON} says {entry.md5}; "
            f"the server sent another file than {REPO} {REVISION}'s"
        )


def download(
    name: str,
    base_url: str | None = None,
    dest: Path | None = None,
    timeout: float = 30.0,
    check: Callable[[Path], None] | None = None,
    progress: Callable[[str], None] = log.info,
) -> Path:
    """Fetch voice ``name``'s two files, verify each, install the folder; return its path.

    The folder holds ``NAME.onnx`` and ``NAME.onnx.json``. ``check`` gets it in its final
    place and raises ModelError if it is no usable voice (the folder is then removed);
    ``progress`` gets a line before each of the three fetches.
    """
    dest = dest or model_store.user_models_dir()
    base = server_url(base_url)
    by_hand = (
        f"Run `voicecoach models download {PREFIX}{name}` on a connected machine "
        f"and copy the folder it makes to {dest / name}"
    )
    with model_store.staging(name, dest) as (tmp, final):
        listing = tmp / VOICES_JSON
        url = url_for(VOICES_JSON, base)
        progress(f"fetching {VOICES_JSON} (1/3) from {url}")
        model_store.fetch(url, listing, timeout, by_hand)
        try:
            voices: Mapping[str, object] = json.loads(listing.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{url} is not a Piper voices list ({exc})") from None
        staged = tmp / name
        staged.mkdir()
        for number, entry in enumerate(voice_files(name, voices, url), start=2):
            url = url_for(entry.path, base)
            progress(f"fetching {entry.name} ({number}/3) from {url}")
            model_store.fetch(url, staged / entry.name, timeout, by_hand)
            _verify(staged / entry.name, entry, url)
        model_store.install(staged, final, check)
    return final
