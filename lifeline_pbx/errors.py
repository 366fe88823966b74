"""The project's error classes. Their mapping to HTTP statuses lives in web/errors.py."""

from __future__ import annotations


class LifelineError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(LifelineError):
    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"setting {setting!r}: {problem}")
        self.setting = setting
        self.problem = problem


class MigrationError(LifelineError):
    """The schema cannot be brought up to date safely."""


class AriError(LifelineError):
    """Asterisk's REST interface answered with an error, or could not be reached."""

    def __init__(self, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"ARI {method} {path}: {status} {message}")
        self.status = status
        self.message = message
        self.method = method
        self.path = path

    @property
    def gone(self) -> bool:
        """The channel, bridge or playback no longer exists (a hang-up raced us)."""
        return self.status == 404
