"""Small helpers the case views share: the pool and keys, ids from URLs, JSON or a redirect."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.errors import NotFound
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.errors import json_wanted

MAX_QUERY = 200  # characters in one query-string value


def keys(request: web.Request) -> KeyRing:
    return request.app[KEY_RING]


def pool(request: web.Request) -> Any:
    return request.app[POOL]


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
