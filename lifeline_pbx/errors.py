"""The project's error classes. Their mapping to HTTP statuses lives in web/errors.py.

Features raise NotFound, Conflict, Invalid, Forbidden or Unavailable (or a subclass): the
message of each is written for the person at the screen (it may repeat what they typed
back to them, never anyone else's data), and web/errors.py turns it into the answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping


class LifelineError(Exception):
    """Base of every error this package raises on purpose."""


class RequestError(LifelineError):
    """A request that cannot be done as asked; nothing was saved. `message` is for the user.

    `page`: what the refused form's page needs to be shown again (its choices, the record
    it is about), attached by the service that refused it, so that the view's one call
    brings either the result or all it needs to show the form again (web/errors.page_of).
    `link`: where the record that stands in the way opens, if there is one (the page shows
    it beside the message; JSON answers carry it as `link`).
    """

    def __init__(self, message: str, *, link: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.page: object = None
        self.link = link


class NotFound(RequestError):
    """No such record (or not one this user may know exists)."""


class Conflict(RequestError):
    """The record's state does not allow it now: changed meanwhile, merged, already done."""


class Forbidden(RequestError):
    """Not for this user: their role, or a record or call that is not theirs."""


class Unavailable(RequestError):
    """A part the request needs is away (the database, the PBX): a retry later may work."""


FORM = "_form"  # the key of a problem that concerns the whole form, not one field


class Invalid(RequestError):
    """What was sent cannot be taken as it is. `errors` holds one message per field named
    (FORM for the form as a whole), so a form can be shown again with each problem beside
    its field."""

    def __init__(self, errors: str | Mapping[str, str], field: str = FORM) -> None:
        self.errors = {field: errors} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(self.errors.values()))


@contextlib.asynccontextmanager
async def page_on_refusal(read: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """An Invalid (or a Conflict: a save or delete the record's state refuses) raised
    inside leaves carrying the page `read` returns (RequestError.page), read once the block
    is left: after any transaction in it has rolled back."""
    try:
        yield
    except (Invalid, Conflict) as e:
        e.page = await read()
        raise


class ConfigError(LifelineError):
    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"setting {setting!r}: {problem}")
        self.setting = setting
        self.problem = problem


class MigrationError(LifelineError):
    """The schema cannot be brought up to date safely."""


class StartRefused(LifelineError):
    """`lifeline serve` cannot start as things are (the schema, a port): one line says why."""


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
