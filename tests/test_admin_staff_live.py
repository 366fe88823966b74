"""Queues and operators changed by an admin reach live calls, nothing restarted: a real
browser, the running PBX, SIP calls from the carrier, a genuine softphone (baresip)
configured with the secret the page showed once, and the test desk phones."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from playwright.async_api import expect

from lifeline_pbx.errors import AriError
from lifeline_pbx.resources import ACD, ARI, OPERATOR_SYNC
from tests.browser import Browsing, admin_enrolled, operator_created, queue_created
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import Client

NEW_OPERATOR = "vol-d"


async def _endpoint(hotline: Hotline, name: str) -> bool:
    try:
        await hotline.app[ARI].request("GET", f"/endpoints/PJSIP/{name}")
    except AriError as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def _queue_ringing_for(hotline: Hotline, queue_id: int, seconds: float) -> bool:
    return hotline.app[ACD].picture.policy(queue_id).ring_timeout == seconds


async def test_an_admin_staffs_a_new_queue_in_the_browser_and_calls_reach_it(
    hotline_factory: Any, browsing: Browsing, softphone: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    base = hotline.base_url
    page = await admin_enrolled(browsing, base, "/admin")

    # A queue: 20 s ring time, no wrap-up; nobody serves it yet.
    queue_id = await queue_created(page, base, "Browser queue")

    # An operator serving it; the secret and the settings are on the page, once.
    secret = await operator_created(page, base, NEW_OPERATOR, "Volunteer D", "en", queue_id,
                                    "Browser queue")
    await expect(page.locator("#sip-transport")).to_have_text("UDP")

    # The line's queue (the lines page is another part of the admin): the next call on it
    # goes to the new queue.
    await hotline.sql("UPDATE lines SET queue_id = $1 WHERE did = '15550100101'", queue_id)

    # The operator types what the page showed into their softphone; it registers.
    await wait_for(lambda: _endpoint(hotline, NEW_OPERATOR), what="the account on the PBX")
    phone = softphone(NEW_OPERATOR, secret)
    await wait_for(lambda: NEW_OPERATOR in hotline.app[ACD].picture.online, timeout=20,
                   what="the softphone registered")
    await wait_for(lambda: NEW_OPERATOR in hotline.app[ACD].picture.operators,
                   what="the new operator in the queues")
    await hotline.login(NEW_OPERATOR)

    call = await hotline.to_queue("Browser queue caller")
    await hotline.reached("Browser queue caller", "connected", {"operator": NEW_OPERATOR})
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Browser queue caller")
    assert (row["queue_id"], row["disposition"]) == (queue_id, "answered")
    assert phone.running()

    # The admin puts op-a (a desk phone the test lets ring) in the queue and makes the
    # ring time 5 s; the softphone's operator logs out. The next offer rings 5 s, not 20.
    await page.goto(f"{base}/admin/queues/{queue_id}")
    await page.fill("#queue-ring_timeout_seconds", "5")
    await page.check("#queue-operators label:has-text('op-a') input")
    await page.click("#save-queue")
    await expect(page.locator("#notice")).to_have_text("Saved: the next call uses it.")
    await hotline.app[ACD].operator_action(NEW_OPERATOR, "logout")
    await hotline.login("op-a")
    await wait_for(lambda: _queue_ringing_for(hotline, queue_id, 5.0),
                   what="the distributor read the new ring time")

    call = await hotline.to_queue("Ring time caller")
    offer = await hotline.phones.offer("op-a")
    rang_at = time.monotonic()
    await hotline.phones.ended(offer)
    rang = time.monotonic() - rang_at
    assert 3.5 <= rang <= 10, rang
    # The phone sees its leg end before the app hears of it and logs the ring-out.
    events = await wait_for(lambda: hotline.queue_events("ring_no_answer"),
                            what="the ring-out logged")
    assert [(e["sip_username"], e["caller_name"]) for e in events] == [
        ("op-a", "Ring time caller")]
    await hotline.carrier.hang_up(call)
    browsing.check_clean()


async def test_an_operator_disabled_on_a_call_keeps_the_call_and_loses_the_account_after(
    hotline_factory: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    await hotline.login("op-a")
    call = await hotline.to_queue("Kept caller")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=False)
    await hotline.reached("Kept caller", "connected", {"operator": "op-a"})

    sync = hotline.app[OPERATOR_SYNC]
    before = sync.syncs
    op_a = await hotline.value("SELECT id FROM operators WHERE sip_username = 'op-a'")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = Client(hotline.base_url, http)
        assert await admin.sign_in("admin1") == 303
        status, _ = await admin.post(f"/admin/operators/{op_a}/disable")
        assert status == 303

    await wait_for(lambda: sync.syncs > before and sync.last_report is not None
                   and sync.last_report.kept == ["op-a"], what="the sync after the disable")
    await wait_for(lambda: "op-a" not in hotline.app[ACD].picture.operators,
                   what="op-a offered no more calls")
    assert await _endpoint(hotline, "op-a")  # the account stays while the call goes on
    assert not offer.ended and not call.ended
    talk = next(iter(hotline.app[ACD].picture.talking.values()))
    assert talk.operator == "op-a"

    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Kept caller")
    assert (row["disposition"], row["hangup_by"]) == ("answered", "caller")
    await wait_for(lambda: _gone(hotline, "op-a"), what="op-a's account removed after the call")


async def _gone(hotline: Hotline, name: str) -> bool:
    return not await _endpoint(hotline, name)


async def test_a_queue_that_asks_to_press_one_screens_every_offer(hotline: Hotline) -> None:
    """Press-1-to-accept set on the queue (op-a's own setting is off), read by the running
    distributor from the NOTIFY alone: a phone that answers without pressing 1 (a
    voicemail box) does not take the caller."""
    queue_id = await hotline.value("SELECT queue_id FROM lines WHERE did = '15550100101'")
    await hotline.sql("UPDATE queues SET accept_by_key = true WHERE id = $1", queue_id)
    await wait_for(lambda: hotline.app[ACD].picture.policy(queue_id).accept_by_key,
                   what="the distributor read the queue's setting")
    await hotline.login("op-a")
    await hotline.to_queue("Screened by queue")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=False)
    desk = hotline.app[ACD].desk
    # Answered and accepted are decided in one step: once answered, accepted tells.
    await wait_for(lambda: any(o.answered for o in desk.offers.values()),
                   what="op-a's leg answered")
    assert not any(o.accepted for o in desk.offers.values())
    await hotline.phones.send_dtmf(offer, "1")
    await hotline.reached("Screened by queue", "connected", {"operator": "op-a"})
