"""Every answer carries the security headers (redirects, errors, 404/405 too), no redirect
leaves the site, and /healthz tells the public only whether the service is up."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer

from lifeline_pbx.app import create_app
from lifeline_pbx.resources import CONFIG
from lifeline_pbx.web.auth import public
from tests.web_fixtures import Client, WebApp

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _assert_headers(headers: dict[str, str], path: str, where: str) -> None:
    for name, value in FIXED.items():
        assert headers.get(name) == value, f"{where}: {name}"
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    if path.startswith("/static/"):
        assert headers.get("Cache-Control") != "no-store", where  # stylesheets may be cached
    else:
        assert headers.get("Cache-Control") == "no-store", where


async def _raw(client: Client, method: str, path: str, **kw: object) -> tuple[int, dict[str, str]]:
    async with client.http.request(method, client.url(path), allow_redirects=False,
                                   **kw) as r:  # type: ignore[arg-type]
        await r.read()
        return r.status, dict(r.headers)


async def test_every_kind_of_answer_carries_the_headers(web: WebApp) -> None:
    anonymous = await web.client()
    supervisor = await web.signed_in("supervisor1")
    cases: list[tuple[Client, str, str, dict[str, object], int]] = [
        (anonymous, "GET", "/", {}, 303),  # redirect to sign in
        (anonymous, "GET", "/reports", {}, 303),
        (anonymous, "GET", "/login", {}, 200),
        (anonymous, "GET", "/no-such-page", {}, 404),
        (anonymous, "GET", "/logout", {}, 405),
        (anonymous, "POST", "/logout", {}, 403),  # no CSRF token
        (anonymous, "GET", "/healthz", {}, 503),  # the web UI alone: no telephone system
        (supervisor, "GET", "/console/state", {}, 405),
        (supervisor, "GET", "/supervisor/queues.json", {}, 503),  # needs the call engine
        (anonymous, "GET", "/static/lifeline.css", {}, 200),
        (anonymous, "GET", "/static/no-such.css", {}, 404),
        (anonymous, "POST", "/login", {"data": b"x", "headers": {
            "Content-Type": "multipart/form-data"}}, 400),
        (supervisor, "GET", "/reports", {}, 200),
        (supervisor, "GET", "/admin/users", {}, 403),
        (supervisor, "GET", "/reports/not-a-uuid", {}, 404),
        (supervisor, "POST", "/intakes", {"data": {"x": "y" * 300_000},
                                          "headers": {"X-CSRF-Token": supervisor.csrf}}, 413),
        (supervisor, "POST", "/logout", {"headers": {"X-CSRF-Token": supervisor.csrf}}, 303),
    ]
    for client, method, path, kw, expected in cases:
        status, headers = await _raw(client, method, path, **kw)
        assert status == expected, (method, path, status)
        _assert_headers(headers, path, f"{method} {path} {status}")


Route = Callable[[aioweb.Request], Awaitable[aioweb.StreamResponse]]


@public
async def _crash(request: aioweb.Request) -> aioweb.StreamResponse:
    raise RuntimeError("a bug")  # a fault the real views cannot be made to produce


@public
async def _off_site(request: aioweb.Request) -> aioweb.StreamResponse:
    raise aioweb.HTTPSeeOther("//evil.example/")  # as a careless future view might


@public
async def _off_site_returned(request: aioweb.Request) -> aioweb.StreamResponse:
    return aioweb.Response(status=302, headers={"Location": "https://evil.example/"})


@pytest.mark.parametrize("route, status, location", [
    (_crash, 500, None), (_off_site, 303, "/"), (_off_site_returned, 302, "/"),
])
async def test_errors_and_redirects_from_any_view(web: WebApp, route: Route, status: int,
                                                  location: str | None) -> None:
    app = create_app(web.app[CONFIG], calls=False)
    app.router.add_get("/injected", route)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/injected", allow_redirects=False)
        assert response.status == status
        assert response.headers.get("Location") == location
        _assert_headers(dict(response.headers), "/injected", "injected")
        assert "Traceback" not in await response.text()


async def test_health_is_only_ok_or_not_for_the_public(web_with_calls: WebApp) -> None:
    web = web_with_calls
    anonymous, operator = await web.client(), await web.signed_in("operator1")
    for client in (anonymous, operator):
        status, text = await client.get("/healthz")
        assert (status, json.loads(text)) == (200, {"status": "ok"})
    supervisor = await web.signed_in("supervisor1")
    status, text = await supervisor.get("/healthz")
    assert status == 200 and json.loads(text) == {
        "status": "ok", "database": "ok", "asterisk": "connected", "calls": 0,
        "problems": []}
