"""Malformed requests over HTTP: each gets a 4xx with a message, writes nothing, shows no
stack trace. The audit's cases as a table, then every route in the router fuzzed."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

import lifeline_pbx
from lifeline_pbx.app import create_app
from lifeline_pbx.resources import CONFIG, POOL
from lifeline_pbx.web import inputs
from lifeline_pbx.web.auth import public
from tests.engine import written
from tests.web_fixtures import PASSWORDS, Client, WebApp

# Tables a malformed request must leave as they were (web_sessions is touched by any
# signed-in request, so it is left out).
TABLES = ("users", "login_attempts", "persons", "intakes", "reports", "follow_ups", "drafts",
          "audit_log", "operator_status", "queue_events", "voicemails", "partners",
          "report_categories", "operators")
BOUNDARY = "lifeline-test-boundary"
TRACE = re.compile(r"Traceback|File \"|\.py\", line|Error\(", re.I)


@dataclass(frozen=True)
class Payload:
    """A malformed request: how its body and query string are sent."""

    name: str
    content_type: str | None = None
    body: bytes = b""
    query: str = ""  # raw (already percent-encoded)
    message: str = ""  # what the answer must say


def _multipart(*parts: bytes, end: bool = True) -> bytes:
    body = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return body + (b"--" + BOUNDARY.encode() + b"--\r\n" if end else b"")


def _field(name: str, value: bytes, extra: bytes = b"") -> bytes:
    return (b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n' + extra
            + b"\r\n" + value)


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = b"[" * 100_000 + b"]" * 100_000

PAYLOADS = [
    Payload("multipart without boundary", "multipart/form-data", b"garbage", message="multipart"),
    Payload("multipart without start", MULTIPART, b"garbage", message="multipart"),
    Payload("multipart cut short", MULTIPART, _multipart(_field("a", b"x"), end=False)[:-2],
            message="multipart"),
    Payload("multipart unknown charset", MULTIPART,
            _multipart(_field("a", b"x", b"Content-Type: text/plain; charset=bogus\r\n")),
            message="multipart"),
    Payload("multipart field without name", MULTIPART,
            _multipart(b"Content-Disposition: form-data\r\n\r\nx"), message="multipart"),
    Payload("multipart invalid UTF-8", MULTIPART, _multipart(_field("a", b"\xff\xfe")),
            message="UTF-8"),
    Payload("multipart NUL", MULTIPART, _multipart(_field("a", b"x\x00y")), message="NUL"),
    Payload("multipart file", MULTIPART,
            _multipart(b'Content-Disposition: form-data; name="f"; filename="x"\r\n\r\nx'),
            message="Files"),
    Payload("form raw invalid UTF-8", FORM, b"username=\xff\xfe&password=x", message="UTF-8"),
    Payload("form encoded invalid UTF-8", FORM, b"username=%ff%fe&password=x",
            message="UTF-8"),
    Payload("form encoded surrogate", FORM, b"note=%ed%a0%80", message="UTF-8"),
    Payload("form NUL", FORM, b"username=a%00b&note=a%00b&a_number=A%00", message="NUL"),
    Payload("form NUL in a name", FORM, b"a%00b=1", message="NUL"),
    Payload("JSON 100,000 deep", JSON, DEEP, message="nests more than"),
    Payload("JSON deep in an object", JSON, b'{"fields": ' + b'{"a": ' * 5000 + b"1"
            + b"}" * 5001, message="nests more than"),
    Payload("JSON 33 deep", JSON, b'{"a": ' + b"[" * 32 + b"]" * 32 + b"}",
            message="nests more than"),
    Payload("JSON not JSON", JSON, b"{not json", message="not valid JSON"),
    Payload("JSON invalid UTF-8", JSON, b'{"a": "\xff"}', message="UTF-8"),
    Payload("JSON NUL", JSON, b'{"action": "pause", "reason": "other", "note": "a\\u0000b"}',
            message="NUL"),
    Payload("JSON NUL in a key", JSON, b'{"a\\u0000": "x"}', message="NUL"),
    Payload("JSON lone surrogate", JSON, b'{"note": "\\ud800"}', message="UTF-8"),
    Payload("query NUL", query="a_number=A%00&category=x%00&next=%00", message="NUL"),
    Payload("query invalid UTF-8", query="a_number=%ff&category=%c3%28", message="UTF-8"),
    Payload("query surrogate", query="category=%ed%a0%80", message="UTF-8"),
]
BODY_PAYLOADS = [p for p in PAYLOADS if p.content_type is not None]
QUERY_PAYLOADS = [p for p in PAYLOADS if p.content_type is None]


async def _snapshot(web: WebApp) -> dict[str, list[Any]]:
    await written(web.app)  # the call engine's writes so far (an operator's login)
    return {t: [dict(r) for r in await web.sql(f"SELECT * FROM {t} ORDER BY 1")]
            for t in TABLES}


async def _send(client: Client, method: str, path: str, payload: Payload,
                json_answer: bool = False) -> tuple[int, str]:
    headers = {"X-CSRF-Token": client.csrf or "none"}  # a valid token when signed in
    if payload.content_type:
        headers["Content-Type"] = payload.content_type
    if json_answer:
        headers["Accept"] = "application/json"
    url = URL(client.url(path) + ("?" + payload.query if payload.query else ""), encoded=True)
    async with client.http.request(method, url, data=payload.body or None, headers=headers,
                                   allow_redirects=False) as r:
        return r.status, await r.text()


def _assert_refused(status: int, text: str, payload: Payload, where: str) -> None:
    assert 400 <= status < 500, f"{where}: {payload.name}: {status}"
    assert payload.message in text, f"{where}: {payload.name}: {text[:300]}"
    assert not TRACE.search(text), f"{where}: {payload.name}: {text[:300]}"


# Pure checks


MAX = inputs.MAX_JSON_DEPTH


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ('"[[[["', 0), ("{}", 1), ("[]", 1), ('{"a": [1, {"b": []}]}', 4),
    ("[" * MAX + "]" * MAX, MAX), ("[" + "[]," * 999 + "[]]", 2),  # many, side by side
    ('{"a": ' * (MAX + 1) + "1" + "}" * (MAX + 1), MAX + 1),
    ('[[[], [[[]]]], [["[[[["]]]', 5),
])
def test_json_depth(text: str, depth: int) -> None:
    assert inputs.json_depth(json.loads(text)) == depth


@pytest.mark.parametrize("raw, refused", [
    ("/people?a_number=A123", False), ("/caf%C3%A9", False), ("/a?b=%E2%82%AC", False),
    ("/a?b=%00", True), ("/a%00b", True), ("/a?b=%ff", True), ("/a?b=%C3", True),
    ("/a?b=%ED%A0%80", True), ("/a?b=%C0%AF", True),  # surrogate; overlong '/'
])
def test_url_problem(raw: str, refused: bool) -> None:
    assert (inputs.url_problem(raw) is not None) is refused


# The audit's cases, over HTTP


async def _operator_logged_in(web: WebApp) -> Client:
    operator = await web.signed_in("operator1")
    status, _ = await operator.post_json("/console/state", {"action": "login"})
    assert status == 200
    return operator


@pytest.mark.parametrize("signed_in", [False, True])
async def test_malformed_requests_are_refused_and_change_nothing(
        web_with_calls: WebApp, signed_in: bool) -> None:
    web = web_with_calls  # the operator logs in to the queues first
    operator = await _operator_logged_in(web)
    supervisor = await web.signed_in("supervisor1")
    anonymous = await web.client()
    await anonymous.get("/login")
    anonymous.csrf = next(c.value for c in anonymous.http.cookie_jar if c.key == "lifeline_login")
    who = {"operator": operator if signed_in else anonymous,
           "supervisor": supervisor if signed_in else anonymous}
    cases = [
        ("operator", "POST", "/login", p) for p in BODY_PAYLOADS
    ] + [
        ("operator", "POST", "/logout", p) for p in BODY_PAYLOADS
    ] + [
        ("operator", "POST", "/intakes", p) for p in BODY_PAYLOADS
    ] + [
        ("operator", "POST", "/console/state", p) for p in BODY_PAYLOADS
    ] + [
        ("operator", "POST", "/drafts", p) for p in BODY_PAYLOADS
    ] + [
        ("supervisor", "GET", "/people", p) for p in QUERY_PAYLOADS
    ] + [
        ("supervisor", "GET", "/reports", p) for p in QUERY_PAYLOADS
    ] + [
        ("operator", "GET", "/login", p) for p in QUERY_PAYLOADS
    ]
    before = await _snapshot(web)
    for role, method, path, payload in cases:
        for json_answer in (False, True):
            status, text = await _send(who[role], method, path, payload, json_answer)
            _assert_refused(status, text, payload, f"{method} {path}")
    assert await _snapshot(web) == before
    # Both were still signed in throughout: the refusals were not for lack of a session.
    if signed_in:
        assert (await operator.get("/console"))[0] == 200
        assert (await supervisor.get("/reports"))[0] == 200


async def test_a_nul_in_the_pause_note_is_refused_and_the_state_kept(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await _operator_logged_in(web)
    before = await web.sql("SELECT logged_in, paused, pause_reason FROM operator_status")
    status, body = await operator.post_json(
        "/console/state", {"action": "pause", "reason": "other", "note": "back\x00soon"})
    assert status == 400 and "NUL" in body["error"]
    status, body = await operator.post_json(
        "/console/state", {"action": "pause", "reason": "other", "note": "back\x1bsoon"})
    assert status == 422 and "control characters" in body["error"]  # read, then refused
    assert await web.sql("SELECT logged_in, paused, pause_reason FROM operator_status") == before
    status, body = await operator.post_json(
        "/console/state", {"action": "pause", "reason": "other", "note": "back soon"})
    assert (status, body["paused"], body["pause_reason"]) == (200, True, "other: back soon")


async def test_a_nul_in_the_username_is_refused_before_the_database(web: WebApp) -> None:
    client = await web.client()
    await client.get("/login")
    token = next(c.value for c in client.http.cookie_jar if c.key == "lifeline_login")
    status, page = await client.post("/login", {"username": "operator1\x00",
                                                "password": PASSWORDS["operator1"]}, csrf=token)
    assert status == 400 and "NUL" in page and not TRACE.search(page)
    assert await web.sql("SELECT 1 FROM login_attempts") == []


# Every route in the router


def _routes(web: WebApp) -> list[tuple[str, str]]:
    """(method, path) of every GET and POST route, with real-looking ids in the path."""
    ids = {"user_id": "1", "partner_id": "1", "code": "medical_neglect",
           "filename": "lifeline.css"}
    found = []
    for route in create_app(web.app[CONFIG], calls=False).router.routes():
        if route.method not in ("GET", "POST") or route.resource is None:
            continue
        path = re.sub(r"\{(\w+)[^}]*\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())),
                      route.resource.canonical)
        found.append((route.method, path))
    return sorted(set(found))


async def _client_as(web: WebApp, who: str) -> Client:
    if who == "anonymous":
        return await web.client()
    if who == "operator":
        return await _operator_logged_in(web)
    return await web.signed_in(f"{who}1")


# A page each may open: after the fuzzing, the session still holds.
OWN_PAGE = {"operator": "/console", "supervisor": "/reports", "admin": "/admin/users"}


# One test per role, so that pytest-xdist spreads the ~6,000 requests over its workers.
@pytest.mark.parametrize("who", ["anonymous", "operator", "supervisor", "admin"])
async def test_fuzz_every_route(web_with_calls: WebApp, who: str) -> None:
    web = web_with_calls  # every route, those of the call engine too
    routes = _routes(web)
    assert ("POST", "/intakes") in routes and ("GET", "/healthz") in routes
    assert len(routes) >= 40
    client = await _client_as(web, who)
    before = await _snapshot(web)
    sent = 0
    for method, path in routes:
        payloads = QUERY_PAYLOADS + (BODY_PAYLOADS if method == "POST" else [])
        for payload in payloads:
            status, text = await _send(client, method, path, payload)
            _assert_refused(status, text, payload, f"{who} {method} {path}")
            sent += 1
        nul_path = path + "%00"
        status, text = await _send(client, method, nul_path, Payload("NUL in the path"))
        assert 400 <= status < 500 and not TRACE.search(text), (who, method, nul_path)
    assert sent > 250
    assert await _snapshot(web) == before
    # Still signed in: nothing was refused for want of a session.
    if who in OWN_PAGE:
        assert (await client.get(OWN_PAGE[who]))[0] == 200


def test_only_the_body_module_reads_a_request_body() -> None:
    """Views and the CSRF check take the body from web/bodies.py, which checked it."""
    reads = re.compile(r"\.(post|json|read|text|multipart|release)\(\)|\.content\b")
    package = Path(lifeline_pbx.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{n}"
        for path in package.rglob("*.py") if path.name != "bodies.py" or path.parent.name != "web"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "request" in line and reads.search(line)
    ]
    assert offenders == []


async def test_a_number_too_large_for_the_database_is_refused(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    for path in ("/reports?facility=99999999999999999999", "/reports.csv?facility=1" + "0" * 19):
        status, page = await supervisor.get(path)
        assert status == 422 and "Choose a facility" in page, path


@public
async def _out_of_range(request: aioweb.Request) -> aioweb.StreamResponse:
    # A value a view forgot to check, refused by the real database.
    async with request.app[POOL].acquire() as con:
        await con.fetchval("SELECT $1::text::int", "99999999999")
    return aioweb.Response(text="not reached")


async def test_a_value_the_database_refuses_is_a_400_not_a_500(web: WebApp) -> None:
    app = create_app(web.app[CONFIG], calls=False)
    app.router.add_get("/injected", _out_of_range)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/injected")
        text = await response.text()
        assert response.status == 400 and "out of range" in text and not TRACE.search(text)
