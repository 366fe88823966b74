"""A warm transfer that ends without the operator asking, seen in their console in a real
browser, on a real SIP call: the panel says what happened in plain words and offers a new
transfer again (the feed's "transfer" message, transfers/told.py), while the caller is
back with them. The database really refuses the leg's write; op-b's phone really rings
out, then really answers and hangs up."""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Page, expect

from lifeline_pbx.resources import ACD, TRANSFERS
from tests.browser import Browsing
from tests.carrier import CarrierCall
from tests.engine import Hotline
from tests.pg_fixtures import connect
from tests.phones import PhoneCall
from tests.test_transfer_faults_sip import back_with_their_operator
from tests.test_transfers_sip import OPERATOR_USER, hold_bridges, link_op_a
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS

BACK = "you are back with the caller."


async def console_on_a_call(hotline: Hotline, browsing: Browsing, caller: str
                            ) -> tuple[Page, CarrierCall, PhoneCall]:
    """operator1's console (op-a's phone) on a call, op-b offered to transfer it to."""
    await link_op_a(hotline)
    page = await browsing.signed_in(hotline.base_url, OPERATOR_USER, PASSWORDS[OPERATOR_USER],
                                    path="/console")
    await page.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-a"].logged_in,
                   what="op-a logged in")
    call = await hotline.to_queue(caller)
    operator = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator, record=True)
    await hotline.reached(caller, "connected")
    await expect(page.locator("#call-tools")).to_be_visible()
    return page, call, operator


async def transfer_to_op_b(page: Page) -> None:
    await expect(page.locator("#transfer-to option[value='op-b']")).to_have_count(1)
    await page.select_option("#transfer-to", "op-b")
    await page.click("#transfer-start")


async def asks_anew(page: Page, words: str, timeout: float = 5_000) -> None:
    """The panel says `words` as a warning, and offers a new transfer, not the old one's
    buttons."""
    status = page.locator("#tools-status")
    await expect(status).to_have_text(words, timeout=timeout)
    await expect(status).to_have_class("small error")
    await expect(page.locator("#transfer-start")).to_be_visible()
    await expect(page.locator("#transfer-return")).to_be_hidden()
    await expect(page.locator("#transfer-complete")).to_be_hidden()


async def test_a_transfer_whose_leg_cannot_be_written_says_so_in_the_console(
    hotline_factory: Any, browsing: Browsing, admin_dsn: str,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    caller = "Console transfer unwritten"
    page, call, operator = await console_on_a_call(hotline, browsing, caller)
    async with connect(admin_dsn) as admin:
        await admin.execute("REVOKE INSERT ON outbound_legs FROM lifeline_app")
    await transfer_to_op_b(page)
    await asks_anew(page, f"The call to Operator op-b could not be placed: {BACK}")
    await hotline.reached(caller, "transfer_failed", {"to": "op-b"})
    await back_with_their_operator(hotline, call, operator)
    call_id = (await hotline.call_row(caller))["id"]
    assert browsing.problems == [f"HTTP 503 /console/calls/{call_id}/transfer"]  # the answer


async def test_op_b_not_answering_then_hanging_up_said_in_the_console(
    hotline_factory: Any, browsing: Browsing,
) -> None:
    """op-b's phone rings out (as long as the call's queue rings an operator, not 45 s):
    the console says they did not answer, and the transfer can be asked again; asked
    again, op-b answers, then hangs up: the console says so. op-b is named by name."""
    hotline: Hotline = await hotline_factory(web=True)
    caller = "Console transfer unanswered"
    page, call, operator = await console_on_a_call(hotline, browsing, caller)
    status = page.locator("#tools-status")
    queue_id = hotline.app[ACD].picture.talking[(await hotline.call_row(caller))["id"]].queue_id
    await hotline.sql("UPDATE queues SET ring_timeout_seconds = 5 WHERE id = $1", queue_id)
    await wait_for(lambda: hotline.app[ACD].picture.policy(queue_id).ring_timeout == 5,
                   what="the queue's ring time reloaded")

    await expect(page.locator("#transfer-to option[value='op-b']")).to_have_text(
        "Operator op-b")
    await transfer_to_op_b(page)
    other = await hotline.phones.offer("op-b")
    rung = time.monotonic()
    await expect(page.locator("#transfer-return")).to_be_visible()
    await expect(status).to_have_text(
        "Ringing Operator op-b; the caller hears music. Complete, or go back to the caller.")
    await hotline.phones.ended(other, timeout=20)  # rang out, never answered
    assert time.monotonic() - rung < 15  # 5 s and the phones' own delays, not 45 s
    await asks_anew(page, f"Operator op-b did not answer: {BACK}")
    await browsing.screenshot(page, "console_transfer_no_answer.png")
    await back_with_their_operator(hotline, call, operator)

    await transfer_to_op_b(page)
    other = await hotline.phones.offer("op-b")
    await hotline.phones.answer(other, record=False)
    await expect(status).to_have_text(
        "Operator op-b answered; the caller hears music. Complete, or go back to the caller.")
    await hotline.phones.hang_up(other)
    await asks_anew(page, f"Operator op-b hung up: {BACK}")
    await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the side closed")
    assert await hold_bridges(hotline) == []  # the caller off hold
    browsing.check_clean()
