"""An operator's phone that dies mid-call, seen in the consoles in a real browser on a real
SIP call: a genuine softphone (baresip) frozen with SIGSTOP. Its operator is told their
phone dropped the call and the caller was put back in the queue (not "The caller hung
up"); the next operator who takes that caller is told on the call card that they were cut
off from another volunteer."""

from __future__ import annotations

import os
import re
import signal
from typing import Any

from playwright.async_api import expect

from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.test_dead_phone_sip import RTP_TIMEOUT, timed_out_softphone
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS

LOST = ("Your phone stopped sending sound: the caller was put back in the queue. "
        "Finish the form, then save.")
CUT_OFF = re.compile(r"^Cut off from another volunteer \(Softphone operator\) at "
                     r"\d\d:\d\d [A-Z]{3}: they may need to start again\.$")


async def test_a_lost_phone_is_said_so_and_the_next_operator_told_the_caller_was_cut_off(
    hotline_factory: Any, pbx: Any, own_prompts: str, softphone: Any, browsing: Browsing,
) -> None:
    hotline, phone = await timed_out_softphone(hotline_factory, pbx, own_prompts, softphone,
                                               web=True)
    # operator1's phone is the softphone; supervisor1 takes calls on op-a's.
    for username, sip in (("operator1", "op-d"), ("supervisor1", "op-a")):
        await hotline.sql("""UPDATE users SET operator_id = (SELECT id FROM operators
                                                            WHERE sip_username = $2)
                             WHERE username = $1""", username, sip)
    first = await browsing.signed_in(hotline.base_url, "operator1", PASSWORDS["operator1"],
                                     path="/console")
    await first.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-d"].logged_in,
                   what="op-d logged in")
    caller = "Cut off"
    await hotline.to_queue(caller)
    await hotline.reached(caller, "connected", {"operator": "op-d"})  # baresip answers
    await expect(first.locator("#call-panel")).to_be_visible()
    await expect(first.locator("#call-cut-off")).to_be_hidden()  # nobody was cut off before

    second = await browsing.signed_in(hotline.base_url, "supervisor1",
                                      PASSWORDS["supervisor1"], path="/console")
    await second.click("#state-login")
    await wait_for(lambda: hotline.app[ACD].picture.operators["op-a"].logged_in,
                   what="op-a logged in")
    assert phone.process is not None
    os.kill(phone.process.pid, signal.SIGSTOP)  # no BYE, no audio: a dead phone
    try:
        await expect(first.locator("#call-ended-text")).to_have_text(
            LOST, timeout=(RTP_TIMEOUT + 15) * 1000)
        offer = await hotline.phones.offer("op-a", timeout=20)
        await hotline.phones.answer(offer, record=False)
        await hotline.reached(caller, "connected", {"operator": "op-a"})
        await expect(second.locator("#call-cut-off")).to_have_text(CUT_OFF)
        await expect(second.locator("#call-ended")).to_be_hidden()
    finally:
        os.kill(phone.process.pid, signal.SIGCONT)
