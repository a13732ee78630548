"""Listing and choosing sound devices, and the ``devices`` subcommand."""

from __future__ import annotations

import argparse
import importlib.abc
import json
import sys
from typing import Any

import pytest
from fakesd import FakeSoundDevice, device

from voicecoach.audio import devices
from voicecoach.cli import devices as cli_devices
from voicecoach.errors import AudioError


def use(monkeypatch: pytest.MonkeyPatch, fake: FakeSoundDevice) -> FakeSoundDevice:
    monkeypatch.setattr(devices, "sounddevice_module", lambda: fake)
    return fake


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch) -> FakeSoundDevice:
    return use(
        monkeypatch,
        FakeSoundDevice(
            [
                device(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", 2, 2),
                device(1, "USB Headset Microphone (hw:1,0)", 1, 0, 44100.0),
                device(2, "HDMI 0 (hw:0,3)", 0, 8),
                device(3, "pulse", 32, 32),
                device(4, "default", 32, 32),
            ],
            default=(4, 4),
        ),
    )


def test_list_marks_defaults_and_channels(laptop: FakeSoundDevice) -> None:
    found = devices.list_devices()
    assert [d.index for d in found] == [0, 1, 2, 3, 4]
    assert [d.name for d in found if d.default_input] == ["default"]
    assert found[1].input_channels == 1 and found[1].output_channels == 0
    assert found[1].hostapi == "ALSA" and found[1].default_rate == 44100.0


def test_find_by_default_index_and_name(laptop: FakeSoundDevice) -> None:
    assert devices.find_device(None, "input").name == "default"
    assert devices.find_device(1, "input").name.startswith("USB")
    assert devices.find_device("1", "input").name.startswith("USB")
    assert devices.find_device("usb headset", "input").index == 1
    assert devices.find_device("hdmi", "output").index == 2
    assert devices.find_device("PULSE", "output").index == 3


def test_find_refuses_wrong_direction_unknown_and_ambiguous(laptop: FakeSoundDevice) -> None:
    with pytest.raises(AudioError, match="no input device is called 'hdmi'"):
        devices.find_device("hdmi", "input")
    with pytest.raises(AudioError, match="no output device number 1;"):
        devices.find_device(1, "output")
    with pytest.raises(AudioError, match=r"matches several input devices .*give the number"):
        devices.find_device("hw:", "input")


def test_without_a_default_the_first_usable_device_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(monkeypatch, FakeSoundDevice([device(0, "out only", 0, 2), device(5, "mic", 1, 0)]))
    assert devices.find_device(None, "input").index == 5


def test_no_device_at_all_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, FakeSoundDevice([]))
    with pytest.raises(AudioError, match="no input device found: connect a microphone"):
        devices.find_device(None, "input")


def test_describe_lists_inputs_then_outputs(laptop: FakeSoundDevice) -> None:
    lines = devices.describe(devices.list_devices())
    assert lines[0] == "Input devices:"
    outputs_at = lines.index("Output devices:")
    inputs = lines[1:outputs_at]
    assert not any("HDMI" in line for line in inputs)
    assert any(line.startswith(" *") and "default" in line for line in inputs)
    assert any("HDMI" in line and "8 ch" in line for line in lines[outputs_at:])


def test_refresh_restarts_portaudio(laptop: FakeSoundDevice) -> None:
    devices.refresh()
    assert laptop.restarts == 1


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_devices.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_devices_command_prints_the_list(
    laptop: FakeSoundDevice, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["devices"]) == 0
    out = capsys.readouterr().out
    assert "Input devices:" in out and "USB Headset Microphone" in out


def test_devices_command_json(laptop: FakeSoundDevice, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["devices", "--json"]) == 0
    listed: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in listed if d["default_output"]] == ["default"]


def test_devices_command_with_nothing_is_friendly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, FakeSoundDevice([]))
    assert run_cli(["devices"]) == 0
    assert "No sound devices found" in capsys.readouterr().out


class _NoPortAudio(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")


def test_missing_portaudio_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    with pytest.raises(AudioError, match="apt-get install libportaudio2"):
        devices.sounddevice_module()
