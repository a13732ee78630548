"""Speech the coach must not obey: everyday talk, and every sentence the coach says itself.

The recognition benchmark counts how much of it is taken for a command. The everyday
sentences include near-commands ("next week", "I paused the video"); the coach's own
sentences are every cue in ``voicecoach/coaching/cues.yaml`` (placeholders filled) and
every spoken text of the routine files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voicecoach import paths

NEGATIVES = [
    "next week we will go to the beach",
    "I paused the video",
    "can you pass me the remote",
    "my back feels a bit stiff this morning",
    "stop by the shop on your way home",
    "we should go back to that restaurant",
    "the weather is nice today",
    "did you remember to feed the cat",
    "I will continue reading my book later",
    "that was a really good movie",
    "what time is the meeting tomorrow",
    "I need to buy milk and bread",
    "my knee hurts a little when I bend it",
    "this mat is very comfortable",
    "let me finish this email first",
    "the next bus leaves in ten minutes",
    "I skipped breakfast today",
    "hold the door for me please",
    "she said she would repeat the class",
    "keep the change",
    "turn the music down a little",
    "how long have you lived here",
    "I'm ready for the weekend",
    "wait until the kettle boils",
    "that exercise was harder than I thought",
    "my physiotherapist said to stretch every day",
    "start the car and warm it up",
    "help yourself to some coffee",
]
FALLBACK_CUES = [
    "hold for fifteen seconds",
    "switch sides",
    "exhale and flatten your back",
    "next move is pelvic tilt",
    "five four three two one",
]
CUE_FILL = {
    "move": "pelvic tilt", "position": "lying on your back", "seconds": "fifteen seconds",
    "n": "three", "side": "left", "count": "ten", "rep": "four", "round": "two",
    "rounds": "three", "title": "back routine", "time": "twelve minutes", "what": "cat cow",
    "name": "yoga", "known": "back", "closing": "Nice work.", "more": "two",
    "reminder": "Keep breathing.", "done": "six moves", "skipped": "one move",
    "where": "halfway through", "done_part": "", "ago": "two days",
}  # fmt: skip


ROUTINE_SKIP = {"id", "sides"}  # routine fields that are never spoken


def routine_texts(value: object) -> list[str]:
    """Every sentence a routine file holds (names, set-up, form cues, closings...)."""
    if isinstance(value, str):
        return [value] if re.search(r"[A-Za-z]{2}", value) else []
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in ROUTINE_SKIP for t in routine_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in routine_texts(v)]
    return []


def cue_texts() -> list[str]:
    """Every cue the coach speaks (placeholders filled) and every routine text."""
    path = paths.PACKAGE_DIR / "coaching" / "cues.yaml"
    if not path.is_file():
        return FALLBACK_CUES
    cues = yaml.safe_load(path.read_text()) or {}
    texts = []
    for template in cues.values():
        if isinstance(template, str):
            text = re.sub(r"\{(\w+)\}", lambda m: CUE_FILL.get(m.group(1), "five"), template)
            if text.strip(" .,"):
                texts.append(text)
    for routine in sorted((paths.PACKAGE_DIR / "routines").glob("*.yaml")):
        data = yaml.safe_load(routine.read_text()) or {}
        data.pop("name", None)  # the file's id; the coach says its title
        texts.extend(routine_texts(data))
    return texts
