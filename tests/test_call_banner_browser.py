"""On a page other than the console (here /intake, finishing an unfinished intake as the
console's list offers), an operator logged in to the queues sees at once that a call was
put through to them, with a link back to the console. A real browser, a real Asterisk call.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.async_api import expect

from tests.browser import Browsing
from tests.engine import Hotline
from tests.test_console_live import operator_console


async def test_a_call_put_through_shows_on_the_intake_page(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-b")
    await expect(page.locator("#call-banner")).to_have_count(0)  # the console has its own
    earlier = uuid.uuid4()  # an earlier call of op-b's, its intake unfinished
    await hotline.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
                              started_at, ended_at, connected_at, operator_id)
           VALUES ($1, 'c', 'PJSIP/c', '100', '', '', now(), now(), now(),
                   (SELECT id FROM operators WHERE sip_username = 'op-b'))""", earlier)
    await page.goto(f"{hotline.base_url}/intake?call_id={earlier}")
    banner = page.locator("#call-banner")
    await expect(page.locator("#intake-call-id")).to_have_value(str(earlier))
    await expect(banner).to_be_hidden()

    call = await hotline.to_queue("Caller on intake", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("A call has been put through to you")
    await expect(page.locator("#call-banner-link")).to_have_attribute("href", "/console")
    await expect(page.locator("#intake-call-id")).to_have_value(str(earlier))  # form as it was
    await page.click("#call-banner-link")
    await expect(page.locator("#call-panel")).to_be_visible()  # the call, on the console
    await hotline.carrier.hang_up(call)
    await page.goto(f"{hotline.base_url}/follow-ups")  # elsewhere again, in wrap-up
    await expect(banner).to_be_hidden()
    browsing.check_clean()
