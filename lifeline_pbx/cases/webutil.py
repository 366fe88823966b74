"""Small helpers the case views share: ids from URLs, query values, JSON or a redirect."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from lifeline_pbx.errors import NotFound
from lifeline_pbx.web.errors import json_wanted

MAX_QUERY = 200  # characters in one query-string value


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """The id in the URL; a malformed one is simply not found (404, not 500)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound("No such record.") from None


def query(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if len(value) > MAX_QUERY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_QUERY, actual_size=len(value))
    return value


def ok(request: web.Request, body: dict[str, Any], redirect: str) -> web.StreamResponse:
    if json_wanted(request):
        return web.json_response({"ok": True, **body})
    raise web.HTTPSeeOther(redirect)
