"""Errors that reach the user as one clear line and an exit code."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix: printed as one line, never as a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class RoutineError(UserError):
    """A routine file that cannot be used (exit code 3)."""

    exit_code = 3


class ModelError(UserError):
    """A recognizer model that is missing or broken (exit code 4)."""

    exit_code = 4


class AudioError(UserError):
    """An audio file or device that cannot be used (exit code 5)."""

    exit_code = 5


class ConfigError(UserError):
    """A settings file that cannot be used (exit code 6)."""

    exit_code = 6
