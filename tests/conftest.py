"""Shared test setup: user dirs in a temp folder, never the real ones; Hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fakesd import FakeOutput
from history_helpers import TZ, WallClock
from hypothesis import settings

from voicecoach.audio import devices, playback

# The session machine's random walks: CI runs the full 1,500 (HYPOTHESIS_PROFILE=ci in
# .ci/run, about a minute); an everyday run takes a tenth of them.
settings.register_profile("ci", max_examples=1500, stateful_step_count=30, deadline=None)
settings.register_profile("quick", max_examples=150, stateful_step_count=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VOICECOACH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    yield


@pytest.fixture
def wall() -> WallClock:
    """The history's wall clock, on a Wednesday morning."""
    return WallClock(datetime(2024, 5, 15, 7, 30, tzinfo=TZ))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where a test's history database goes."""
    return tmp_path / "history.sqlite3"


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch) -> FakeOutput:
    """A fake output device in place of the sound card: what is played is kept."""
    fake = FakeOutput()
    monkeypatch.setattr(devices, "sounddevice_module", lambda: fake)
    monkeypatch.setattr(playback, "sounddevice_module", lambda: fake)
    return fake
