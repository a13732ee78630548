"""Listing and choosing sound devices (through sounddevice / PortAudio).

PortAudio takes a snapshot of the devices when it starts; :func:`refresh`
takes a new one (for a microphone plugged back in, or a sound server started
after voicecoach).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, cast

from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]
PORTAUDIO_PACKAGE = "libportaudio2"


def sounddevice_module() -> ModuleType:
    """Import sounddevice, turning a missing PortAudio library into one clear AudioError."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioError(
            f"the PortAudio library is missing ({exc}); install it with "
            f"`sudo apt-get install {PORTAUDIO_PACKAGE}` (Debian/Ubuntu)"
        ) from exc
    return cast(ModuleType, sounddevice)


@dataclass(frozen=True)
class DeviceInfo:
    """One sound device as PortAudio sees it."""

    index: int
    name: str
    hostapi: str
    input_channels: int
    output_channels: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False

    def channels(self, kind: Kind) -> int:
        """Channels available in the direction ``kind``."""
        return self.input_channels if kind == "input" else self.output_channels


def _default_indices(sd: ModuleType) -> tuple[int, int]:
    try:
        pair = sd.default.device
        return int(pair[0]), int(pair[1])
    except (TypeError, ValueError, IndexError):
        return -1, -1


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio knows, with the default input and output marked."""
    sd = sounddevice_module()
    raw: Any = sd.query_devices()
    hostapis: Any = sd.query_hostapis()
    default_in, default_out = _default_indices(sd)
    found = []
    for entry in raw:
        index = int(entry["index"])
        found.append(
            DeviceInfo(
                index=index,
                name=str(entry["name"]),
                hostapi=str(hostapis[int(entry["hostapi"])]["name"]),
                input_channels=int(entry["max_input_channels"]),
                output_channels=int(entry["max_output_channels"]),
                default_rate=float(entry["default_samplerate"]),
                default_input=index == default_in,
                default_output=index == default_out,
            )
        )
    return found


def refresh() -> None:
    """Restart PortAudio so that devices that appeared or vanished are seen.

    This closes every open stream, so call it only when none is running.
    """
    sd = sounddevice_module()
    sd._terminate()
    sd._initialize()
    log.debug("PortAudio restarted; %d devices", len(list_devices()))


def find_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """The device to use for ``kind``: by index, by (part of) its name, or the default.

    Raises AudioError with one line saying what is wrong and what to do.
    """
    devices = [d for d in list_devices() if d.channels(kind) > 0]
    hint = "run `voicecoach devices` to see them"
    if not devices:
        what = "microphone" if kind == "input" else "speaker or headphones"
        raise AudioError(f"no {kind} device found: connect a {what} and try again")
    if spec is None or spec == "":
        for d in devices:
            if d.default_input if kind == "input" else d.default_output:
                return d
        log.info("no default %s device; using %s", kind, devices[0].name)
        return devices[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for d in devices:
            if d.index == index:
                return d
        raise AudioError(f"there is no {kind} device number {index}; {hint}")
    wanted = spec.strip().lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in devices if wanted in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AudioError(f"no {kind} device is called {spec!r}; {hint}")
    names = ", ".join(f"{d.index}: {d.name}" for d in partial)
    raise AudioError(f"{spec!r} matches several {kind} devices ({names}); give the number")


def describe(devices: list[DeviceInfo]) -> list[str]:
    """Lines for a human: inputs first, then outputs, defaults marked with ``*``."""
    lines: list[str] = []
    sections: tuple[tuple[Kind, str], ...] = (
        ("input", "Input devices"),
        ("output", "Output devices"),
    )
    for kind, title in sections:
        usable = [d for d in devices if d.channels(kind) > 0]
        lines.append(f"{title}:")
        if not usable:
            lines.append("  (none)")
        for d in usable:
            is_default = d.default_input if kind == "input" else d.default_output
            mark = "*" if is_default else " "
            lines.append(
                f" {mark}{d.index:3d}  {d.name}  ({d.hostapi}, "
                f"{d.channels(kind)} ch, {d.default_rate:g} Hz)"
            )
    return lines
