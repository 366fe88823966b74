"""Small helpers the case views share: the pool and keys, ids from URLs, JSON or page."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from lifeline_pbx.cases.person_work import CaseError, Conflict, Forbidden, NotFound, Refused
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.resources import KEY_RING, POOL
from lifeline_pbx.web.auth import wants_json
from lifeline_pbx.web.render import render

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
        raise web.HTTPNotFound(text="No such record.") from None


def query(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if len(value) > MAX_QUERY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_QUERY, actual_size=len(value))
    return value


def case_error(error: CaseError) -> web.HTTPException:
    if isinstance(error, NotFound):
        return web.HTTPNotFound(text=str(error))
    if isinstance(error, Conflict):
        return web.HTTPConflict(text=str(error))
    if isinstance(error, Forbidden):
        return web.HTTPForbidden(text=str(error))
    if isinstance(error, Refused):
        return web.HTTPUnprocessableEntity(text=str(error))
    return web.HTTPBadRequest(text=str(error))


def status_of(error: CaseError) -> int:
    return case_error(error).status


def invalid(request: web.Request, errors: dict[str, str], template: str,
            **context: Any) -> web.Response:
    """422: as JSON for scripts, else the page again with the messages and typed values."""
    if wants_json(request):
        return web.json_response({"ok": False, "errors": errors}, status=422)
    return render(request, template, status=422, errors=errors, **context)


def ok(request: web.Request, body: dict[str, Any], redirect: str) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response({"ok": True, **body})
    raise web.HTTPSeeOther(redirect)
