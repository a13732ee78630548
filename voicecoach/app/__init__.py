"""Putting the pieces together: the live coach, the demos, the terminal display."""
