"""An intake opens, and a lookup answers, on the call bridged to the operator's phone the
moment the console shows it, before the queued call-record writer has put the operator on
the call's row."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from lifeline_pbx.resources import ACD
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import Client, add_user

PASSWORD = "binding-Test-password-1"


async def test_a_call_bridged_now_opens_its_intake_for_that_operator_only(
    hotline_factory: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    await add_user(hotline.dsn, "web-op-b", "operator", PASSWORD, operator="op-b")
    await add_user(hotline.dsn, "web-op-a", "operator", PASSWORD, operator="op-a")
    await hotline.login("op-b")
    call = await hotline.to_queue("Live Binding", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)

    def bridged() -> uuid.UUID | None:
        talking = hotline.app[ACD].picture.talking
        return next((cid for cid, t in talking.items() if t.operator == "op-b"), None)

    call_id: uuid.UUID = await wait_for(bridged, what="the call bridged to op-b")

    async def recorded() -> bool:
        rows = await hotline.sql(
            "SELECT 1 FROM calls WHERE id = $1 AND operator_id IS NOT NULL", call_id)
        return bool(rows)

    await wait_for(recorded, what="the call's row naming its operator")
    # The writer's lag, made to last: the row no longer says whose call it is.
    await hotline.sql("UPDATE calls SET operator_id = NULL WHERE id = $1", call_id)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as b_http, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as a_http:
        op_b, op_a = Client(hotline.base_url, b_http), Client(hotline.base_url, a_http)
        assert await op_b.sign_in("web-op-b", PASSWORD) == 303
        assert await op_a.sign_in("web-op-a", PASSWORD) == 303
        path = f"/intakes/open?call_id={call_id}"
        status, body = await op_b.get(path, headers={"Accept": "application/json"})
        assert status == 200 and '"kind": "call"' in body, body
        status, body = await op_a.get(path, headers={"Accept": "application/json"})
        assert status == 403 and "not put through to your phone" in body, body
        # A lookup of the A-number typed for the call: the same rule.
        lookup = f"/people/lookup?a_number=A012345678&call_id={call_id}"
        status, body = await op_b.get(lookup, headers={"Accept": "application/json"})
        assert status == 200 and '"found": false' in body, body
        status, _ = await op_a.get(lookup, headers={"Accept": "application/json"})
        assert status == 403
    await hotline.carrier.hang_up(call)
