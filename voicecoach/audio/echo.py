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
(``filter_ms``) covers the reverberation after that.

:class:`EchoRemover` is what the listening path uses: chunks of any size and rate in, the
microphone at SPEECH_RATE without the coach out. It finds the delay itself
(:func:`find_delay`, the earliest strong peak of the phase-transform cross-correlation of
what was played and what was heard) while the coach talks, and holds the reference back by
that much, less a little margin.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from voicecoach.audio.chunk import SPEECH_RATE, AudioChunk, Samples
from voicecoach.errors import AudioError

log = logging.getLogger(__name__)

FRAME = SPEECH_RATE // 100  # 10 ms: what both halves of the canceller take at a time
# The remover's filter, from the direct sound on: the room's reverberation it can take out.
# With 256 ms, the late tail of a reverberant room (RT60 0.5-0.6 s) was left, and Whisper
# made commands of it between the coach's sentences ("let's go", "start", 0.1-0.3 s, little
# taken out): 5 and 6 such hearings in two `talk_over --quick` runs, and one self-trigger in
# each of two of four runs; with 512 ms none in one run, at 2.1% of a core against 1.6-1.8%.
FILTER_MS = 512
LATENCY = FRAME  # the output lags the microphone by one frame (the preprocessor's; measured)
LIBRARY_PACKAGE = "libspeexdsp1"
# speex_echo.h / speex_preprocess.h request numbers
_ECHO_SET_SAMPLING_RATE = 24
_PREPROCESS_SET_DENOISE = 0
_PREPROCESS_SET_ECHO_SUPPRESS = 20
_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
_PREPROCESS_SET_ECHO_STATE = 24

# Finding the delay: the longest looked for, the stretch compared, how often, and how
# loud what was played must be (dBFS) for a stretch to count.
MAX_DELAY = 0.5
# The sound cannot come back sooner than this share of the delay the stream reports (its
# buffers' latency, the first guess): on the virtual devices the cross-correlation once had
# a spurious peak at lag 0 that two measurements agreed on, and the canceller, set there,
# took nothing out for a whole session (the true delay was about 300 ms, 330 reported).
SHORTEST_SHARE = 0.5
WINDOW = 2.0
EVERY = 0.5
PLAYED_DBFS = -45.0
# The reference is held back by the delay found less this many frames: an estimate a frame
# late must not put the direct sound before the filter's first tap.
MARGIN = 2
# How many frames later than set the direct sound may come before the canceller is started
# again with the new delay. Within that the filter follows the sound where it is (a slow
# drift: 2-2.5 ms a minute through PulseAudio's loopback). A jump is learned faster afresh:
# once per stream the virtual devices' output moved 26-30 ms later (an underrun), and with 4
# frames allowed the filter took about 15 s to take 10 dB out again (helper trial, issue 13).
LATE = 2
# A peak of the cross-correlation counts when it stands this far over its typical value.
PEAK_OVER_TYPICAL = 8.0
# The canceller has learned the room when, over the last SETTLE_WINDOW seconds of the coach
# talking (0.1 s blocks; the median block, so that a person talking over it for a second does
# not count), its echo is SETTLED_DB down, or what is left of it is within NOISE_MARGIN_DB of
# the room's own noise (a faint echo cannot be taken far below that). The noise is the
# quietest NOISE_PERCENTILE of the microphone's 10 ms frames lately: the pauses between the
# coach's sentences. It has lost the room again when the echo is less than UNSETTLED_DB down
# and above the noise: the room changed (someone moved, the delay drifted). A faint echo
# counts only against real noise: on a line with no noise at all (virtual devices) Whisper
# makes words of an echo at -60 dBFS.
SETTLE_WINDOW = 3.0
LOG_FRAMES = 3000  # 10 ms frames of energies kept, for :meth:`EchoRemover.kept_db`
LOUDEST_DB = 20.0
SETTLED_DB = 15.0
UNSETTLED_DB = 10.0
NOISE_PERCENTILE = 5.0
NOISE_MARGIN_DB = 3.0
# Whether the canceller was doing its work just before an utterance (:meth:`EchoRemover.
# working_before`): the echo SETTLED_DB down over the blocks of the BEFORE seconds up to
# ONSET before its start (the VAD starts an utterance up to 0.1 s into the voice, and a block
# with the person in it is no measure of the echo), judged on BLOCKS_TO_JUDGE or more. The
# bar is the one for learning the room, not the lower one for losing it: on the virtual
# devices, with the delay creeping, Whisper made words of an echo 12-13 dB down.
BEFORE = 1.0
ONSET = 0.2
BLOCKS_TO_JUDGE = 3
BLOCKS_KEPT = 100  # 0.1 s blocks of the coach talking kept: 10 s

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


def find_delay(
    heard: npt.NDArray[np.generic],
    played: npt.NDArray[np.generic],
    longest: int,
    shortest: int = 0,
) -> int | None:
    """How many samples after ``played`` its echo reaches ``heard`` (same length, same
    clock): the earliest lag from ``shortest`` up to ``longest`` whose phase-transform
    cross-correlation (GCC-PHAT) is at least half the strongest; the direct sound, not a
    louder reflection after it. None when no lag stands out (nothing played, or nothing
    of it heard)."""
    mic = np.asarray(heard, dtype=np.float64).reshape(-1)
    ref = np.asarray(played, dtype=np.float64).reshape(-1)
    size = 1 << int(np.ceil(np.log2(len(mic) + len(ref))))
    cross = np.fft.rfft(mic, size) * np.conj(np.fft.rfft(ref, size))
    cross /= np.abs(cross) + 1e-12
    corr = np.fft.irfft(cross, size)[shortest : longest + 1]
    peak = float(corr.max())
    typical = float(np.median(np.abs(corr))) + 1e-12
    if peak < PEAK_OVER_TYPICAL * typical:
        return None
    return shortest + int(np.flatnonzero(corr >= 0.5 * peak)[0])


class _Resampler:
    """One stream's conversion to SPEECH_RATE mono int16, keeping state across chunks (a
    chunk-by-chunk conversion would put clicks at the seams, which the canceller cannot
    match between the two streams)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._stream = (
            None
            if rate == SPEECH_RATE
            else soxr.ResampleStream(rate, SPEECH_RATE, 1, dtype="float32")
        )

    def __call__(self, samples: npt.NDArray[np.generic]) -> Samples:
        data = np.asarray(samples)
        if data.ndim == 2:
            data = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
        if self._stream is None and data.dtype == np.int16:
            return np.ascontiguousarray(data, dtype=np.int16)
        floats = data.astype(np.float32) / (32768.0 if data.dtype == np.int16 else 1.0)
        if self._stream is not None:
            floats = self._stream.resample_chunk(floats)
        out: Samples = np.clip(floats * 32768.0, -32768, 32767).astype(np.int16)
        return out


class EchoRemover:
    """The microphone without the coach's voice, a chunk at a time.

    :meth:`process` takes a chunk of the microphone and the chunk played at the same
    moments (the same clock and rate: one duplex stream, or a simulated room) and returns
    the microphone's chunk at SPEECH_RATE with the echo taken out; the two halves may be of
    any size, and audio is passed on in whole 10 ms frames. ``delay`` (seconds from playing
    to hearing; the stream's reported latency) is a first guess, and no echo is looked for
    sooner than half of it; while the coach talks the remover measures it every
    :data:`EVERY` seconds and, when two measurements agree on a delay the filter does not
    reach as the reference is held back now, starts the canceller again with it.
    :attr:`settled` tells when it has learned the room. ``busy`` counts the seconds spent.
    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        find: bool = True,
        filter_ms: int = FILTER_MS,
        suppress_db: int = -40,
        longest: float = MAX_DELAY,
    ) -> None:
        self.filter_ms = filter_ms
        self.suppress_db = suppress_db
        self.find = find
        self.longest = round(longest * SPEECH_RATE)
        # The devices' buffers come first: no echo sooner than SHORTEST_SHARE of the guess.
        self.shortest = round(delay * SHORTEST_SHARE * SPEECH_RATE)
        self.delay = round(delay * SPEECH_RATE)  # samples, as used now
        self.found: list[int] = []  # each delay measured, in samples
        self.restarts = 0  # times the canceller started again with a new delay
        self.measured: int | None = None  # the last delay two measurements agreed on
        self.busy = 0.0
        self.settled = False  # see :data:`SETTLED_DB`; False again after a restart
        self.erle_db: float | None = None  # the echo taken out lately (median 0.1 s block)
        # (stream seconds at its end, heard, left) energy per 0.1 s block of the coach talking
        self._blocks: deque[tuple[float, float, float]] = deque(maxlen=BLOCKS_KEPT)
        self._block = [0.0, 0.0, 0.0]  # the block being summed: heard, left, frames
        self._heard_energy: deque[float] = deque(maxlen=LOG_FRAMES)  # per 10 ms frame
        self._left_energy: deque[float] = deque(maxlen=LOG_FRAMES)
        self._logged = 0  # frames logged since the start
        self._canceller = self._new_canceller()
        self._mic = np.zeros(0, np.int16)
        self._played = np.zeros(0, np.int16)
        self._history_mic: list[Samples] = []
        self._history_played: list[Samples] = []
        self._since_search = 0
        self._resample: tuple[_Resampler, _Resampler] | None = None
        self._out_at: float | None = None

    def _new_canceller(self) -> EchoCanceller:
        frames = max(0, self.delay // FRAME - MARGIN)
        return EchoCanceller(filter_ms=self.filter_ms, delay=frames, suppress_db=self.suppress_db)

    @property
    def delay_seconds(self) -> float:
        """The delay from playing to hearing that the canceller is set for (the reference
        is held back by this, less :data:`MARGIN` frames)."""
        return self.delay / SPEECH_RATE

    @property
    def measured_seconds(self) -> float | None:
        """The delay from playing to hearing as measured (None: not yet)."""
        return None if self.measured is None else self.measured / SPEECH_RATE

    def process(self, mic: AudioChunk, played: AudioChunk) -> AudioChunk:
        """``mic`` with the echo of ``played`` taken out, at SPEECH_RATE (a frame late)."""
        began = time.perf_counter()
        if self._resample is None or self._resample[0].rate != mic.rate:
            self._resample = (_Resampler(mic.rate), _Resampler(played.rate))
        if self._out_at is None:
            self._out_at = mic.timestamp
        self._mic = np.concatenate([self._mic, self._resample[0](mic.samples)])
        self._played = np.concatenate([self._played, self._resample[1](played.samples)])
        whole = min(len(self._mic), len(self._played)) // FRAME * FRAME
        near, self._mic = self._mic[:whole], self._mic[whole:]
        far, self._played = self._played[:whole], self._played[whole:]
        out = np.empty(whole, dtype=np.int16)
        for i in range(0, whole, FRAME):
            out[i : i + FRAME] = self._canceller.process(near[i : i + FRAME], far[i : i + FRAME])
        if whole:
            heard, left = _frame_energy(near), _frame_energy(out)
            self._settle(heard, left, _frame_levels(far) > PLAYED_DBFS)
            self._log(heard, left)
        if self.find and whole:
            self._remember(near, far)
        chunk = AudioChunk(out.reshape(-1, 1), SPEECH_RATE, self._out_at)
        self._out_at += whole / SPEECH_RATE
        self.busy += time.perf_counter() - began
        return chunk

    def _remember(self, near: Samples, far: Samples) -> None:
        """Keep the last :data:`WINDOW` seconds of both; measure the delay every :data:`EVERY`."""
        self._history_mic.append(near)
        self._history_played.append(far)
        keep = round(WINDOW * SPEECH_RATE)
        while sum(len(x) for x in self._history_mic) - len(self._history_mic[0]) >= keep:
            self._history_mic.pop(0)
            self._history_played.pop(0)
        self._since_search += len(near)
        if self._since_search < EVERY * SPEECH_RATE:
            return
        self._since_search = 0
        heard = np.concatenate(self._history_mic)[-keep:]
        played = np.concatenate(self._history_played)[-keep:]
        if len(played) < keep or _loud_share(played) < 0.5:
            return
        lag = find_delay(heard, played, self.longest, self.shortest)
        if lag is None:
            return
        self.found.append(lag)
        agreed = len(self.found) >= 2 and abs(self.found[-2] - lag) <= FRAME
        if agreed:
            self.measured = lag
        if agreed and self._outside_filter(lag):
            log.info(
                "echo delay %.0f ms (was set for %.0f): the canceller starts again",
                lag / SPEECH_RATE * 1000,
                self.delay / SPEECH_RATE * 1000,
            )
            self.delay = lag
            self.restarts += 1
            self._canceller.close()
            self._canceller = self._new_canceller()
            self.settled = False
            self.erle_db = None
            self._blocks.clear()
            self._block = [0.0, 0.0, 0.0]

    def _outside_filter(self, lag: int) -> bool:
        """Whether the direct sound at ``lag`` is off the delay set now by more than a frame
        early (it would come before the filter's first tap) or :data:`LATE` frames late (it
        would leave too little of the filter for the room's tail). A restart costs seconds
        of learning; within that, the filter follows the sound where it is."""
        return not self.delay - FRAME <= lag <= self.delay + LATE * FRAME

    def _log(self, heard: npt.NDArray[np.float64], left: npt.NDArray[np.float64]) -> None:
        """Keep each 10 ms frame's energy heard and left, for :meth:`kept_db`."""
        self._heard_energy.extend(heard.tolist())
        self._left_energy.extend(left.tolist())
        self._logged += len(heard)

    def kept_db(self, start: float, end: float) -> float | None:
        """How much of what the microphone heard between stream seconds ``start`` and
        ``end`` is left after the echo is taken out, in dB: the 90th percentile over its
        10 ms frames within :data:`LOUDEST_DB` of the loudest. A person's voice stays (near
        0 dB, or the echo's lead over it); the coach's echo alone is taken out (its ERLE
        below). None when those moments are no longer (or not yet) kept."""
        span = self._span(start, end)
        if span is None:
            return None
        heard, left = span
        loud = heard >= heard.max() * 10 ** (-LOUDEST_DB / 10)
        return float(np.percentile(10 * np.log10(left[loud] / heard[loud]), 90))

    def over_noise_db(self, start: float, end: float) -> float | None:
        """How far what is left between stream seconds ``start`` and ``end`` stands over
        the room's own noise, in dB (its 90th percentile 10 ms frame). None on a line with
        no noise at all, or when those moments are not kept."""
        span = self._span(start, end)
        noise = self.noise_energy()
        if span is None or noise <= 1.0:
            return None
        return float(10 * np.log10(np.percentile(span[1], 90) / noise))

    def _span(
        self, start: float, end: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """The energies heard and left (+1) of the 10 ms frames between two stream seconds."""
        if self._out_at is None:
            return None
        origin = self._out_at - self._logged * FRAME / SPEECH_RATE  # stream time of frame 0
        first = self._logged - len(self._heard_energy)
        lo = max(first, int((start - origin) * 100))
        hi = min(self._logged, int(np.ceil((end - origin) * 100)))
        if hi <= lo:
            return None
        heard = np.array(list(self._heard_energy))[lo - first : hi - first] + 1.0
        left = np.array(list(self._left_energy))[lo - first : hi - first] + 1.0
        return heard, left

    def noise_energy(self) -> float:
        """The room's own noise lately: a quiet 10 ms frame's energy at the microphone."""
        if not self._heard_energy:
            return 0.0
        return float(np.percentile(np.array(self._heard_energy), NOISE_PERCENTILE))

    def _settle(
        self,
        heard_frames: npt.NDArray[np.float64],
        left_frames: npt.NDArray[np.float64],
        played_frames: npt.NDArray[np.bool_],
    ) -> None:
        """Whether the canceller knows the room now (:attr:`settled`, :attr:`erle_db`), from
        the last 0.1 s blocks in which the coach played all along (per 10 ms frame: the
        energy heard, the energy left, and whether the coach played)."""
        added = False
        at = self._out_at or 0.0
        for loud, heard, left in zip(played_frames, heard_frames, left_frames, strict=True):
            at += FRAME / SPEECH_RATE
            self._block = [self._block[0] + heard, self._block[1] + left, self._block[2] + 1.0]
            if not loud:
                self._block = [0.0, 0.0, 0.0]
            elif self._block[2] == 10:
                self._blocks.append((at, self._block[0], self._block[1]))
                self._block = [0.0, 0.0, 0.0]
                added = True
        window = round(SETTLE_WINDOW * 10)
        if not added or len(self._blocks) < window:
            return
        erle, quiet = self._judge(list(self._blocks)[-window:])
        self.erle_db = erle
        if not self.settled and (erle >= SETTLED_DB or quiet):
            self.settled = True
            log.info("the echo canceller has learned the room: %.0f dB out", erle)
        elif self.settled and erle < UNSETTLED_DB and not quiet:
            self.settled = False
            log.info("the echo canceller has lost the room (%.0f dB out): learning it again", erle)

    def _judge(self, blocks: list[tuple[float, float, float]]) -> tuple[float, bool]:
        """The echo taken out over ``blocks`` (dB, their median), and whether what is left is
        down at the room's noise."""
        energies = np.array([(heard, left) for _, heard, left in blocks]) + 1.0
        erle = float(np.median(10 * np.log10(energies[:, 0] / energies[:, 1])))
        left = float(np.median(energies[:, 1])) / 10  # a frame's energy
        return erle, left <= self.noise_energy() * 10 ** (NOISE_MARGIN_DB / 10)

    def working_before(self, start: float) -> bool:
        """Whether the canceller was taking the echo out (:data:`SETTLED_DB`) over the
        coach's talk in the :data:`BEFORE` seconds before an utterance from stream second
        ``start`` (up to :data:`ONSET` before it): the room may change between two checks of
        :attr:`settled`. True when the coach hardly talked then (nothing to judge by)."""
        last = start - ONSET
        blocks = [b for b in self._blocks if last - BEFORE < b[0] <= last]
        if len(blocks) < BLOCKS_TO_JUDGE:
            return True
        erle, quiet = self._judge(blocks)
        return erle >= SETTLED_DB or quiet

    def close(self) -> None:
        """Free the canceller."""
        self._canceller.close()


def _frame_energy(samples: Samples) -> npt.NDArray[np.float64]:
    """The energy of each whole 10 ms frame of ``samples``."""
    frames = samples[: len(samples) // FRAME * FRAME].astype(np.float64).reshape(-1, FRAME)
    return np.asarray(np.sum(frames**2, axis=1), dtype=np.float64)


def _frame_levels(samples: Samples) -> npt.NDArray[np.float64]:
    """The level (dBFS) of each whole 10 ms frame of ``samples``."""
    power = _frame_energy(samples) / FRAME
    return np.asarray(10 * np.log10(power + 1e-9) - 20 * np.log10(32768.0), dtype=np.float64)


def _loud_share(samples: Samples) -> float:
    """The share of 10 ms frames of ``samples`` louder than :data:`PLAYED_DBFS`."""
    levels = _frame_levels(samples)
    return float(np.mean(levels > PLAYED_DBFS)) if len(levels) else 0.0
