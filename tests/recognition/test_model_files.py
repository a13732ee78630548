import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from voicecoach.errors import ModelError
from voicecoach.recognition import model_files as models


def model_zip(name: str, complete: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{name}/am/final.mdl", b"acoustic")
        zf.writestr(f"{name}/conf/mfcc.conf", b"--use-energy=false\n")
        if complete:
            zf.writestr(f"{name}/graph/HCLr.fst", b"hclr")
            zf.writestr(f"{name}/graph/Gr.fst", b"gr")
    return buf.getvalue()


@dataclass
class Site:
    """A web server on 127.0.0.1 serving the folder ``root`` at ``url``.

    A request whose path is in ``cut`` gets the file's full Content-Length but stops
    ``CUT_BYTES`` short of it, as a dropped connection would.
    """

    root: Path
    url: str
    cut: set[str] = field(default_factory=set)


CUT_BYTES = 100


class _Handler(http.server.SimpleHTTPRequestHandler):
    site: Site

    def copyfile(self, source: Any, outputfile: Any) -> None:
        if self.path in self.site.cut:
            outputfile.write(source.read()[:-CUT_BYTES])
        else:
            super().copyfile(source, outputfile)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[Site]:
    """Serve ``root`` (made if missing) until the block ends."""
    root.mkdir(parents=True, exist_ok=True)
    site = Site(root, "")
    handler = type("Handler", (_Handler,), {"site": site})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Site]:
    with serve(tmp_path / "www") as site:
        yield site


def test_download_verifies_and_unpacks(server: Site, tmp_path: Path) -> None:
    root, url = server.root, server.url
    blob = model_zip("vosk-model-tiny")
    (root / "vosk-model-tiny.zip").write_bytes(blob)
    dest = tmp_path / "models"
    path = models.download(
        "vosk-model-tiny", base_url=url, dest=dest, sha256=hashlib.sha256(blob).hexdigest()
    )
    assert path == dest / "vosk-model-tiny"
    check = models.check_model(path)
    assert check.ok and check.grammar
    assert [p.name for p in dest.iterdir()] == ["vosk-model-tiny"]  # no temp files left


def test_download_rejects_corrupt_and_wrong_archives(server: Site, tmp_path: Path) -> None:
    root, url = server.root, server.url
    blob = bytearray(model_zip("m1"))
    blob[47] ^= 0xFF  # flip a byte inside the first member's data (30-byte header + name)
    (root / "m1.zip").write_bytes(bytes(blob))
    (root / "m2.zip").write_bytes(model_zip("m2", complete=False))
    (root / "m3.zip").write_bytes(b"<html>not found</html>")
    (root / "m4.zip").write_bytes(model_zip("m4"))
    dest = tmp_path / "models"
    with pytest.raises(ModelError, match=r"corrupt|not a valid zip"):
        models.download("m1", base_url=url, dest=dest)
    with pytest.raises(ModelError, match="not a Vosk model"):
        models.download("m2", base_url=url, dest=dest)
    with pytest.raises(ModelError, match="not a valid zip"):
        models.download("m3", base_url=url, dest=dest)
    with pytest.raises(ModelError, match="checksum"):
        models.download("m4", base_url=url, dest=dest, sha256="0" * 64)
    with pytest.raises(ModelError, match="HTTP 404"):
        models.download("m5", base_url=url, dest=dest)
    (root / "m6.zip").write_bytes(model_zip("m6"))
    server.cut.add("/m6.zip")
    with pytest.raises(ModelError, match=r"cut short \(\d+ of \d+ bytes\)"):
        models.download("m6", base_url=url, dest=dest)
    assert list(dest.iterdir()) == []


def test_offline_download_says_so(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"download failed.*unzip it into"):
        models.download("m", base_url="http://127.0.0.1:9", dest=tmp_path, timeout=2)


def test_find_and_check_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good"
    for f in ["am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"]:
        (good / f).parent.mkdir(parents=True, exist_ok=True)
        (good / f).write_bytes(b"x")
    (tmp_path / "broken" / "am").mkdir(parents=True)
    (tmp_path / "notes").mkdir()
    monkeypatch.delenv(models.MODEL_ENV, raising=False)
    monkeypatch.setattr(models, "search_dirs", lambda: [tmp_path])
    assert models.find_models() == [tmp_path / "broken", good]
    assert models.check_model(good).ok and not models.check_model(good).grammar
    assert not models.check_model(tmp_path / "broken").ok
    assert models.default_model() == good
    monkeypatch.setenv(models.MODEL_ENV, str(tmp_path / "broken"))
    assert models.default_model() == tmp_path / "broken"


def test_the_project_models_folder_is_searched_only_when_it_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("voicecoach.paths.project_models_dir", lambda: tmp_path / "models")
    assert tmp_path / "models" not in models.search_dirs()  # an installed wheel has none
    (tmp_path / "models").mkdir()
    assert models.search_dirs()[0] == tmp_path / "models"
