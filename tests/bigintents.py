"""A large intents file: templates whose slot combinations run into millions of sentences."""

from __future__ import annotations

from pathlib import Path

ROOMS = [
    "kitchen",
    "bedroom",
    "bathroom",
    "garage",
    "garden",
    "office",
    "hallway",
    "basement",
    "attic",
    "porch",
    "study",
    "library",
    "pantry",
    "nursery",
    "cellar",
    "balcony",
    "patio",
    "lounge",
    "den",
    "closet",
]
THINGS = [
    "lamp",
    "light",
    "fan",
    "heater",
    "radio",
    "speaker",
    "television",
    "blinds",
    "curtains",
    "kettle",
    "oven",
    "toaster",
    "printer",
    "computer",
    "monitor",
    "charger",
    "clock",
    "camera",
    "doorbell",
    "sprinkler",
    "fountain",
    "pump",
    "boiler",
    "dryer",
    "washer",
    "freezer",
    "fridge",
    "stove",
    "mixer",
    "blender",
]
COLORS = [
    "red",
    "green",
    "blue",
    "yellow",
    "orange",
    "purple",
    "pink",
    "white",
    "warm",
    "cool",
    "amber",
    "violet",
    "silver",
    "golden",
    "crimson",
    "teal",
]
ADJ = [
    "old",
    "new",
    "big",
    "small",
    "left",
    "right",
    "front",
    "back",
    "upper",
    "lower",
    "main",
    "spare",
]


def write_big_intents(path: Path) -> int:
    """Write the file and return how many sentences its templates expand to."""
    things = [f"{a} {t}" for a in ADJ for t in THINGS] + THINGS
    lines = [
        "language: en",
        "intents:",
        "  set_color:",
        "    data:",
        "      - sentences:",
        "          - '(set|make|turn) [the] ({room} {thing};{color}) [please]'",
        "          - '(set|make|turn) [the] {thing} in [the] {room} [to] {color}'",
        "  turn_on:",
        "    data:",
        "      - sentences:",
        "          - '(switch|turn) on [the] {room} {thing}'",
        "          - '(switch|turn) [the] {room} {thing} on'",
        "lists:",
        "  room:",
        f"    values: [{', '.join(ROOMS)}]",
        "  thing:",
        f"    values: [{', '.join(repr(t) for t in things)}]",
        "  color:",
        f"    values: [{', '.join(COLORS)}]",
    ]
    path.write_text("\n".join(lines) + "\n")
    r, t, c = len(ROOMS), len(things), len(COLORS)
    set_color = 3 * 2 * (2 * r * t * c) * 2 + 3 * 2 * t * 2 * r * 2 * c
    turn_on = 2 * 2 * r * t * 2
    return set_color + turn_on
