"""Reading what a browser posted: a JSON object, or a form, as strings."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDict


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="Expected a JSON object.")
    return body


async def form_data(request: web.Request) -> MultiDict[str]:
    """A posted form, or a JSON object of strings, as one multidict of strings."""
    if request.content_type == "application/json":
        body = await json_object(request)
        return MultiDict((str(k), v) for k, v in body.items() if isinstance(v, str))
    posted = await request.post()
    return MultiDict((k, v) for k, v in posted.items() if isinstance(v, str))
