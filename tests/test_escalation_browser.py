"""An emergency nobody on the on-call list accepts reaches a supervisor's console at once,
in a real browser, saying that the list was rung and nobody accepted."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser import Browsing
from tests.engine import Hotline
from tests.test_engine_sip import voicemail_left
from tests.test_escalation_sip import TRUNK, emergency, on_call
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS


async def test_nobody_accepting_is_shown_in_the_supervisors_console(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK)
    await on_call(hotline, ("op-a", 5))
    page = await browsing.signed_in(hotline.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    path="/console")
    voicemails = page.locator("#feed-voicemails")
    await expect(voicemails.locator("li.empty")).to_have_text("No voicemail waiting.")

    caller = "Emergency to the console"
    call = await emergency(hotline, caller)
    await hotline.phones.offer("op-a")  # rings out
    found = await voicemail_left(hotline, caller, "oncall_unanswered")
    await hotline.carrier.hang_up(call)
    voicemail_id = await wait_for(lambda: hotline.value(
        "SELECT id FROM voicemails WHERE call_id = $1", found["call_id"]),
        what="the voicemail saved")
    shown = voicemails.locator(f'li[data-voicemail-id="{voicemail_id}"]')
    await expect(shown).to_have_class("emergency fresh")
    await expect(shown.locator(".reason")).to_have_text("nobody on the on-call list accepted")
    await browsing.screenshot(page, "escalation_alert.png")
    browsing.check_clean()
