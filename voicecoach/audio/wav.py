"""Reading WAV audio of any rate, channel count and sample format into an AudioChunk,
and writing 16-bit PCM (``voicecoach say --wav``).

Python's ``wave`` module (3.11) reads neither float nor WAVE_FORMAT_EXTENSIBLE files,
which sox and many recorders write, so the RIFF chunks are walked here directly. The
same reader takes espeak-ng's ``--stdout`` stream, whose header gives a placeholder
length: the data chunk is read as far as the bytes go.
"""

from __future__ import annotations

import logging
import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicecoach.audio.chunk import AudioChunk
from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

PCM = 1
IEEE_FLOAT = 3
EXTENSIBLE = 0xFFFE


def _fail(name: str, why: str) -> AudioError:
    hint = "give a PCM or float WAV file (any rate and channel count will do)"
    return AudioError(f"cannot read {name}: {why}; {hint}")


def _decode(raw: bytes, fmt: int, bits: int, channels: int, name: str) -> npt.NDArray[np.int16]:
    width = bits // 8
    usable = len(raw) - len(raw) % (width * channels)
    raw = raw[:usable]
    data: npt.NDArray[np.generic]
    if fmt == IEEE_FLOAT and bits in (32, 64):
        floats = np.frombuffer(raw, dtype=f"<f{width}").astype(np.float32)
        data = np.clip(floats * 32767.0, -32768, 32767).astype(np.int16)
    elif fmt == PCM and bits == 8:
        data = ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    elif fmt == PCM and bits == 16:
        data = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    elif fmt == PCM and bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        data = (((b[:, 2] << 24) | (b[:, 1] << 16) | (b[:, 0] << 8)) >> 16).astype(np.int16)
    elif fmt == PCM and bits == 32:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise _fail(name, f"unsupported sample format (format {fmt}, {bits} bits)")
    return np.asarray(data, dtype=np.int16).reshape(-1, channels)


def parse_wav(data: bytes, name: str) -> AudioChunk:
    """Decode WAV bytes as (frames, channels) int16 at their own rate; AudioError if unreadable.

    ``name`` says where the bytes came from, in the error message.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _fail(name, "not a RIFF/WAVE file")
    pos, fmt_info, raw = 12, None, None
    while pos + 8 <= len(data):
        cid, size = struct.unpack_from("<4sI", data, pos)
        body = data[pos + 8 : pos + 8 + size]  # a streamed header's size runs past the end
        if cid == b"fmt " and len(body) >= 16:
            fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if fmt == EXTENSIBLE and len(body) >= 26:
                fmt = struct.unpack_from("<H", body, 24)[0]
            fmt_info = (fmt, channels, rate, bits)
        elif cid == b"data":
            raw = body
            break
        pos += 8 + size + (size & 1)
    if fmt_info is None or raw is None:
        raise _fail(name, "missing fmt or data chunk")
    fmt, channels, rate, bits = fmt_info
    if channels < 1 or rate < 1000 or bits % 8:
        raise _fail(name, f"implausible header ({channels} channels, {rate} Hz, {bits} bits)")
    samples = _decode(raw, fmt, bits, channels, name)
    log.debug("read %s: %d frames, %d Hz, %d channels", name, len(samples), rate, channels)
    return AudioChunk(samples=samples, rate=rate)


def read_wav(path: Path) -> AudioChunk:
    """Read ``path`` as (frames, channels) int16 at its own rate; AudioError if unreadable."""
    name = f"WAV file {path}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(name, exc.strerror or type(exc).__name__) from None
    return parse_wav(data, name)


def write_wav(path: Path, audio: AudioChunk) -> None:
    """Write ``audio`` as a 16-bit PCM WAV file; AudioError (one line) when it cannot."""
    samples = np.ascontiguousarray(audio.samples, dtype=np.int16)
    channels = samples.shape[1] if samples.ndim == 2 else 1
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(2)
            out.setframerate(audio.rate)
            out.writeframes(samples.tobytes())
    except OSError as exc:
        raise AudioError(
            f"cannot write WAV file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
