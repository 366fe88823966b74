"""Redirects stay on this site: the decision as a table, then the sign-in page over HTTP."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest

from lifeline_pbx.web.redirects import MAX_TARGET, local_target
from tests.web_fixtures import PASSWORDS, Client, WebApp

LOCAL = [
    "/", "/console", "/people?a_number=A123456789",
    "/reports?facility=1&category=medical_neglect&since=2026-01-01",
    "/x?a=b+c", "/people/0b0c6f36-3c5e-4a43-9df2-52d8f1f5e7b1/edit",
    "/follow-ups/0b0c6f36-3c5e-4a43-9df2-52d8f1f5e7b1#follow-up-notes",
]
OFF_SITE = [
    # the audit's payloads: a browser drops TAB, LF and CR inside a URL
    "/\t/127.0.0.1:9/", "/\n/127.0.0.1:9/", "/\r/127.0.0.1:9/", "\t//127.0.0.1:9/",
    "//127.0.0.1:9/", "///127.0.0.1:9/", "//evil.example", "/ /evil.example",
    # backslashes, read as '/' by browsers
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "\\/evil.example",
    # encoded slashes and controls
    "/%2F/evil.example", "/%2f%2fevil.example", "/%5C/evil.example", "/%5cevil.example",
    "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%00/evil.example",
    # schemes
    "https://evil.example/", "https:evil.example", "https:/evil.example", "http:\\\\evil",
    "javascript:alert(1)", "data:text/html,x", "HTTPS://evil.example",
    # whitespace and unicode lookalikes
    " //evil.example", "/\u3000/evil.example", "\u3000//evil.example",
    "/\u200b/evil.example", "/\u2028/evil.example", "\uff0f\uff0fevil.example",
    "/\u2215evil.example", "/\u00e9vil", "/x#\u00e9",
    # not a path at all
    "console", "evil.example", "", "?next=/", "#/",
    # too long to be ours
    "/" + "a" * MAX_TARGET,
]


@pytest.mark.parametrize("raw", LOCAL)
def test_own_paths_are_kept(raw: str) -> None:
    assert local_target(raw) == raw


@pytest.mark.parametrize("raw", OFF_SITE)
def test_anything_else_goes_home(raw: str) -> None:
    assert local_target(raw) == "/"


def test_missing_target_goes_home() -> None:
    assert local_target(None) == "/"


def _login_token(client: Client) -> str:
    return next(c.value for c in client.http.cookie_jar if c.key == "lifeline_login")


async def test_sign_in_never_sends_the_browser_off_site(web: WebApp) -> None:
    for raw in OFF_SITE:
        client = await web.client()
        await client.get("/login")
        status, _ = await client.post("/login", {
            "username": "operator1", "password": PASSWORDS["operator1"], "next": raw,
        }, csrf=_login_token(client))
        assert (status, client.last["location"]) == (303, "/"), raw
    # Signed in already, the sign-in page redirects to its 'next' at once.
    for raw in OFF_SITE:
        encoded = quote(raw, safe="")
        async with client.http.get(client.url(f"/login?next={encoded}"),
                                   allow_redirects=False) as r:
            assert (r.status, r.headers.get("Location")) == (303, "/"), raw


async def test_signing_in_returns_to_the_page_asked_for(web: WebApp) -> None:
    client = await web.client()
    wanted = "/reports?facility=1&category=medical_neglect"
    status, _ = await client.get(wanted)
    assert status == 303
    sign_in_page = client.last["location"]
    assert sign_in_page.startswith("/login?next=")
    status, page = await client.get(sign_in_page)
    carried = re.search(r'name="next" value="([^"]*)"', page)
    assert status == 200 and carried
    status, _ = await client.post("/login", {
        "username": "supervisor1", "password": PASSWORDS["supervisor1"],
        "next": html.unescape(carried.group(1)),
    }, csrf=_login_token(client))
    assert (status, client.last["location"]) == (303, wanted)  # both query parameters kept
    assert (await client.get(wanted))[0] == 200
