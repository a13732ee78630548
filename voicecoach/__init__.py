"""voicecoach: an offline, hands-free exercise coach steered by voice."""

__version__ = "0.1.0"
