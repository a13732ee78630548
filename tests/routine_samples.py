"""A small valid routine file, for the tests that write routine files."""

GOOD = """\
name: mine
title: My routine
intro: Hello there.
safety: Be careful.
moves:
  - id: plank
    name: Plank
    position: on your elbows
    setup: Elbows under shoulders.
    hold: {seconds: 20, rounds: 2, rest: 5}
"""
