"""The installed speech voices, and which values of the ``voice`` setting the coach can speak with.

The coach speaks through pyttsx3, whose Linux driver is espeak-ng. The voices are listed by the
``espeak-ng`` command (``--voices``, about 10 ms), not by ``pyttsx3.init()``: espeak-ng's library
is one per process and pyttsx3 keeps one engine per driver, so asking pyttsx3 from here could
share, from the wrong thread, the engine a running
:class:`voicecoach.voice.tts.Pyttsx3Speaker` drives. Both read the same voice files.

Which values the speaker accepts follows from espeak-ng's ``SetVoiceByName`` and the speaker's
own check (``_voice_took`` in :mod:`voicecoach.voice.tts`: the id espeak-ng reports afterwards
must equal the value or end with ``/`` and the value, ignoring case). Tried on every installed
voice, that keeps:

- a voice id in any case, ``gmw/en-US`` or ``gmw/en-us``, or its last part, ``en-us``;
- either with ``+variant``, a variant file's exact name: ``en-us+f3``, ``en-us+Alex``.

and refuses a voice's name (``English (America)``, ``Klingon``: espeak-ng takes it, then reports
the id), an unknown or wrongly cased variant (espeak-ng drops it without a word, so the id lacks
it), a numbered one (``+3`` becomes ``+m3``) and anything with spaces around it.
:func:`voice_problem` applies the same rules to the listed voices. It is stricter in three
cases the speaker lets through: a variant on its own (``f3``), which espeak-ng loads with no
language (the ``espeak-ng`` command crashes on it); an MBROLA voice (``mb-en1``, not listed),
which without MBROLA installed renders silence (0.39 s of it for a 2.6 s sentence); and file
paths that are not voice ids (``gmw//en``).
"""

from __future__ import annotations

import difflib
import logging
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from voicecoach.errors import AudioError
from voicecoach.voice.synth import espeak_binary

log = logging.getLogger(__name__)

PYTTSX3 = "pyttsx3"
DEFAULT_VOICE_ID = "gmw/en"  # espeak-ng's default ("en"), what the speaker uses with no setting
VARIANT_DIR = "!v/"  # where espeak-ng's variant files are, relative to its voices folder
# One line of `espeak-ng --voices`: priority, language, age/gender, name (spaces written as _),
# the voice file (its id; may hold spaces) and other languages, each as "(code priority)".
_LINE = re.compile(
    r"^\s*\d+\s+(?P<language>\S+)\s+\S+/\S\s+(?P<name>\S+)\s+(?P<file>.*?)\s*"
    r"(?P<others>(?:\(\S+ \d+\))*)\s*$"
)
_OTHER = re.compile(r"\((\S+) \d+\)")


@dataclass(frozen=True)
class VoiceInfo:
    """One voice a speech engine can speak with: ``id`` is what goes in ``voice = "..."``."""

    id: str
    name: str
    languages: tuple[str, ...]
    engine: str = PYTTSX3


def parse_voice_list(text: str) -> list[VoiceInfo]:
    """The voices in the output of ``espeak-ng --voices`` (ids in lower case, as pyttsx3 has)."""
    voices = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue  # the heading
        languages = [match["language"], *_OTHER.findall(match["others"])]
        voices.append(
            VoiceInfo(
                id=match["file"].lower(),
                name=match["name"].replace("_", " ").strip(),
                languages=tuple(dict.fromkeys(lang.lower() for lang in languages)),
            )
        )
    return voices


def _espeak_list(option: str) -> str:
    command = [espeak_binary(), option]  # AudioError naming the package when it is missing
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"espeak-ng cannot list its voices: {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise AudioError(
            f"espeak-ng cannot list its voices ({reason[0]}); on Debian/Ubuntu reinstall them "
            "with `sudo apt-get install --reinstall espeak-ng espeak-ng-data`"
        )
    return done.stdout


def installed_voices() -> list[VoiceInfo]:
    """Every voice the coach can speak with, by language; AudioError when there is no engine."""
    voices = parse_voice_list(_espeak_list("--voices"))
    log.debug("%d voices installed", len(voices))
    return voices


def parse_variant_list(text: str) -> list[VoiceInfo]:
    """The variants in the output of ``espeak-ng --voices=variant``, ids in their own case."""
    variants = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is not None and match["file"].startswith(VARIANT_DIR):
            name = match["name"].replace("_", " ").strip()
            variants.append(VoiceInfo(match["file"].removeprefix(VARIANT_DIR), name, ()))
    return variants


def installed_variants() -> list[VoiceInfo]:
    """espeak-ng's variants (``f3``, ``klatt``, ``Alex``...): ``voice = "en-us+f3"``.

    Their ids keep their case, which espeak-ng needs: ``+alex`` is no variant, ``+Alex`` is.
    """
    return parse_variant_list(_espeak_list("--voices=variant"))


def find_voice(
    wanted: str, voices: Sequence[VoiceInfo], variants: Sequence[VoiceInfo]
) -> VoiceInfo | None:
    """The voice the speaker uses for the setting ``wanted``, or None when it refuses it."""
    base, plus, variant = wanted.partition("+")
    if plus and (variant[:1].isdigit() or variant not in {v.id for v in variants}):
        return None
    key = base.lower()
    spoken = [v for v in voices if v.engine == PYTTSX3]
    for voice in spoken:
        if voice.id == key:
            return voice
    if any(voice.name.lower() == key for voice in spoken):
        return None  # espeak-ng takes a name, but then reports the id, which the speaker refuses
    ends = [voice for voice in spoken if voice.id.endswith("/" + key)]
    return ends[-1] if ends else None  # espeak-ng takes the last one (no two share a last part)


def voice_problem(
    wanted: str, voices: Sequence[VoiceInfo], variants: Sequence[VoiceInfo]
) -> str | None:
    """Why the speaker would refuse the setting ``wanted`` (None if it speaks with it)."""
    if find_voice(wanted, voices, variants) is not None:
        return None
    listing = "`voicecoach voices` lists the installed voices"
    if wanted != wanted.strip():
        return f"{wanted!r} has spaces around it; {listing}"
    base, plus, variant = wanted.partition("+")
    named = [v for v in voices if v.name.lower() == base.lower()]
    if plus and find_voice(base, voices, variants) is not None:
        hint = _close(variant, [v.id for v in variants])
        return (
            f"{wanted!r}: {variant!r} is not a variant{hint} (variants are written exactly, "
            "like f3, m3, klatt or Alex; `voicecoach voices --variants` lists them)"
        )
    if named:
        fixed = named[0].id + plus + variant
        return f'{wanted!r} is a voice\'s name, not its id: write voice = "{fixed}" ({listing})'
    bare = [v.id for v in variants if v.id.lower() == base.lower()]
    if bare:
        return f'{wanted!r} is a variant, not a voice: add it to one, like "en-us+{bare[0]}"'
    ids = [v.id for v in voices] + [v.id.rsplit("/", 1)[-1] for v in voices]
    return f"{wanted!r} is not an installed voice{_close(base.lower(), ids)}; {listing}"


def _close(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
