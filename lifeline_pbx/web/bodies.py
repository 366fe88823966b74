"""What a request carries, read and checked in one place before any view runs.

The `guard` middleware refuses a malformed address, and reads the body of every write
(POST and the like) once: a form (url-encoded or multipart) or JSON. A body that cannot
be read, is not UTF-8, holds a NUL, or nests too deeply is answered 400 with a message,
before the CSRF check, the view or the database sees it. Views and the CSRF check take
what was kept through `form_data` and `json_object`; a file sent as the whole body (any
other content type: the guard leaves it unread) is read by `upload_body`, up to a limit.
None reads the request itself.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from lifeline_pbx.errors import Invalid
from lifeline_pbx.web import inputs

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_FIELDS = 1000

_FORM: web.RequestKey[MultiDict[str]] = web.RequestKey("posted_form", MultiDict)
_JSON: web.RequestKey[object] = web.RequestKey("posted_json", object)


def _refuse(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=message)


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if problem := inputs.url_problem(request.raw_path):
        raise _refuse(problem)
    if request.method not in SAFE_METHODS:
        await _load(request)
    return await handler(request)


async def form_data(request: web.Request) -> MultiDict[str]:
    """A posted form, or a JSON object's string values, as one multidict of strings."""
    await _load(request)
    if _JSON in request:
        body = await json_object(request)
        return MultiDict((k, v) for k, v in body.items() if isinstance(v, str))
    return request[_FORM]


async def json_object(request: web.Request) -> dict[str, Any]:
    await _load(request)
    if _JSON not in request:
        raise web.HTTPUnsupportedMediaType(
            text=f"Send a JSON object, with the header Content-Type: {JSON}.")
    body = request[_JSON]
    if not isinstance(body, dict):
        raise _refuse("Expected a JSON object.")
    return body


async def upload_body(request: web.Request, max_bytes: int, field: str) -> bytes:
    """A file sent as the request body, refused past `max_bytes` without reading the rest
    (Invalid on `field`, the form's file input)."""
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise Invalid(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", field)
    return bytes(body)


async def _load(request: web.Request) -> None:
    if _FORM in request or _JSON in request:
        return
    kind = request.content_type
    if kind == JSON:
        request[_JSON] = await _read_json(request)
    elif kind == URLENCODED:
        request[_FORM] = await _read_urlencoded(request)
    elif kind == MULTIPART:
        request[_FORM] = await _read_multipart(request)
    else:
        request[_FORM] = MultiDict()  # no form: views see no fields


async def _text(request: web.Request, what: str) -> str:
    """The body as UTF-8 (whatever charset the header claims: our pages send UTF-8)."""
    try:
        return (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(f"{what} is not valid UTF-8 text.") from None


async def _read_json(request: web.Request) -> object:
    too_deep = f"The JSON body nests more than {inputs.MAX_JSON_DEPTH} levels deep."
    text = await _text(request, "The JSON body")
    try:
        value = json.loads(text)
    except RecursionError:  # the parser's own limit (about 1,000 levels); nothing kept
        raise _refuse(too_deep) from None
    except ValueError:
        raise _refuse("The request body is not valid JSON.") from None
    if inputs.json_depth(value) > inputs.MAX_JSON_DEPTH:
        raise _refuse(too_deep)
    if problem := inputs.json_problem(value):
        raise _refuse(problem)
    return value


async def _read_urlencoded(request: web.Request) -> MultiDict[str]:
    text = await _text(request, "The form")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise _refuse("The form is not valid UTF-8 text.") from None
    except ValueError:
        raise _refuse(f"The form has more than {MAX_FIELDS} fields.") from None
    return _checked(pairs)


async def _read_multipart(request: web.Request) -> MultiDict[str]:
    try:
        posted = await request.post()
    except UnicodeDecodeError:
        raise _refuse("The form is not valid UTF-8 text.") from None
    except (ValueError, LookupError):  # no boundary, cut short, unknown charset, ...
        raise _refuse("The form could not be read: it is not well-formed "
                      "multipart/form-data.") from None
    pairs = []
    for name, value in posted.items():
        if not isinstance(value, str):
            raise _refuse("Files cannot be sent here.")
        pairs.append((name, value))
    if len(pairs) > MAX_FIELDS:
        raise _refuse(f"The form has more than {MAX_FIELDS} fields.")
    return _checked(pairs)


def _checked(pairs: list[tuple[str, str]]) -> MultiDict[str]:
    for name, value in pairs:
        if problem := inputs.text_problem(name, "A field name") or inputs.text_problem(
                value, "The form"):
            raise _refuse(problem)
    return MultiDict(pairs)
