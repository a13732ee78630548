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


def package_imports() -> dict[str, set[str]]:
    """For each sub-package of voicecoach, the other sub-packages its modules import
    (at the top or inside functions; the top-level modules are left out)."""
    import ast

    root = REPO / "voicecoach"
    subs = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    found: dict[str, set[str]] = {sub: set() for sub in subs}
    for sub in subs:
        for path in (root / sub).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: list[str] = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "voicecoach" and len(parts) > 1 and parts[1] in subs - {sub}:
                        found[sub].add(parts[1])
    return found


def test_sub_packages_import_one_another_without_a_cycle() -> None:
    """The README's rule: sub-packages import only downward (a cycle would mean two of
    them can only be understood together)."""
    imports = package_imports()
    assert {"recognition", "voice", "coaching"} <= set(imports)

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in imports[start]
        )

    cycles = sorted(sub for sub in imports if reaches(sub, sub))
    assert cycles == [], {sub: sorted(imports[sub]) for sub in cycles}
