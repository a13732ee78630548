"""The recognition benchmark's figures: what each engine heard, its tables and its targets.

Kept apart from the run (``recognition.py``) so that the figures are a pure function of
the hearings: one column per engine, every engine judged on the same clips.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from voicecoach.commands.names import Command

TARGETS = {"clean": 0.97, "pink 9 dB": 0.93}  # held-out voices
REAL_STOP, REAL_OTHERS = 0.95, 0.02
MAX_FA_PER_HOUR = 1.0
# Decode time per utterance, p95: the latency benchmark's budget from the end of speech to
# the action (benchmarks/latency.py: p95 <= 500 ms), of which the decode is the most.
# (It was 0.05 x real time, a PocketSphinx-era figure: Whisper's cost is mostly a fixed
# encoder window, so a share of the utterance's length says little.)
MAX_DECODE_MS = 500.0


@dataclass(frozen=True)
class Clip:
    """One utterance of a set: what was said, how, and the command it should give."""

    set: str  # commands, negatives, cues, human
    condition: str
    voice: str
    said: str
    expected: Command | None  # None: no command
    seconds: float  # of speech


@dataclass(frozen=True)
class Heard:
    """One clip as one engine heard it."""

    clip: Clip
    text: str
    command: Command | None
    best_right: bool = False  # the engine's text means the expected command (no rejection)
    obeyed: tuple[str, ...] = ()  # cues: acted on while the coach speaks

    @property
    def right(self) -> bool:
        return self.clip.expected is not None and self.command == self.clip.expected


@dataclass
class Results:
    """Everything one engine heard, and its decode times (x real time, ms)."""

    name: str
    heard: list[Heard] = field(default_factory=list)
    xrt: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def of(self, set_: str, condition: str | None = None) -> list[Heard]:
        return [
            h for h in self.heard if h.clip.set == set_ and condition in (None, h.clip.condition)
        ]


@dataclass(frozen=True)
class Target:
    what: str
    figure: str
    met: bool


def share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def pct(flags: list[bool]) -> str:
    return f"{share(flags):.1%}" if flags else "-"


def name(command: Command | None) -> str | None:
    return command.name if command is not None else None


def table(title: str, head: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}\n| " + " | ".join(head) + " |\n" + "|---" * len(head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def false_accepts(r: Results) -> tuple[int, float, float]:
    """False accepts on the negative speech, its minutes, and the rate per hour."""
    negs = r.of("negatives")
    fa = sum(h.command is not None for h in negs)
    seconds = sum(h.clip.seconds for h in negs)
    return fa, seconds / 60, fa / (seconds / 3600) if seconds else math.nan


def targets(r: Results) -> list[Target]:
    """Each target with this engine's figure (those its sets measured)."""
    out = []
    for cond, goal in TARGETS.items():
        got = [h.right for h in r.of("commands", cond)]
        if got:
            out.append(
                Target(f"held-out voices, {cond} >= {goal:.0%}", pct(got), share(got) >= goal)
            )
    stops = [h.right for h in r.of("human", "stop")]
    if stops:
        met = share(stops) >= REAL_STOP
        out.append(Target(f'real "stop" heard as stop >= {REAL_STOP:.0%}', pct(stops), met))
    others = [h.command is not None for h in r.of("human", "other")]
    if others:
        met = share(others) <= REAL_OTHERS
        out.append(Target(f"real other words taken <= {REAL_OTHERS:.0%}", pct(others), met))
    if r.of("negatives"):
        fa, minutes, rate = false_accepts(r)
        figure = f"{fa} in {minutes:.1f} min = {rate:.1f}/h"
        what = f"false accepts <= {MAX_FA_PER_HOUR:g} per hour of other speech"
        out.append(Target(what, figure, rate <= MAX_FA_PER_HOUR))
    noise = r.of("noise")
    if noise:
        acted = sum(h.command is not None for h in noise)
        what = "noise alone (babble, music, pink) taken as a command: 0"
        out.append(Target(what, f"{acted} of {len(noise)}", not acted))
    cues = r.of("cues")
    if cues:
        obeyed = sum(bool(h.obeyed) for h in cues)
        what = "coach's cues acted on while it speaks: 0"
        out.append(Target(what, f"{obeyed} of {len(cues)}", not obeyed))
    if r.ms:
        p95 = float(np.percentile(r.ms, 95))
        what = f"decode p95 <= {MAX_DECODE_MS:.0f} ms per utterance"
        out.append(Target(what, f"{p95:.0f} ms", p95 <= MAX_DECODE_MS))
    return out


def command_tables(results: list[Results], voices: list[str]) -> None:
    names = [r.name for r in results]
    conditions = list(dict.fromkeys(h.clip.condition for h in results[0].of("commands")))
    rows = []
    for cond in conditions:
        cells = [r.of("commands", cond) for r in results]
        figures = [f"{pct([h.right for h in c])} ({pct([h.best_right for h in c])})" for c in cells]
        rows.append([cond, *figures, str(len(cells[0]))])
    title = "Commands, held-out voices: accuracy (in brackets: the text right, before rejection)"
    table(title, ["condition", *names, "n"], rows)
    rows = []
    for voice in voices:
        per_engine = []
        for r in results:
            hs = [h for h in r.of("commands") if h.clip.voice == voice]
            per = [pct([h.right for h in hs if h.clip.condition == c]) for c in TARGETS]
            per_engine.append(" / ".join(per))
        rows.append([voice, *per_engine])
    table("Per voice: clean / pink 9 dB", ["voice", *names], rows)


def human_table(results: list[Results]) -> None:
    rows: list[list[str]] = [
        ['"stop" heard as stop'],
        ["other words taken as commands"],
        ["taken as (top 5)"],
        ['"stop" misses heard as (top 5)'],
    ]
    for r in results:
        stops, others = r.of("human", "stop"), r.of("human", "other")
        taken = Counter(h.command.name for h in others if h.command is not None)
        wrong = Counter(h.text or "(nothing)" for h in stops if not h.right)
        rows[0].append(f"{pct([h.right for h in stops])} of {len(stops)}")
        rows[1].append(f"{pct([h.command is not None for h in others])} of {len(others)}")
        rows[2].append(", ".join(f"{k} {n}" for k, n in taken.most_common(5)) or "-")
        rows[3].append(", ".join(f'"{k}" {n}' for k, n in wrong.most_common(5)) or "-")
    table("Real people (human-dev, placed in room tone)", ["", *[r.name for r in results]], rows)


def time_table(results: list[Results]) -> None:
    rows = [["x real time: mean / p95"], ["ms per utterance: p50 / p95"]]
    for r in results:
        xrt, ms = np.array(r.xrt), np.array(r.ms)
        rows[0].append(f"{xrt.mean():.3f} / {np.percentile(xrt, 95):.3f}")
        rows[1].append(f"{np.percentile(ms, 50):.0f} / {np.percentile(ms, 95):.0f}")
    table("Processing, every decode of the run", ["", *[r.name for r in results]], rows)


def cue_table(results: list[Results]) -> None:
    """The coach's cues, in each voice it speaks with: what the engine alone took as
    commands (the own-voice guard is the second line that keeps them from being acted
    on), and what was acted on."""
    voices = list(dict.fromkeys(h.clip.condition for h in results[0].of("cues")))
    rows: list[list[str]] = []
    for voice in voices:
        rows.append([f"{voice} voice: taken as commands by the engine"])
        rows.append([f"{voice} voice: acted on while the coach speaks"])
    for r in results:
        for i, voice in enumerate(voices):
            cues = r.of("cues", voice)
            rows[2 * i].append(f"{sum(h.command is not None for h in cues)} of {len(cues)}")
            rows[2 * i + 1].append(f"{sum(bool(h.obeyed) for h in cues)} of {len(cues)}")
    table("The coach's own cues", ["", *[r.name for r in results]], rows)


def target_table(results: list[Results]) -> None:
    verdicts = [targets(r) for r in results]
    rows = [
        [t.what, *(f"{'PASS' if v[i].met else 'MISS'} {v[i].figure}" for v in verdicts)]
        for i, t in enumerate(verdicts[0])
    ]
    table("Targets", ["target", *[r.name for r in results]], rows)


def misses(r: Results, clean_misses: int) -> None:
    """The first clean command misses, every false accept, every cue acted on."""
    shown = [h for h in r.of("commands", "clean") if not h.right][:clean_misses]
    shown += [h for h in r.heard if h.clip.set in ("negatives", "cues") and h.command]
    shown += [h for h in r.of("cues") if h.obeyed]
    if shown:
        print(f"\nmisses, {r.name}:")
    for h in shown:
        c = h.clip
        line = f"{c.set} {c.condition}: {c.said!r} ({c.voice}) -> {h.text!r} {name(h.command)}"
        print("  " + line + (f"; acted on while speaking: {list(h.obeyed)}" if h.obeyed else ""))


def noise_table(results: list[Results]) -> None:
    """Noise alone: how many bursts of each kind came out as a command, and which."""
    kinds = list(dict.fromkeys(h.clip.condition for h in results[0].of("noise")))
    rows = []
    for kind in kinds:
        row = [kind]
        for r in results:
            heard = r.of("noise", kind)
            taken = Counter(h.command.name for h in heard if h.command is not None)
            which = ", ".join(f"{k} {n}" for k, n in taken.most_common(3))
            row.append(f"{sum(taken.values())} of {len(heard)}" + (f" ({which})" if which else ""))
        rows.append(row)
    table("Noise alone, in bursts: taken as commands", ["noise", *[r.name for r in results]], rows)


def report(results: list[Results], voices: list[str], clean_misses: int) -> None:
    """Every table, the misses, and one summary line per engine."""
    if results[0].of("commands"):
        command_tables(results, voices)
    if results[0].of("human"):
        human_table(results)
    if results[0].of("cues"):
        cue_table(results)
    if results[0].of("noise"):
        noise_table(results)
    time_table(results)
    target_table(results)
    for r in results:
        misses(r, clean_misses)
    print()
    for r in results:
        verdicts = targets(r)
        missed = [t.what for t in verdicts if not t.met]
        tail = f"; missed: {'; '.join(missed)}" if missed else ""
        print(f"{r.name}: {len(verdicts) - len(missed)} of {len(verdicts)} targets met{tail}")
