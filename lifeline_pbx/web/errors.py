"""Errors as answers: the one place that maps an error to its HTTP status and body.

Features raise the classes of lifeline_pbx/errors.py; views do not translate them. A view
that shows its own form again with the problems beside the fields (an Invalid, or a
Conflict over what was typed) catches the error and calls form_again, which takes the
status from the same map, with the page the refusing service attached (page_of). Scripts
and the pages' own JavaScript get JSON: a request that accepts it, or a route marked
@answers_json.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from aiohttp import web

from lifeline_pbx.crypto import KeyMissing
from lifeline_pbx.errors import (
    FORM,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RequestError,
    Unavailable,
)
from lifeline_pbx.web.auth import wants_json
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)
P = TypeVar("P")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The database is down or restarting: a retry later will work, so say so (503, not 500).
DATABASE_AWAY = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError)
DATABASE_AWAY_MESSAGE = ("The database cannot be reached just now. Nothing was saved, and what "
                         "you typed is still on your screen: try again in a minute.")

STATUS: dict[type[RequestError], int] = {
    NotFound: 404, Conflict: 409, Invalid: 422, Forbidden: 403, Unavailable: 503,
}
TITLES = {
    400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
    405: "Not allowed", 409: "Changed meanwhile", 413: "Too large",
    422: "Please check the form", 429: "Too many attempts", 500: "Something went wrong",
    503: "Try again in a minute",
}
_JSON = "__lifeline_json__"


def status_of(error: RequestError) -> int:
    """The HTTP status of an error class (a subclass answers as its base)."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def problems(error: RequestError, whole: str = FORM) -> dict[str, str]:
    """The error's messages by form field; one about the whole form goes under `whole`."""
    found = dict(error.errors) if isinstance(error, Invalid) else {FORM: error.message}
    if whole != FORM and FORM in found:
        found[whole] = found.pop(FORM)
    return found


def answers_json(view: Handler) -> Handler:
    """Mark a route whose callers are scripts (the pages' JavaScript): errors as JSON."""
    setattr(view, _JSON, True)
    return view


def json_wanted(request: web.Request) -> bool:
    return wants_json(request) or getattr(request.match_info.handler, _JSON, False)


def form_again(request: web.Request, error: RequestError, template: str, /, *,
               whole: str = FORM, **context: Any) -> web.Response:
    """The form's page again with each problem beside its field (the context carries what
    was typed), with the error's status; JSON for scripts."""
    if json_wanted(request):
        return _json(error.message, problems(error), status_of(error), error.link)
    return render(request, template, status=status_of(error),
                  errors=problems(error, whole), **context)


def form_page(request: web.Request, template: str, error: RequestError | None, /, *,
              whole: str = FORM, **context: Any) -> web.Response:
    """A form's page as it is, or (with an error) again with the problems (form_again)."""
    if error is not None:
        return form_again(request, error, template, whole=whole, **context)
    return render(request, template, errors={}, **context)


def page_of(error: RequestError, kind: type[P]) -> P:
    """The page the service that refused attached to the error (RequestError.page). An
    error that carries none was raised before that service could attach it: it goes on
    to the error map as it is."""
    if isinstance(error.page, kind):
        return error.page
    raise error


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RequestError as error:
        return _answer(request, status_of(error), error.message, problems(error), error.link)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else ""
        if exc.status == 413:
            message = "What you sent is too large. Shorten it and try again."
        return _answer(request, exc.status, message or TITLES.get(exc.status, exc.reason))
    except asyncpg.DataError as exc:
        # SQLSTATE class 22: a value the database cannot take (out of range, too long); a
        # view should have refused it first, so log which kind for a fix.
        log.warning("value refused by the database path=%s error=%s", request.path,
                    type(exc).__name__)
        return _answer(request, 400, "A value sent is out of range or not valid: check what "
                       "you typed and try again.")
    except DATABASE_AWAY:
        log.warning("database unavailable path=%s", request.path)
        away = Unavailable(DATABASE_AWAY_MESSAGE)
        return _answer(request, status_of(away), away.message)
    except KeyMissing as missing:
        # A settings problem (start_checks.py logged it at start): name the key id, not a 500.
        log.warning("data key missing path=%s key_id=%s", request.path, missing.key_id)
        return _answer(request, 503, missing.told("Lifeline cannot open a value this needs"),
                       title="A data key is missing")
    except Exception as exc:
        # Frames only: an exception's message can quote what a user typed.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("error in web view path=%s error=%s\n%s", request.path,
                  type(exc).__name__, frames)
        return _answer(request, 500, "The server could not do that. Nothing was half-saved; "
                       "try again, and tell the coordinator if it keeps happening.")


def _answer(request: web.Request, status: int, message: str,
            errors: dict[str, str] | None = None, link: str = "", title: str = ""
            ) -> web.StreamResponse:
    if json_wanted(request):
        return _json(message, errors or {FORM: message}, status, link)
    # A refused address (a page's filters, each problem named in the message): a way on to
    # the page without them; the browser's Back button brings them back to correct.
    refused_query = status in (400, 422) and request.method == "GET" and request.query_string
    return render(request, "error.html", status=status,
                  title=title or TITLES.get(status, "Error"), message=message, link=link,
                  clear=request.path if refused_query else None)


def _json(message: str, errors: dict[str, str], status: int, link: str = "") -> web.Response:
    """One shape for every refusal: `error` for a line of text, `errors` by field, and
    `link` where the refusal names a record to open instead."""
    body: dict[str, Any] = {"ok": False, "error": message, "errors": errors}
    if link:
        body["link"] = link
    return web.json_response(body, status=status)
