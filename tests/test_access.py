"""Accounts and access against the running server: sessions, roles, CSRF, throttling, 2FA."""

from __future__ import annotations

import pyotp

from tests.web_fixtures import WebApp


async def test_operator_signs_in_and_out(web: WebApp) -> None:
    client = await web.client()
    status, _ = await client.get("/")
    assert status == 303  # to the sign-in page
    assert await client.sign_in("operator1") == 303
    status, page = await client.get("/")
    assert status == 200 and "Demo Operator" in page
    status, _ = await client.post("/logout")
    assert status == 303
    status, _ = await client.get("/")
    assert status == 303
