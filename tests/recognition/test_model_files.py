import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign,attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_verifies_and_unpacks(server: tuple[Path, str], tmp_path: Path) -> None:
    root, url = server
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


def test_download_rejects_corrupt_and_wrong_archives(
    server: tuple[Path, str], tmp_path: Path
) -> None:
    root, url = server
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
