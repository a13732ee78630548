"""Whisper downloads from a web server on 127.0.0.1 laid out as the Hugging Face Hub."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_model_files import Site, serve

from voicecoach import model_store, paths
from voicecoach.cli.main import main
from voicecoach.errors import ModelError
from voicecoach.recognition import whisper_download, whisper_model
from voicecoach.recognition.whisper_download import RELEASES, Release

FAKE_FILES = {
    "config.json": b'{"fake": true}',
    "tokenizer.json": b"{}",
    "vocabulary.txt": b"a\nb\n",
    "model.bin": bytes(range(256)) * 40,
}
FAKE = Release(
    "Systran/faster-whisper-fake.en",
    "f" * 40,
    {name: hashlib.sha256(data).hexdigest() for name, data in FAKE_FILES.items()},
)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The Hub serving the fake model as whisper-fake.en; no other models to be found."""
    monkeypatch.setitem(RELEASES, "whisper-fake.en", FAKE)
    monkeypatch.setattr(paths, "project_models_dir", lambda: tmp_path / "no-project-models")
    monkeypatch.delenv(whisper_model.MODEL_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    for env in (whisper_download.URL_ENV, whisper_download.HF_ENDPOINT_ENV):
        monkeypatch.delenv(env, raising=False)
    with serve(tmp_path / "www") as site:
        put(site, FAKE, FAKE_FILES)
        yield site


def put(site: Site, release: Release, files: dict[str, bytes]) -> Path:
    folder = site.root / release.repo / "resolve" / release.revision
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def path_of(release: Release, name: str) -> str:
    return f"/{release.repo}/resolve/{release.revision}/{name}"


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_download_is_verified_and_installed_where_the_finder_looks(hub: Site) -> None:
    said: list[str] = []
    checked: list[Path] = []
    path = whisper_download.download(
        "whisper-fake.en", hub.url, check=checked.append, progress=said.append
    )
    models = model_store.user_models_dir()
    assert path == models / "whisper-fake.en" and checked == [path]
    assert {p.name: p.read_bytes() for p in path.iterdir()} == FAKE_FILES
    assert [p.name for p in models.iterdir()] == ["whisper-fake.en"]  # no temporary folder
    assert [line.split()[1:3] for line in said] == [
        ["config.json", "(1/4)"],
        ["tokenizer.json", "(2/4)"],
        ["vocabulary.txt", "(3/4)"],
        ["model.bin", "(4/4)"],
    ]
    assert said[3].endswith(hub.url + path_of(FAKE, "model.bin"))
    assert whisper_model.candidates()[0] == whisper_model.ModelLocation(path, str(models))


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        ("cut", r"download of http://.*/model\.bin was cut short \(10140 of 10240 bytes\)"),
        ("changed", r"checksum mismatch for http://.*/tokenizer\.json: sha256 [0-9a-f]{64}"),
        ("missing", r"download failed: http://.*/vocabulary\.txt answered HTTP 404"),
    ],
)
def test_a_bad_download_is_one_error_and_leaves_nothing(hub: Site, spoil: str, error: str) -> None:
    folder = hub.root / FAKE.repo / "resolve" / FAKE.revision
    if spoil == "cut":
        hub.cut.add(path_of(FAKE, "model.bin"))
    elif spoil == "changed":
        (folder / "tokenizer.json").write_bytes(b'{"other": "revision"}')
    else:
        (folder / "vocabulary.txt").unlink()
    with pytest.raises(ModelError, match=error):
        whisper_download.download("whisper-fake.en", hub.url)
    assert list(model_store.user_models_dir().iterdir()) == []


def test_a_model_that_fails_its_check_is_taken_away(hub: Site) -> None:
    def refuse(path: Path) -> None:
        assert (path / "model.bin").is_file()  # checked in its final place
        raise ModelError(f"{path} failed to load")

    with pytest.raises(ModelError, match="failed to load"):
        whisper_download.download("whisper-fake.en", hub.url, check=refuse)
    assert list(model_store.user_models_dir().iterdir()) == []


def test_an_installed_model_is_not_replaced(hub: Site) -> None:
    first = whisper_download.download("whisper-fake.en", hub.url)
    with pytest.raises(ModelError, match=r"whisper-fake\.en exists already; remove it"):
        whisper_download.download("whisper-fake.en", hub.url)
    assert {p.name: p.read_bytes() for p in first.iterdir()} == FAKE_FILES


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to fill a disk")
@pytest.mark.parametrize("size", [10, 3 << 20])  # within the write buffer; over a read block
def test_a_full_disk_is_named_not_taken_for_no_connection(hub: Site, size: int) -> None:
    (hub.root / "big.bin").write_bytes(b"x" * size)
    with pytest.raises(ModelError) as caught:
        model_store.fetch(f"{hub.url}/big.bin", Path("/dev/full"), 5, "copy it by hand")
    message = str(caught.value)
    assert message.startswith("could not write /dev/full (No space left on device)"), message
    assert paths.DATA_DIR_ENV in message and "no connection" not in message


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ModelError, match=r"'whisper-huge'; known: whisper-tiny\.en, whisper-base"):
        whisper_download.download("whisper-huge", "http://127.0.0.1:9")


def test_offline_says_how_to_install_by_hand(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no connection to .*on a connected machine and copy"):
        whisper_download.download("whisper-tiny.en", "http://127.0.0.1:9", tmp_path, timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_the_server_is_the_option_then_the_environment_then_the_hub(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(whisper_download.URL_ENV, raising=False)
    monkeypatch.delenv(whisper_download.HF_ENDPOINT_ENV, raising=False)
    assert whisper_download.server_url() == "https://huggingface.co"
    monkeypatch.setenv(whisper_download.HF_ENDPOINT_ENV, "https://mirror.example/")
    assert whisper_download.server_url() == "https://mirror.example"
    monkeypatch.setenv(whisper_download.URL_ENV, "http://lan.example/hub")
    assert whisper_download.server_url() == "http://lan.example/hub"
    assert whisper_download.server_url("http://given.example") == "http://given.example"
    base = RELEASES["whisper-base.en"]
    assert whisper_download.url_for(base, "model.bin", "https://huggingface.co") == (
        "https://huggingface.co/Systran/faster-whisper-base.en/resolve/"
        "3d3d5dee26484f91867d81cb899cfcf72b96be6c/model.bin"
    )


@pytest.mark.slow
def test_the_real_tiny_en_is_downloaded_loaded_and_found(
    hub: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    # The package's copy is the pinned revision byte for byte: served as the Hub would.
    packaged = whisper_model.packaged_model()
    assert packaged is not None
    tiny = RELEASES["whisper-tiny.en"]
    folder = put(hub, tiny, {})
    for name in tiny.sha256:
        (folder / name).symlink_to(packaged / name)
    assert main(["models", "download", "whisper-tiny.en", "--url", hub.url]) == 0
    out = capsys.readouterr().out.splitlines()
    path = model_store.user_models_dir() / "whisper-tiny.en"
    assert len(out) == 5 and out[-1] == f"installed whisper-tiny.en in {path}"
    assert whisper_model.candidates()[0].path == path
    assert main(["models"]) == 0
    assert f"ok      {path} (whisper, from {path.parent})" in capsys.readouterr().out


def test_the_cli_turns_a_download_failure_into_one_line(
    hub: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--url", hub.url]
    assert main(["models", "download", "whisper-small", *url]) == 4
    assert "known: whisper-tiny.en, whisper-base.en" in one_line(capsys.readouterr().err)
    assert main(["models", "download", "whisper-tiny.en", *url]) == 4  # not on this server
    assert one_line(capsys.readouterr().err).endswith("/config.json answered HTTP 404")
    assert main(["models", "download", "whisper-fake.en", "--sha256", "0" * 64]) == 2
    assert "pinned" in one_line(capsys.readouterr().err)
    # Files with the pinned hashes that are no model: CTranslate2's load turns them down.
    assert main(["models", "download", "whisper-fake.en", *url]) == 4
    assert "failed to load" in one_line(capsys.readouterr().err)
    assert list(model_store.user_models_dir().iterdir()) == []
