"""Audio in and out: chunks that carry their rate, WAV files, devices, microphone, playback."""
