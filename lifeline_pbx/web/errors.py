"""Errors as pages (or JSON for scripts): one place maps them to what the user sees."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web

from lifeline_pbx.web.auth import wants_json
from lifeline_pbx.web.render import render

log = logging.getLogger(__name__)

# The database is down or restarting: a retry later will work, so say so (503, not 500).
DATABASE_AWAY = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError)

TITLES = {
    400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
    405: "Not allowed", 413: "Too large", 422: "Please check the form",
    429: "Too many attempts", 500: "Something went wrong", 503: "Try again in a minute",
}


@web.middleware
async def error_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else ""
        if exc.status == 413:
            message = "What you sent is too large. Shorten it and try again."
        return _page(request, exc.status, message or TITLES.get(exc.status, exc.reason))
    except asyncpg.DataError as exc:
        # SQLSTATE class 22: a value the database cannot take (out of range, too long); a
        # view should have refused it first, so log which kind for a fix.
        log.warning("value refused by the database path=%s error=%s", request.path,
                    type(exc).__name__)
        return _page(request, 400, "A value sent is out of range or not valid: check what "
                     "you typed and try again.")
    except DATABASE_AWAY:
        log.warning("database unavailable path=%s", request.path)
        return _page(request, 503, "The database cannot be reached just now. Nothing was "
                     "saved, and what you typed is still on your screen: try again in a minute.")
    except Exception as exc:
        # Frames only: an exception's message can quote what a user typed.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("error in web view path=%s error=%s\n%s", request.path,
                  type(exc).__name__, frames)
        return _page(request, 500, "The server could not do that. Nothing was half-saved; "
                     "try again, and tell the coordinator if it keeps happening.")


def _page(request: web.Request, status: int, message: str) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response({"error": message}, status=status)
    return render(request, "error.html", status=status,
                  title=TITLES.get(status, "Error"), message=message)
