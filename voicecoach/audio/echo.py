"""Removing the coach's own voice from the microphone: SpeexDSP's acoustic echo canceller.

The coach knows what it plays (the reference); the microphone hears that, as the room
returns it, mixed with the person. SpeexDSP's canceller (Debian's ``libspeexdsp1``, BSD,
called through ctypes: the PyPI wrapper is source-only and leaves the residual-echo
suppressor out) learns the room's response with an adaptive filter and subtracts it; its
preprocessor then suppresses what echo remains, which needs its noise suppression on.

Chosen over WebRTC's AEC3 (``livekit``'s AudioProcessingModule, ``pywebrtc-audio``) by a
trial for issue 13, in a simulated room (delay 20-200 ms, RT60 0.3-0.6 s, echo up to
10 dB over the person): AEC3 removed more echo (30-53 dB against 28-42 dB) but cut the
person's word frame by frame while the coach talked (35-55 dB down in loud frames), and
Whisper then heard 1-4 of 12 commands said over the coach, against 8-11 of 12 after
SpeexDSP and 1-2 of 12 with no canceller. SpeexDSP has no delay estimate: the reference
must reach it at the delay the room adds (``delay`` frames), and its filter
(``filter_ms``) covers the reverberation after that. Not wired into the live loop yet.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import numpy as np

from voicecoach.audio.chunk import SPEECH_RATE, Samples
from voicecoach.errors import AudioError

FRAME = SPEECH_RATE // 100  # 10 ms: what both halves of the canceller take at a time
LATENCY = FRAME  # the output lags the microphone by one frame (the preprocessor's; measured)
LIBRARY_PACKAGE = "libspeexdsp1"
# speex_echo.h / speex_preprocess.h request numbers
_ECHO_SET_SAMPLING_RATE = 24
_PREPROCESS_SET_DENOISE = 0
_PREPROCESS_SET_ECHO_SUPPRESS = 20
_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
_PREPROCESS_SET_ECHO_STATE = 24

_library: Any = None


def speexdsp() -> Any:
    """The loaded libspeexdsp, its functions typed; AudioError naming the package."""
    global _library
    if _library is not None:
        return _library
    name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        raise AudioError(
            f"the echo canceller's library is missing; install it with "
            f"`sudo apt-get install {LIBRARY_PACKAGE}`"
        ) from None
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    lib.speex_echo_state_init.restype = pointer
    lib.speex_echo_state_init.argtypes = [integer, integer]
    lib.speex_echo_ctl.argtypes = [pointer, integer, pointer]
    lib.speex_echo_cancellation.argtypes = [pointer, pointer, pointer, pointer]
    lib.speex_echo_state_destroy.argtypes = [pointer]
    lib.speex_preprocess_state_init.restype = pointer
    lib.speex_preprocess_state_init.argtypes = [integer, integer]
    lib.speex_preprocess_ctl.argtypes = [pointer, integer, pointer]
    lib.speex_preprocess_run.argtypes = [pointer, pointer]
    lib.speex_preprocess_state_destroy.argtypes = [pointer]
    _library = lib
    return lib


class EchoCanceller:
    """Mono int16 at SPEECH_RATE, 10 ms at a time: :meth:`process` takes what the
    microphone heard and what was played then, and returns the microphone without the
    played sound. ``delay`` frames of reference are held back first (the room's delay,
    measured by the caller); ``suppress_db`` is how far the residual echo is pushed down."""

    def __init__(self, *, filter_ms: int = 256, delay: int = 0, suppress_db: int = -40) -> None:
        lib = speexdsp()
        self._lib = lib
        taps = SPEECH_RATE * filter_ms // 1000
        self._echo = lib.speex_echo_state_init(FRAME, taps)
        self._pre = lib.speex_preprocess_state_init(FRAME, SPEECH_RATE)
        if not self._echo or not self._pre:
            raise AudioError("the echo canceller could not start (libspeexdsp)")
        self._set(lib.speex_echo_ctl, self._echo, _ECHO_SET_SAMPLING_RATE, SPEECH_RATE)
        lib.speex_preprocess_ctl(self._pre, _PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self._echo))
        self._set(lib.speex_preprocess_ctl, self._pre, _PREPROCESS_SET_DENOISE, 1)
        for request in (_PREPROCESS_SET_ECHO_SUPPRESS, _PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE):
            self._set(lib.speex_preprocess_ctl, self._pre, request, suppress_db)
        self._held = [np.zeros(FRAME, dtype=np.int16) for _ in range(delay)]

    @staticmethod
    def _set(ctl: Any, state: Any, request: int, value: int) -> None:
        number = ctypes.c_int(value)
        ctl(state, request, ctypes.byref(number))

    def process(self, mic: Samples, played: Samples) -> Samples:
        """One 10 ms frame of the microphone with the echo of ``played`` taken out."""
        near = np.ascontiguousarray(mic, dtype=np.int16).reshape(-1)
        far = np.ascontiguousarray(played, dtype=np.int16).reshape(-1)
        if len(near) != FRAME or len(far) != FRAME:
            raise ValueError(f"the echo canceller takes frames of {FRAME} samples")
        if self._held:
            self._held.append(far)
            far = self._held.pop(0)
        out = np.empty(FRAME, dtype=np.int16)
        self._lib.speex_echo_cancellation(
            self._echo, near.ctypes.data, far.ctypes.data, out.ctypes.data
        )
        self._lib.speex_preprocess_run(self._pre, out.ctypes.data)
        return out

    def close(self) -> None:
        """Free the library's state (also done when the object goes)."""
        if self._pre:
            self._lib.speex_preprocess_state_destroy(self._pre)
            self._pre = None
        if self._echo:
            self._lib.speex_echo_state_destroy(self._echo)
            self._echo = None

    def __del__(self) -> None:
        if hasattr(self, "_lib"):
            self.close()
