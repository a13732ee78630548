"""Every voice the coach can speak with, of both engines, and the speaker for a setting.

Two engines speak: Piper (neural, the default whenever a Piper voice loads) and pyttsx3
(espeak-ng on Linux, the design card's engine, always there as the fallback). The ``voice``
setting names one voice of either:

* a Piper voice by its file name, ``en_US-joe-medium`` (``piper:en_US-joe-medium`` too, as
  ``voicecoach models download`` writes it); Piper names have an underscore and end in a
  quality (``-medium``), which no espeak-ng id does;
* an espeak-ng voice id, ``en-us`` or ``gmw/en-us+f3`` (the rules are in
  :mod:`voicecoach.voice.voices`).

No setting: the first Piper voice found (:func:`voicecoach.voice.piper_voices.find_voices`),
else espeak-ng's default. A Piper voice that will not load (missing package, damaged file,
onnxruntime failing) leaves the coach speaking with pyttsx3, said in one line on stderr:
a person on a mat needs a voice more than a good one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.playback import Player
from voicecoach.errors import AudioError, ModelError
from voicecoach.settings import DEFAULTS
from voicecoach.voice import piper_voices
from voicecoach.voice.speaker import Speaker
from voicecoach.voice.voices import (
    DEFAULT_VOICE_ID,
    PYTTSX3,
    VoiceInfo,
    find_voice,
    installed_variants,
    installed_voices,
    voice_problem,
)

log = logging.getLogger(__name__)

PIPER = "piper"
PIPER_PREFIX = "piper:"
LISTING = "`voicecoach voices` lists them"


def piper_name(wanted: str) -> str | None:
    """The Piper voice name ``wanted`` stands for, or None when it is an espeak-ng voice."""
    if wanted.startswith(PIPER_PREFIX):
        return wanted.removeprefix(PIPER_PREFIX)
    return wanted if piper_voices.VOICE_NAME.match(wanted) else None


def _described(voice: piper_voices.VoiceFile) -> VoiceInfo:
    parts = voice.name.split("-")
    name = f"{parts[1]} ({parts[-1]})" if len(parts) >= 3 else voice.name
    language = (voice.language or parts[0]).replace("_", "-").lower()
    return VoiceInfo(voice.name, name, (language,), PIPER)


def piper_voice_list() -> list[VoiceInfo]:
    """The Piper voices found, each name once (the first found is the one used)."""
    seen: dict[str, VoiceInfo] = {}
    for voice in piper_voices.find_voices():
        seen.setdefault(voice.name, _described(voice))
    return list(seen.values())


def all_voices() -> list[VoiceInfo]:
    """Piper's voices, then espeak-ng's (none of these when espeak-ng is missing)."""
    try:
        spoken = installed_voices()
    except AudioError as exc:
        log.info("no espeak-ng voices: %s", exc)
        spoken = []
    return piper_voice_list() + spoken


def problem(wanted: str) -> str | None:
    """Why no speaker can speak with the setting ``wanted`` (None: one can).

    AudioError when ``wanted`` is an espeak-ng voice and espeak-ng cannot list its voices.
    """
    name = piper_name(wanted)
    if name is not None:
        if piper_voices.find_voice(name) is not None:
            return None
        return (
            f"{wanted!r} is not an installed Piper voice ({LISTING}); get it with "
            f"`voicecoach models download piper:{name}` on a connected machine"
        )
    return voice_problem(wanted, installed_voices(), installed_variants())


def in_use(wanted: str | None, voices: Sequence[VoiceInfo]) -> VoiceInfo | None:
    """The listed voice the setting ``wanted`` chooses (no setting: the default)."""
    if not wanted:
        piper = [v for v in voices if v.engine == PIPER]
        if piper:
            return piper[0]
        return next((v for v in voices if v.id == DEFAULT_VOICE_ID), None)
    name = piper_name(wanted)
    if name is not None:
        return next((v for v in voices if v.engine == PIPER and v.id == name), None)
    try:
        variants = installed_variants()
    except AudioError:
        return None
    return find_voice(wanted, voices, variants)


Warn = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@dataclass(frozen=True)
class Choice:
    """What a ``voice`` setting comes to: a loaded Piper voice, or an espeak-ng voice id
    for pyttsx3 (None: espeak-ng's default)."""

    piper: Any  # a loaded PiperVoice, or None
    piper_name: str | None
    espeak: str | None


def choose(wanted: str | None, warn: Warn = _stderr) -> Choice:
    """The voice the setting ``wanted`` chooses: Piper for a Piper voice or no setting,
    pyttsx3 for an espeak-ng voice, and pyttsx3 with its default voice (said once,
    through ``warn``) when the Piper voice does not load."""
    name = piper_name(wanted) if wanted else None
    if wanted and name is None:
        return Choice(None, None, wanted)
    try:
        from voicecoach.voice.piper_speaker import default_voice

        voice = piper_voices.find_voice(name) if name else default_voice()
        if voice is None:
            raise ModelError(f"no Piper voice called {name!r} ({LISTING})")
        return Choice(piper_voices.load_voice(voice), voice.name, None)
    except (ModelError, ImportError) as exc:
        warn(f"voicecoach: {exc}; speaking with pyttsx3 (espeak-ng) instead")
        return Choice(None, None, None)


def open_speaker(
    wanted: str | None,
    *,
    rate_wpm: int | None = None,
    volume: float = 1.0,
    device: str | int | None = None,
    player: Player | None = None,
    warn: Warn = _stderr,
) -> Speaker:
    """A started speaker for the setting ``wanted`` (:func:`choose`), playing on ``device``
    or through ``player`` (the live loop's duplex stream). The speaker's own AudioError (no
    output device, no speech engine at all) is raised."""
    choice = choose(wanted, warn)
    if choice.piper is not None:
        from voicecoach.voice.piper_speaker import PiperSpeaker

        return PiperSpeaker(
            loaded=choice.piper, rate_wpm=rate_wpm, volume=volume, device=device, player=player
        )
    from voicecoach.voice.tts import Pyttsx3Speaker

    return Pyttsx3Speaker(
        rate_wpm=rate_wpm, voice=choice.espeak, volume=volume, device=device, player=player
    )


class CoachVoice:
    """The coach's voice as audio, for what must hear the coach exactly as it sounds: the
    demo's simulated room, ``voicecoach say --wav``, the benchmarks' own-voice sets.

    ``wanted`` is the ``voice`` setting, chosen by :func:`choose` as for the speaker (the
    same fallback, said once through ``warn``). ``engine`` and ``id`` say what it became.
    Renderings are kept: a session says its counts and cues many times over.
    """

    def __init__(self, wanted: str | None, *, volume: float = 1.0, warn: Warn = _stderr) -> None:
        self.volume = volume
        self._cache: dict[tuple[str, int], AudioChunk] = {}
        choice = choose(wanted, warn)
        self._piper = choice.piper
        if choice.piper_name is not None:
            self.engine, self.id = PIPER, choice.piper_name
        else:
            self.engine, self.id = PYTTSX3, choice.espeak or DEFAULT_VOICE_ID.rsplit("/", 1)[-1]

    def __call__(self, text: str, rate_wpm: int | None = None) -> AudioChunk:
        """``text`` spoken at ``rate_wpm`` (default: the default speech rate)."""
        rate = rate_wpm or DEFAULTS.speech_rate
        key = (text, rate)
        if key not in self._cache:
            self._cache[key] = self._render(text, rate)
        return self._cache[key]

    def _render(self, text: str, rate: int) -> AudioChunk:
        if self._piper is not None:
            from voicecoach.voice import piper_speaker

            scale = piper_speaker.length_scale_for(self._piper, rate)
            return piper_speaker.render(self._piper, text, length_scale=scale, volume=self.volume)
        from voicecoach.voice import synth

        amplitude = round(100 * self.volume)
        return synth.synthesize(text, self.id, rate, amplitude=amplitude, target_rate=None)


def render(
    wanted: str | None,
    text: str,
    *,
    rate_wpm: int | None = None,
    volume: float = 1.0,
    warn: Warn = _stderr,
) -> AudioChunk:
    """``text`` in the voice the setting ``wanted`` chooses, as audio (for a WAV file). The
    espeak-ng voices render through the ``espeak-ng`` command, which reads the voice files
    pyttsx3 speaks with."""
    return CoachVoice(wanted, volume=volume, warn=warn)(text, rate_wpm)
