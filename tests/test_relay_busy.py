"""An operator on a relay call (or any leg the distributor did not place on their phone)
is busy: their console and the supervisors' view say on what, no queued caller is offered
to them, and afterwards they are back to what they were (ready, or the wrap-up still due).

The pure parts (console message, queue snapshot) table-driven; then a real browser on a
real SIP relay call through the carrier trunk."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect

from lifeline_pbx.console import messages
from lifeline_pbx.queues import routing, snapshot
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.picture import Picture, Talk
from lifeline_pbx.queues.staff import Staff
from lifeline_pbx.resources import ACD, TRANSFERS
from tests.browser import Browsing
from tests.engine import Hotline
from tests.test_escalation_sip import OUTSIDE, TRUNK
from tests.test_transfers_sip import OPERATOR_USER, free, link_op_a
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, Client

NOW = 1_000_000.0
WRAP_UP = re.compile(r"Wrap-up: [45]:\d\d left")
JSON = {"Accept": "application/json"}


def _op(*, logged_in: bool = True, paused: bool = False, wrapup_until: float = 0.0
        ) -> routing.Operator:
    return routing.Operator("op-a", frozenset({"en"}), frozenset({"1"}), logged_in=logged_in,
                            paused=paused, registered=True, on_call=False, ringing=False,
                            wrapup_until=wrapup_until, idle_since=0.0, missed_in_row=0)


@pytest.mark.parametrize(("op", "on_call", "side", "shown", "wrapup_until"), [
    (_op(), False, None, None, None),
    (_op(), False, "callback", "On a relay call", None),
    (_op(), False, "transfer", "On a transfer from another operator", None),
    (_op(), False, "oncall", "On an emergency call (on-call list)", None),
    (_op(), False, "conference", messages.SIDE_CALL, None),
    # Wrap-up still due is hidden while on the relay call, shown again after it.
    (_op(wrapup_until=NOW + 30), False, "callback", "On a relay call", None),
    (_op(wrapup_until=NOW + 30), False, None, None, NOW + 30),
    (_op(logged_in=False), False, "callback", "On a relay call", None),
    (None, False, "callback", "On a relay call", None),
])
def test_the_console_state_says_what_side_call_the_phone_is_on(
    op: routing.Operator | None, on_call: bool, side: str | None, shown: str | None,
    wrapup_until: float | None,
) -> None:
    state = messages.state(op, "", on_call, NOW, side)
    assert (state["side_call"], state["wrapup_until"]) == (shown, wrapup_until)


@pytest.mark.parametrize(("op", "talking", "side", "status"), [
    (_op(), False, None, "ready"),
    (_op(), False, "callback", "on a relay call"),
    (_op(), False, "oncall", "on-call emergency"),
    (_op(), False, "transfer", "taking a transfer"),
    (_op(), False, "unheard-of", "on another call"),
    (_op(), True, "transfer", "on a call"),  # a transfer handed over: on the call itself
    (_op(wrapup_until=NOW + 30), False, "callback", "on a relay call"),
    (_op(wrapup_until=NOW + 30), False, None, "wrap-up"),
    (_op(paused=True), False, "callback", "on a relay call"),
    (_op(logged_in=False), False, "callback", "on a relay call"),
])
def test_the_supervisors_see_the_side_call_and_it_is_not_counted_ready(
    op: routing.Operator, talking: bool, side: str | None, status: str,
) -> None:
    picture = Picture(staff=Staff(operators={"op-a": op}, online=frozenset({"op-a"})))
    if side:
        picture.engaged["op-a"] = ["callback", side]  # the latest leg is the one shown
    if talking:
        call = CallHandle(uuid.uuid4(), "caller", None, "en", 0, lambda outcome: None)
        picture.talking[call.call_id] = Talk(call, "op-a", "bridge", "op-chan", 1)
    view = snapshot.snapshot(picture, NOW).queues[0]
    assert view.operators[0].status == status
    assert view.counts.ready == (1 if status == "ready" else 0)


async def _supervisor_sees(client: Client, username: str) -> str:
    status, text = await client.get("/supervisor/queues.json", headers=JSON)
    assert status == 200, text
    found: str = next(o["status"] for q in json.loads(text)["queues"] for o in q["operators"]
                      if o["username"] == username)
    return found


async def test_on_a_relay_call_the_operator_shows_busy_and_is_offered_no_caller(
    hotline_factory: Any, browsing: Browsing,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK)
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    state = page.locator("#operator-state")
    await page.click("#state-login")
    await expect(state).to_have_text("Ready: waiting for calls")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = Client(hotline.base_url, http)
        assert await supervisor.sign_in("supervisor1") == 303
        assert await _supervisor_sees(supervisor, "op-a") == "ready"

        await page.fill("#relay-number", OUTSIDE)
        await page.click("#relay-call")
        phone = await hotline.phones.offer("op-a")
        await expect(state).to_have_text("On a relay call")  # already while it rings
        await hotline.phones.answer(phone, record=False)
        outside = await hotline.carrier.offered(OUTSIDE)
        await hotline.carrier.answer(outside)
        await expect(state).to_have_text("On a relay call")
        assert await _supervisor_sees(supervisor, "op-a") == "on a relay call"

        # A caller queues while op-a, the only operator logged in, is on the relay call:
        # they wait; op-a's phone rings for them only once the relay call is over.
        caller = "Waits for the relay"
        await hotline.to_queue(caller)
        call_id = (await hotline.call_row(caller))["id"]
        assert call_id in hotline.app[ACD].picture.waiting and "op-a" not in free(hotline)
        assert not any(c.operator == "op-a" and not c.taken
                       for c in hotline.phones.calls.values())
        await hotline.carrier.hang_up(outside)  # the relative hangs up: op-a's leg too
        await hotline.phones.ended(phone)
        offer = await hotline.phones.offer("op-a")
        await hotline.phones.answer(offer, record=False)
        await hotline.reached(caller, "connected")
        await expect(state).to_have_text("On a call")
        assert await _supervisor_sees(supervisor, "op-a") == "on a call"
        await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the relay side closed")
    browsing.check_clean()


async def test_after_a_relay_call_in_wrap_up_the_wrap_up_still_due_shows(
    hotline_factory: Any, browsing: Browsing,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK)
    await hotline.sql("UPDATE queues SET wrapup_seconds = 300")
    await hotline.app[ACD].reload()
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    state = page.locator("#operator-state")
    await page.click("#state-login")
    await expect(state).to_have_text("Ready: waiting for calls")
    caller = "Before the relay"
    call = await hotline.to_queue(caller)
    operator = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator, record=False)
    await hotline.reached(caller, "connected")
    await expect(page.locator("#call-tools")).to_be_visible()  # its choices asked in time
    await hotline.carrier.hang_up(call)
    await expect(state).to_have_text(WRAP_UP)

    await page.fill("#relay-number", OUTSIDE)
    await page.click("#relay-call")
    phone = await hotline.phones.offer("op-a")
    await expect(state).to_have_text("On a relay call")
    await hotline.phones.answer(phone, record=False)
    outside = await hotline.carrier.offered(OUTSIDE)
    await hotline.carrier.answer(outside)
    await hotline.phones.hang_up(phone)  # op-a ends it from the phone
    await hotline.carrier.ended(outside)
    await expect(state).to_have_text(WRAP_UP)
    assert hotline.app[ACD].picture.operators["op-a"].wrapup_until > time.time() + 200
    browsing.check_clean()
