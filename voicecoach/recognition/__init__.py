"""From audio to what was said: voice activity, engines, grammars, the listener."""
