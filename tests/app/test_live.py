"""The live coach: a microphone that goes away pauses, and its return resumes; the
terminal's status line keeps out of the way of the lines printed around it."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from fakesd import FakeDuplex

from voicecoach.app import live
from voicecoach.app.display import Display
from voicecoach.app.live import DEVICE_BACK, DEVICE_LOST, listen, open_ears
from voicecoach.audio import devices, duplex
from voicecoach.audio import mic as mic_module
from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.duplex import DuplexAudio
from voicecoach.audio.mic import DeviceLost, MicrophoneSource
from voicecoach.coaching.clock import FakeClock
from voicecoach.coaching.plan import CoachOptions
from voicecoach.coaching.session import Session
from voicecoach.commands.names import Command
from voicecoach.errors import AudioError
from voicecoach.recognition.listener import ECHO_REMOVED, PLAIN_MIC, Decision
from voicecoach.routines.library import find_routine, routine_names
from voicecoach.voice.speaker import PrintSpeaker, RecordingSpeaker, print_line


class FlakyMic:
    """Gives one chunk, then is lost; the first reopen fails, the second works."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.opens = 0
        self.closes = 0

    def open(self) -> FlakyMic:
        self.opens += 1
        if self.opens == 1:
            raise DeviceLost("the microphone is still away")
        return self

    def __iter__(self) -> Iterator[AudioChunk]:
        yield AudioChunk(np.zeros((480, 1), dtype=np.int16), 16000, 0.0)
        if self.opens == 0:
            raise DeviceLost("the microphone stopped sending audio")
        self.stop.set()  # back and working: end the test

    def close(self) -> None:
        self.closes += 1


class Posts:
    def __init__(self) -> None:
        self.commands: list[Command] = []

    def post(self, command: Command) -> None:
        self.commands.append(command)


class CountingListener:
    def __init__(self) -> None:
        self.chunks = 0

    def feed(self, chunk: AudioChunk) -> list[object]:
        self.chunks += 1
        return []


def test_a_lost_microphone_pauses_then_resumes_when_it_is_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = threading.Event()
    mic, coach, listener = FlakyMic(stop), Posts(), CountingListener()
    thread = threading.Thread(target=listen, args=(mic, listener, coach, stop))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert coach.commands == [DEVICE_LOST, DEVICE_BACK]
    assert mic.opens == 2 and listener.chunks == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "voicecoach: the microphone stopped sending audio; pausing until it is back.",
        "voicecoach: the microphone is back; carrying on.",
    ]


class Terminal(io.StringIO):
    """A terminal, as far as the display can tell."""

    def isatty(self) -> bool:
        return True

    def rows(self) -> list[str]:
        """What the screen shows: carriage return, erase-line and newline applied."""
        rows, col = [""], 0
        for part in re.split(r"(\r|\n|\x1b\[K)", self.getvalue()):
            if part == "\r":
                col = 0
            elif part == "\n":
                rows.append("")
                col = 0
            elif part == "\x1b[K":
                rows[-1] = rows[-1][:col]
            else:
                rows[-1] = rows[-1][:col] + part + rows[-1][col + len(part) :]
                col += len(part)
        return rows


def idle_session() -> Session:
    return Session(
        find_routine,
        RecordingSpeaker(),
        FakeClock(),
        options=CoachOptions(),
        routine_names=routine_names,
    )


def hearing(text: str) -> Decision:
    return Decision(text, None, 0.3, 0.0, 1.0, 1.2, 5.0, rejected="low confidence")


def test_a_cue_is_printed_on_a_row_of_its_own_and_the_status_line_comes_back() -> None:
    terminal, session = Terminal(), idle_session()
    display = Display(terminal)
    display.heard(hearing("pause"))
    display.update(session)
    assert terminal.rows() == ['idle        heard "pause" (low confidence)']
    PrintSpeaker(lambda: "00:01.0", display.lines()).say("Paused.")
    print("voicecoach: the microphone is back; carrying on.", file=display.lines())
    assert terminal.rows() == [
        "[00:01.0] coach: Paused.",
        "voicecoach: the microphone is back; carrying on.",
        'idle        heard "pause" (low confidence)',
    ]
    display.update(session)  # nothing new: nothing drawn twice
    display.close()
    assert terminal.rows()[-2:] == ['idle        heard "pause" (low confidence)', ""]


def test_a_line_begun_is_not_drawn_over_until_it_ends() -> None:
    terminal, session = Terminal(), idle_session()
    display = Display(terminal)
    display.update(session)
    lines = display.lines()
    lines.write("you typed: ")
    display.update(session)
    lines.write("next\n")
    assert terminal.rows() == ["you typed: next", "idle"]


def test_the_listener_thread_warns_through_the_display() -> None:
    terminal, session = Terminal(), idle_session()
    display = Display(terminal)
    display.update(session)
    stop = threading.Event()
    thread = threading.Thread(
        target=listen,
        args=(FlakyMic(stop), CountingListener(), Posts(), stop, display.lines()),
    )
    thread.start()
    thread.join(timeout=10)
    assert terminal.rows() == [
        "voicecoach: the microphone stopped sending audio; pausing until it is back.",
        "voicecoach: the microphone is back; carrying on.",
        "idle",
    ]


def test_off_a_terminal_lines_pass_through_and_no_status_is_drawn() -> None:
    out = io.StringIO()
    display = Display(out)
    display.update(idle_session())
    print_line("[00:01.0] coach: Paused.", display.lines())
    display.heard(hearing("pause"))
    display.close()
    assert out.getvalue() == '[00:01.0] coach: Paused.\nheard "pause" (low confidence)\n'


@pytest.fixture
def duplex_devices(monkeypatch: pytest.MonkeyPatch) -> FakeDuplex:
    sd = FakeDuplex(rate=16000.0)
    for module in (devices, duplex, mic_module):
        monkeypatch.setattr(module, "sounddevice_module", lambda: sd)
    return sd


def test_the_ears_take_the_coach_s_echo_out_and_let_every_command_through(
    duplex_devices: FakeDuplex, capsys: pytest.CaptureFixture[str]
) -> None:
    ears = open_ears(None, None, cancel=True)
    assert isinstance(ears.source, DuplexAudio) and ears.player is ears.source
    assert ears.remover is not None
    assert ears.over_coach(0.0) is PLAIN_MIC  # until the remover has learned the room
    ears.remover.settled = True
    assert ears.over_coach(0.0) is ECHO_REMOVED
    assert ears.remover.delay_seconds == pytest.approx(0.12)  # the stream's own latency, first
    chunks = iter(ears)
    first = next(chunks)
    ears.close()
    assert first.rate == 16000 and capsys.readouterr().err == ""


@pytest.mark.parametrize("why", ["no library", "devices apart"])
def test_without_echo_cancellation_the_plain_microphone_is_used_and_one_line_says_so(
    duplex_devices: FakeDuplex,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    why: str,
) -> None:
    if why == "no library":

        def missing() -> None:
            raise AudioError("the echo canceller's library is missing; install libspeexdsp1")

        monkeypatch.setattr(live, "speexdsp", missing)
    else:
        monkeypatch.setattr(FakeDuplex, "Stream", None)  # only separate streams
    ears = open_ears(None, None, cancel=True)
    ears.close()
    assert isinstance(ears.source, MicrophoneSource) and ears.player is None
    assert ears.over_coach(0.0) is PLAIN_MIC and ears.remover is None
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("voicecoach: echo cancellation is off (")
    assert err[0].endswith("only pause and stop are heard")


def test_asked_for_no_echo_cancellation_the_plain_microphone_is_used_quietly(
    duplex_devices: FakeDuplex, capsys: pytest.CaptureFixture[str]
) -> None:
    ears = open_ears(None, None, cancel=False)
    ears.close()
    assert isinstance(ears.source, MicrophoneSource) and capsys.readouterr().err == ""


def test_reopened_after_a_loss_the_ears_learn_the_room_again(duplex_devices: FakeDuplex) -> None:
    ears = open_ears(None, None, cancel=True)
    first = ears.remover
    assert first is not None
    first.settled = True
    ears.close()
    ears.open()  # the devices are back: a new stream, maybe a new delay
    try:
        assert ears.remover is not None and ears.remover is not first
        assert not ears.remover.settled and ears.over_coach(0.0) is PLAIN_MIC
        heard = next(iter(ears))
        assert heard.rate == 16000
    finally:
        ears.close()
