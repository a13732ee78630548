"""Choosing an engine by name: ``--engine whisper`` gives the Whisper engine, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.commands.intents import load_intents
from voicecoach.errors import UserError
from voicecoach.recognition.engines import ENGINES, make_recognizer


def test_an_unknown_engine_is_a_usage_mistake() -> None:
    with pytest.raises(UserError, match="whisper"):
        make_recognizer("julius", None, load_intents(routine_names=["back"]))


@pytest.mark.slow
def test_recognize_with_the_whisper_engine(tmp_path: Path) -> None:
    assert "whisper" in ENGINES
    wav = tmp_path / "pause.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "pause the timer"], check=True)
    out = subprocess.run(
        [sys.executable, "-m", "voicecoach", "recognize", "--engine", "whisper", str(wav)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    line = json.loads(out)
    assert (line["intent"], line["rejected"]) == ("pause", None)
