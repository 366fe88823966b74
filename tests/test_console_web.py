"""The operator console over HTTP and its WebSocket: who may connect, and what the buttons do."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from lifeline_pbx.queues import more_time
from tests.waiting import wait_for
from tests.web_fixtures import Client, WebApp

OPERATOR = "operator1"  # demo web user linked to the demo SIP account operator1


async def ws(client: Client, origin: str = "own") -> aiohttp.ClientWebSocketResponse:
    """Connect as a page of this site would ("own"), from elsewhere, or with no Origin ("")."""
    return await client.http.ws_connect(
        client.url("/console/ws"), origin=client.base_url if origin == "own" else origin or None)


async def next_state(socket: aiohttp.ClientWebSocketResponse, **expected: Any) -> dict[str, Any]:
    """Messages until a state message with the expected values (fails on timeout)."""
    while True:
        message = await socket.receive_json(timeout=10)
        if message["type"] == "state" and all(message[k] == v for k, v in expected.items()):
            return dict(message)


async def status(web: WebApp, username: str) -> tuple[bool, bool, str]:
    rows = await web.sql(
        """SELECT s.logged_in, s.paused, s.pause_reason FROM operator_status s
           JOIN operators o ON o.id = s.operator_id WHERE o.sip_username = $1""", username)
    return (rows[0]["logged_in"], rows[0]["paused"], rows[0]["pause_reason"])


async def stored(web: WebApp, expected: tuple[bool, bool, str]) -> None:
    """The operator's state is written behind the distributor: soon, not at once."""

    async def probe() -> bool:
        return await status(web, OPERATOR) == expected

    await wait_for(probe, what=f"operator state {expected} stored")


async def test_websocket_refuses_anonymous_and_foreign_origins(web_with_calls: WebApp) -> None:
    web = web_with_calls
    anonymous = await web.client()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ws(anonymous)
    assert refused.value.status == 401
    operator = await web.signed_in(OPERATOR)
    for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example", ""):
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
            await ws(operator, origin)
        assert foreign.value.status == 403, origin
    socket = await ws(operator)
    first = await socket.receive_json(timeout=10)
    assert first["type"] == "state" and first["known"] is True
    await socket.close()


async def test_buttons_drive_the_engine_and_every_console_hears(web_with_calls: WebApp) -> None:
    web = web_with_calls
    operator = await web.signed_in(OPERATOR)
    socket = await ws(operator)
    await next_state(socket)
    code, body = await operator.post_json("/console/state", {"action": "login"})
    assert (code, body["logged_in"], body["paused"]) == (200, True, False)
    await next_state(socket, logged_in=True, paused=False)
    code, body = await operator.post_json(
        "/console/state", {"action": "pause", "reason": "meal", "note": "back at <b>3</b>"})
    assert (code, body["pause_reason"]) == (200, "meal: back at <b>3</b>")
    await next_state(socket, paused=True, pause_reason="meal: back at <b>3</b>")

    await stored(web, (True, True, "meal: back at <b>3</b>"))
    # A reload (a new connection) is told the same, including the reason.
    again = await ws(operator)
    assert (await next_state(again))["pause_reason"] == "meal: back at <b>3</b>"
    await again.close()

    for bad in ({"action": "pause", "reason": "nap"},
                {"action": "pause", "reason": "other", "note": "x" * 101},
                {"action": "sleep"}):
        code, refused = await operator.post_json("/console/state", bad)
        assert code == 422 and refused["ok"] is False and refused["error"], bad
    code, body = await operator.post_json("/console/state", {"action": "resume"})
    assert (code, body["paused"]) == (200, False)
    code, body = await operator.post_json("/console/ready", {})
    assert (code, body["wrapup_until"]) == (200, None)
    code, refused = await operator.post_json("/console/more-time", {})  # no call to finish
    assert (code, refused["error"]) == (409, more_time.NOT_IN_WRAP_UP)
    code, body = await operator.post_json("/console/state", {"action": "logout"})
    assert (code, body["logged_in"]) == (200, False)
    await next_state(socket, logged_in=False)
    await stored(web, (False, False, ""))
    await socket.close()


async def test_console_refuses_a_forged_token_and_an_unlinked_user(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await web.signed_in(OPERATOR)
    code, _ = await operator.post_json("/console/state", {"action": "login"}, csrf="forged")
    assert code == 403
    supervisor = await web.signed_in("supervisor1")  # no SIP account linked
    code, page = await supervisor.get("/console")
    assert code == 200 and "not linked to a phone" in page and "console.js" not in page
    code, _ = await supervisor.post_json("/console/state", {"action": "login"})
    assert code == 409
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await ws(supervisor)
    assert refused.value.status == 409
    code, page = await operator.get("/console")
    assert code == 200 and 'id="call-panel"' in page and "/static/console.js" in page


async def test_an_open_console_on_duty_keeps_the_session_but_not_off_duty(
    web_with_calls: WebApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = web_with_calls
    from lifeline_pbx.console import views

    monkeypatch.setattr(views, "SESSION_CHECK_SECONDS", 0.2)
    operator = await web.signed_in(OPERATOR)
    await operator.post_json("/console/state", {"action": "login"})
    socket = await ws(operator)
    await web.sql("UPDATE web_sessions SET last_seen_at = now() - interval '29 minutes'")

    async def refreshed() -> bool:
        rows = await web.sql("SELECT now() - last_seen_at < interval '1 minute' AS fresh "
                             "FROM web_sessions")
        return bool(rows and rows[0]["fresh"])

    await wait_for(refreshed, timeout=10, what="the console's session refreshed while on duty")
    # Logged out of the queues, an open console no longer counts: idle time runs out.
    await operator.post_json("/console/state", {"action": "logout"})

    async def until_closed() -> aiohttp.WSMessage:
        while True:
            message = await socket.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return message

    # Read without a timeout: a receive that times out marks the socket closed abnormally.
    closing = asyncio.ensure_future(until_closed())

    async def signed_out() -> bool:
        await web.sql("UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes'")
        return closing.done()

    await wait_for(signed_out, timeout=10, what="the console closed as signed out")
    assert socket.close_code == views.WS_SIGNED_OUT
    assert (await operator.get("/console"))[0] == 303
