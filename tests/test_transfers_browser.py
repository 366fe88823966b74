"""The console's transfer tools in a real browser, on a real SIP call: the line's policy
shows the conference as off (and why), and a warm transfer to op-b is started and
completed with the buttons; op-b's phone then carries the call."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Route, expect

from lifeline_pbx.resources import ACD
from lifeline_pbx.transfers import rules
from tests.browser import Browsing
from tests.carrier import CarrierCall
from tests.engine import Hotline
from tests.phones import PhoneCall
from tests.test_transfers_sip import OPERATOR_USER, link_op_a
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS


async def test_warm_transfer_from_the_console_and_the_conference_off(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    tools = page.locator("#call-tools")
    await expect(tools).to_be_hidden()
    await page.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-a"].logged_in,
                   what="op-a logged in")
    caller = "Browser transfer"
    await hotline.to_queue(caller)
    operator = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator)
    await hotline.reached(caller, "connected")

    await expect(tools).to_be_visible()
    await expect(page.locator("#conference-off")).to_have_text(rules.THREE_WAY_OFF)
    await expect(page.locator("#conference-add")).to_be_hidden()
    await expect(page.locator("#out-off")).to_have_text(rules.TRANSFER_OFF)
    await expect(page.locator("#out-start")).to_be_hidden()
    # No field to type a number into where nothing can be done with it (a label's own
    # display once outweighed its `hidden`).
    await expect(page.locator("#conference-number")).to_be_hidden()
    await expect(page.locator("#out-number")).to_be_hidden()
    await expect(page.locator("#queue-language option[value='en']")).to_have_text("English")
    # The call and its tools beside the intake, not above it.
    side = await page.locator(".console-side").bounding_box()
    intake = await page.locator("#intake").bounding_box()
    assert side is not None and intake is not None
    assert intake["y"] < side["y"] + side["height"] and intake["x"] > side["x"] + side["width"]
    await expect(page.locator("#transfer-to option[value='op-b']")).to_have_count(1)
    await expect(page.locator("#transfer-to option[value='op-a']")).to_have_count(0)
    await page.select_option("#transfer-to", "op-b")
    await page.click("#transfer-start")
    other = await hotline.phones.offer("op-b")
    await expect(page.locator("#transfer-complete")).to_be_visible()
    await hotline.phones.answer(other)
    await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
    await browsing.screenshot(page, "console_transfer.png")
    await page.click("#transfer-complete")
    await expect(page.locator("#tools-status")).to_have_text("Transferred.")
    await expect(page.locator("#call-ended-text")).to_have_text(
        "You transferred the call to Operator op-b. Finish the form, then save.")
    await hotline.reached(caller, "transfer_completed", {"to": "op-b"})
    await hotline.phones.ended(operator)
    call_id = (await hotline.call_row(caller))["id"]
    assert hotline.app[ACD].picture.talking[call_id].operator == "op-b"
    browsing.check_clean()


async def test_a_call_over_before_its_transfer_choices_arrive_shows_nothing(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """The console asks for a call's transfer choices as it begins; a short call can end
    before that answer arrives. Held here (a route) until the call is over: a 409 (the
    call is not theirs any more) is silent, and a 200 that comes late shows no tools for a
    call that ended."""
    hotline: Hotline = await hotline_factory(web=True)
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    held: asyncio.Queue[Route] = asyncio.Queue()
    await page.route("**/transfer-choices", held.put_nowait)
    await page.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-a"].logged_in,
                   what="op-a logged in")
    tools = page.locator("#call-tools")
    for caller, late in (("Short call", False), ("Short call late answer", True)):
        call = await hotline.to_queue(caller)
        operator = await hotline.phones.offer("op-a")
        await hotline.phones.answer(operator, record=False)
        await hotline.reached(caller, "connected")
        route = await asyncio.wait_for(held.get(), 15)
        answer = await route.fetch() if late else None  # asked while the call is live
        await hotline.carrier.hang_up(call)
        await hotline.closed(caller)
        await expect(page.locator("#call-ended")).to_be_visible()
        if answer is None:
            answer = await route.fetch()
            assert answer.status == 409
        else:
            assert answer.status == 200
        await route.fulfill(response=answer)
        call_id = (await hotline.call_row(caller))["id"]
        await expect(tools).to_have_attribute("data-answered", str(call_id))
        await expect(tools).to_be_hidden()
        await hotline.phones.ended(operator)
        await wait_for(lambda: not hotline.app[ACD].picture.talking, what="the call over")
    browsing.check_clean()


async def test_with_nobody_free_the_warm_transfer_waits_until_someone_is(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """op-b and op-c are on calls of their own when op-a's begins: nobody to hand it to, so
    no button to press and the reason why. op-b's caller hangs up: the console hears it
    (its feed carries the new list; no asking again) and op-b is offered, the button back."""
    hotline: Hotline = await hotline_factory(web=True)
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    busy: dict[str, tuple[CarrierCall, PhoneCall]] = {}
    for other, language in (("op-b", "2"), ("op-c", "1")):  # one at a time: who takes which
        await hotline.login(other)
        call = await hotline.to_queue(f"Busy {other}", language_digit=language)
        leg = await hotline.phones.offer(other)
        await hotline.phones.answer(leg, record=False)
        await hotline.reached(f"Busy {other}", "connected")
        busy[other] = (call, leg)
    await page.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-a"].logged_in,
                   what="op-a logged in")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url)
            if request.url.endswith("/transfer-choices") else None)
    caller = "Nobody free"
    call = await hotline.to_queue(caller)
    operator = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator, record=False)
    await hotline.reached(caller, "connected")

    start, none = page.locator("#transfer-start"), page.locator("#transfer-none")
    await expect(page.locator("#call-tools")).to_be_visible()
    await expect(page.locator("#transfer-to option")).to_have_count(0)
    await expect(start).to_be_disabled()
    await expect(none).to_have_text("Nobody is free to take it now.")
    await expect(none).to_be_visible()
    await browsing.screenshot(page, "console_transfer_nobody_free.png")

    b_call, b_leg = busy["op-b"]
    await hotline.carrier.hang_up(b_call)
    await hotline.phones.ended(b_leg)
    await expect(page.locator("#transfer-to option")).to_have_text(["Operator op-b"])  # by name
    await expect(start).to_be_enabled()
    await expect(none).to_be_hidden()
    assert len(asked) == 1, asked  # as the call began, not again
    browsing.check_clean()

    for other_call, leg in (busy["op-c"], (call, operator)):  # the phones free for others
        await hotline.carrier.hang_up(other_call)
        await hotline.phones.ended(leg)
