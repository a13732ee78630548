"""Where models live and how they come: the folders searched, downloading one file with
its SHA-256, building a model in a staging folder, and a file's SHA-256 checked once.

Shared by every kind of model: the recognizers' (Vosk, Whisper:
:mod:`voicecoach.recognition.model_files`, :mod:`voicecoach.recognition.whisper_model`)
and the voices' (:mod:`voicecoach.voice.piper_voices`). It stands below both sub-packages
(it uses only :mod:`voicecoach.paths` and :mod:`voicecoach.errors`), so neither needs the
other to find its files.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import ModelError

log = logging.getLogger(__name__)


def user_models_dir() -> Path:
    """Where downloaded models are unpacked."""
    return paths.data_dir() / "models"


def search_dirs() -> list[Path]:
    """Folders that may hold models (a folder each, or voice files), in order of preference.

    The project's ``models/`` folder only counts when it is there (a checkout; an
    installed wheel has none), so messages never name a folder that cannot exist.
    """
    project = paths.project_models_dir()
    return [project, user_models_dir()] if project.is_dir() else [user_models_dir()]


def fetch(url: str, target: Path, timeout: float, by_hand: str) -> str:
    """Download ``url`` into ``target`` and return its SHA-256, computed on the way.

    An HTTP error, no connection, fewer bytes than the server's Content-Length, or a
    target that cannot be written (a full disk) is a ModelError of one line; ``by_hand``
    says how to install without this machine's network.
    """
    digest = hashlib.sha256()
    got = 0
    expected: str | None = None  # the server's Content-Length, if it sent one
    with _writing(target):
        out = target.open("wb")
    with _writing(target), out:  # closing flushes the last bytes
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                expected = resp.headers.get("Content-Length")
                while block := resp.read(1 << 20):
                    digest.update(block)
                    with _writing(target):
                        out.write(block)
                    got += len(block)
        except urllib.error.HTTPError as exc:
            exc.close()  # the error carries the server's answer, its socket still open
            raise ModelError(f"download failed: {url} answered HTTP {exc.code}") from None
        except http.client.IncompleteRead:
            pass  # a chunked body that stopped early; the count below says so when it can
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(
                f"download failed ({reason}): no connection to {url}? {by_hand}"
            ) from None
    if expected is not None and got != int(expected):
        raise ModelError(f"download of {url} was cut short ({got} of {expected} bytes)")
    return digest.hexdigest()


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Writing ``target`` (not the network) failed: say so, and what to do."""
    try:
        yield
    except OSError as exc:
        raise ModelError(
            f"could not write {target} ({exc.strerror or exc}): free some disk space "
            f"or set {paths.DATA_DIR_ENV} to a folder with room, then download again"
        ) from None


@contextmanager
def staging(name: str, dest: Path) -> Iterator[tuple[Path, Path]]:
    """A temporary folder inside ``dest`` to build model ``name`` in, and its final place.

    The caller renames what it built to the final place (one atomic step); anything left
    in the temporary folder, a failed download's files, is removed with it.
    """
    if not name or "/" in name or name.startswith("."):
        raise ModelError(f"not a model name: {name!r}")
    final = dest / name
    if final.exists():
        raise ModelError(f"{final} exists already; remove it to download again")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as tmp:
        yield Path(tmp), final


def install(staged: Path, final: Path, check: Callable[[Path], None] | None) -> None:
    """Move the folder built in ``staged`` (inside :func:`staging`'s temporary folder) to
    ``final`` in one step, then ``check`` it there; when the check fails it goes back,
    to be removed with the temporary folder, and the check's error is raised."""
    staged.rename(final)
    if check is None:
        return
    try:
        check(final)
    except BaseException:
        final.rename(staged)
        raise


def _checks_path(checks_file: str) -> Path:
    return paths.data_dir() / checks_file


def _load_checks(checks_file: str) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_checks_path(checks_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_check(key: str, entry: dict[str, object], checks_file: str) -> None:
    checks = _load_checks(checks_file)
    checks[key] = entry
    target = _checks_path(checks_file)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(checks, indent=1), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:  # a read-only data dir only costs the check next time
        log.info("could not note the model check in %s: %s", target, exc)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def noted_sha256(path: Path, expected: str, checks_file: str) -> str:
    """The SHA-256 of ``path``, read only when it must be: ``expected`` at once when this
    file (same path, size and modification time) was found to have it before; otherwise
    hashed, and a match noted in the user data dir's ``checks_file`` for the next start.
    The Whisper model and the Piper voices are checked this way, each in a file of its own.
    """
    stat = path.stat()
    key = str(path.resolve())
    entry: dict[str, object] = {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": expected,
    }
    if _load_checks(checks_file).get(key) == entry:
        return expected
    actual = sha256_of(path)
    if actual == expected:
        _save_check(key, entry, checks_file)
        log.info("checked %s: sha256 as expected", path)
    return actual
