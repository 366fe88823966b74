"""The web tier: the app with its web server on a port of its own, and signed-in HTTP clients.

`web` is the web UI alone (no Asterisk: what needs the call engine answers 503);
`web_with_calls` adds the engine on this run's PBX, for what needs live calls.

Clients speak HTTP to the real server (aiohttp's client, a cookie jar per user), fetch
the CSRF token from the page like a browser would, and post it back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import pyotp
import pytest
from aiohttp import web as aioweb

from devstack import asterisk
from lifeline_pbx import demo
from lifeline_pbx.accounts import passwords
from lifeline_pbx.app import create_app, running
from lifeline_pbx.resources import CONNECTED
from tests.conftest import app_config
from tests.db_reads import Statements
from tests.waiting import wait_for

PASSWORDS = {username: password for username, _, _, password, _ in demo.DEMO_USERS}
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
SEALED_FIELD = re.compile(r'name="sealed" value="([0-9a-f]+)"')
SECRET_SHOWN = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


@dataclass
class Client:
    """One person's browser, as far as HTTP goes."""

    base_url: str
    http: aiohttp.ClientSession
    csrf: str = ""
    totp_secret: str = ""
    last: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        async with self.http.get(self.url(path), allow_redirects=False, **kw) as r:
            text = await r.text()
            self.last = {"location": r.headers.get("Location", "")}
            if m := _META.search(text):
                self.csrf = m.group(1) or self.csrf
            return r.status, text

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: str | None = None,
                   **kw: Any) -> tuple[int, str]:
        form = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        async with self.http.post(self.url(path), data=form, allow_redirects=False, **kw) as r:
            self.last = {"location": r.headers.get("Location", "")}
            return r.status, await r.text()

    async def post_json(self, path: str, body: Any, *, csrf: str | None = None) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf if csrf is None else csrf,
                   "Accept": "application/json"}
        async with self.http.post(self.url(path), json=body, headers=headers,
                                  allow_redirects=False) as r:
            return r.status, await r.json(content_type=None)

    def session_cookie(self) -> str:
        for cookie in self.http.cookie_jar:
            if cookie.key == "lifeline_session":
                return cookie.value
        return ""

    async def sign_in(self, username: str, password: str | None = None) -> int:
        """Password (and the second factor for admins, enrolling it the first time)."""
        status, page = await self.get("/login")
        token = _LOGIN_TOKEN.search(page)
        assert token, "no login token on the sign-in page"
        status, _ = await self.post("/login", {
            "username": username, "password": password or PASSWORDS[username], "next": "/",
        }, csrf=token.group(1))
        where = self.last["location"]
        if status == 303 and where == "/account/second-factor":
            _, page = await self.get(where)
            self.totp_secret = SECRET_SHOWN.search(page).group(1)  # type: ignore[union-attr]
            sealed = SEALED_FIELD.search(page).group(1)  # type: ignore[union-attr]
            code = pyotp.TOTP(self.totp_secret).now()
            status, _ = await self.post(where, {"sealed": sealed, "code": code})
        elif status == 303 and where == "/login/code":
            await self.get(where)
            status, _ = await self.post(where, {"code": pyotp.TOTP(self.totp_secret).now()})
        if status == 303:
            await self.get("/")  # picks up the session's CSRF token
        return status


@dataclass
class WebApp:
    app: aioweb.Application
    dsn: str
    base_url: str
    _clients: list[aiohttp.ClientSession] = field(default_factory=list)
    _statements: Statements = field(init=False)  # opens its connections when first used

    def __post_init__(self) -> None:
        self._statements = Statements(self.dsn)

    async def client(self, source: str | None = None) -> Client:
        """A browser; `source` binds its connections to that loopback address."""
        connector = aiohttp.TCPConnector(limit=0, local_addr=(source, 0) if source else None)
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     connector=connector)
        self._clients.append(http)
        return Client(self.base_url, http)

    async def signed_in(self, username: str) -> Client:
        client = await self.client()
        assert await client.sign_in(username) == 303, f"{username} could not sign in"
        return client

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._statements.fetch(query, *args)

    async def close(self) -> None:
        for http in self._clients:
            await http.close()
        await self._statements.close()


async def add_user(dsn: str, username: str, role: str, password: str,
                   operator: str | None = None) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(
            """INSERT INTO users (username, display_name, role, password_hash, operator_id)
               VALUES ($1, $1, $2, $3, (SELECT id FROM operators WHERE sip_username = $4))""",
            username, role, passwords.hash_password(password), operator,
        )
    finally:
        await con.close()


@contextlib.asynccontextmanager
async def running_web(dsn: str, pbx: asterisk.Instance | None = None, prompts_dir: str = "",
                      **settings: object) -> AsyncIterator[WebApp]:
    """The app on the database at dsn, its web server on a port the system gave it; with a
    PBX, its call engine too (connected before this returns)."""
    app = create_app(app_config(pbx, dsn, prompts_dir, **settings), calls=pbx is not None)
    async with running(app, "127.0.0.1") as started:
        if pbx is not None:
            await wait_for(app[CONNECTED].is_set, what="ARI connected")
        web_app = WebApp(app, dsn, f"http://127.0.0.1:{started.port}")
        try:
            yield web_app
        finally:
            await web_app.close()


@pytest.fixture
async def web(app_dsn: str) -> AsyncIterator[WebApp]:
    async with running_web(app_dsn) as web_app:
        yield web_app


@pytest.fixture
async def web_with_calls(
    pbx: asterisk.Instance, app_dsn: str, prompts_dir: str
) -> AsyncIterator[WebApp]:
    async with running_web(app_dsn, pbx, prompts_dir) as web_app:
        yield web_app
