"""A Player that plays nothing: for the speaker tests, with or without real-time pacing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from voicecoach.audio.chunk import AudioChunk
from voicecoach.audio.playback import BLOCK_SECONDS, Cancelled, Started


@dataclass
class SilentPlayer:
    """Pretends to play: takes the audio's duration (or none), keeps what it "played"."""

    realtime: bool = True
    played: list[AudioChunk] = field(default_factory=list)
    cut_off: list[float] = field(default_factory=list)  # seconds played before each cut

    def play(self, audio: AudioChunk, cancelled: Cancelled, started: Started) -> bool:
        start = time.monotonic()
        started(start)
        self.played.append(audio)
        if not self.realtime:
            return True
        while (elapsed := time.monotonic() - start) < audio.duration:
            if cancelled():
                self.cut_off.append(elapsed)
                return False
            time.sleep(min(BLOCK_SECONDS, audio.duration - elapsed))
        return True

    def close(self) -> None:
        pass
