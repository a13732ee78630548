"""The wheel works on its own: built from the repository, installed into a fresh virtualenv
(its dependencies from the package index pip is configured with), it runs a whole session
from a folder outside the repository. A checkout hides a missing data file, since the
editable install reads the repository; this is the test that would catch it.

About 10 s: the build (3 s, setuptools in pip's isolated build environment) and the
install (6 s, the dependencies from pip's index and cache into a venv made without pip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "voicecoach", "intents")  # what setuptools reads
DATA = {
    "voicecoach/intents/commands.yaml",
    "voicecoach/routines/back.yaml",
    "voicecoach/coaching/cues.yaml",
}


def run(
    *args: str | Path, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command away from the checkout (no PYTHONPATH, no active venv); it must succeed."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources: the checkout gets no build/ folder, and
    no stale build/lib from an earlier build can slip into it."""
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    pip_wheel = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, src)
    warnings = run(*pip_wheel, cwd=dist, timeout=300).stderr
    assert "BuildBackendWarning" not in warnings, warnings
    [built] = dist.glob("voicecoach-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel and its dependencies, and nothing else."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv, timeout=60)
    python = venv / "bin" / "python"
    pip_install = (sys.executable, "-m", "pip", "--python", python, "install", "-qq", wheel)
    run(*pip_install, cwd=venv, timeout=600)
    return venv


def test_the_wheel_carries_the_intents_routines_and_cues(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert names >= DATA
    tops = {name.split("/")[0] for name in names}
    assert all(top == "voicecoach" or top.endswith(".dist-info") for top in tops), tops


def test_the_installed_wheel_coaches_a_session_outside_the_repository(
    venv: Path, tmp_path: Path
) -> None:
    user = {
        "VOICECOACH_CONFIG_DIR": str(tmp_path / "config"),
        "VOICECOACH_DATA_DIR": str(tmp_path / "data"),
    }
    where = "import voicecoach, voicecoach.paths as p; print(voicecoach.__file__, p.intents_dir())"
    found = run(venv / "bin" / "python", "-c", where, cwd=tmp_path, timeout=60).stdout
    package, intents = (Path(path).resolve() for path in found.split())
    assert package.is_relative_to(venv.resolve()), f"voicecoach came from {package}, not the wheel"
    assert intents.is_relative_to(venv.resolve()), intents

    demo = run(venv / "bin" / "voicecoach", "demo", "--text", cwd=tmp_path, timeout=120, env=user)
    lines = demo.stdout.splitlines()
    assert any(line.endswith("] session finished") for line in lines), demo.stdout

    # The repository's models/ folder is not there; the model search just finds nothing.
    models = run(venv / "bin" / "voicecoach", "models", cwd=tmp_path, timeout=60, env=user)
    assert "no Vosk models found" in models.stdout
