"""pyproject.toml's package list and data globs against the source tree, and where the
intents are found: in the repository's ``intents/`` folder in a checkout, in the package
when installed (see test_wheel.py for a real installed wheel)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from voicecoach import paths

REPO = Path(__file__).resolve().parents[2]


def setuptools_config() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["setuptools"]
    return config


def source_dir(package: str) -> Path:
    """The folder setuptools builds ``package`` from."""
    mapped: dict[str, str] = setuptools_config().get("package-dir", {})
    return REPO / mapped.get(package, package.replace(".", "/"))


def test_every_package_in_the_tree_is_listed_and_nothing_else() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "voicecoach").rglob("__init__.py")
    }
    assert set(setuptools_config()["packages"]) == on_disk | {"voicecoach.intents"}


def test_every_data_file_is_shipped() -> None:
    config = setuptools_config()
    globs: dict[str, list[str]] = config["package-data"]
    for package in config["packages"]:
        folder = source_dir(package)
        assert folder.is_dir(), package
        for data in (*folder.glob("*.yaml"), *folder.glob("*.yml")):
            patterns = globs.get(package, [])
            assert any(fnmatch(data.name, pattern) for pattern in patterns), data


def test_the_intents_ship_from_the_top_level_folder() -> None:
    assert source_dir("voicecoach.intents") == REPO / "intents"
    assert (REPO / "intents" / "commands.yaml").is_file()


def test_a_checkout_reads_the_repository_intents() -> None:
    assert paths.intents_dir() == REPO / "intents"


def test_an_installed_package_reads_its_own_intents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "voicecoach"
    (package / "intents").mkdir(parents=True)
    monkeypatch.setattr(paths, "PACKAGE_DIR", package)
    monkeypatch.setattr(paths, "PROJECT_DIR", package.parent)
    assert paths.intents_dir() == package / "intents"
    assert not paths.project_models_dir().exists()
