"""A supervisor reviews a voicemail in a real browser: the message plays from the vault,
is marked reviewed, and leads to the intake page. Screenshot: test-artifacts/voicemail.png."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser import Browsing
from tests.engine import Hotline
from tests.test_engine_sip import voicemail_left
from tests.test_voicemail_vault import spoken_for
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS


async def test_supervisor_plays_and_reviews_a_voicemail(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    call = await hotline.to_queue("Browser message", triage="9")
    found = await voicemail_left(hotline, "Browser message", "no_operators")
    await spoken_for(hotline, call, found["call_id"], seconds=2)
    await hotline.carrier.hang_up(call)
    vid = await wait_for(lambda: hotline.value(
        """SELECT v.id FROM voicemails v JOIN voicemail_audio a ON a.voicemail_id = v.id
           WHERE v.call_id = $1 AND a.bytes > 0""", found["call_id"]),
        what="voicemail in the vault")

    page = await browsing.signed_in(hotline.base_url, "supervisor1", PASSWORDS["supervisor1"])
    await page.click("text=Voicemail")
    row = page.locator(f'tr[data-voicemail-id="{vid}"]')
    await expect(row).to_contain_text("Demo County")
    audio = row.locator("audio")
    await audio.evaluate("a => a.load()")
    await expect(audio).to_have_js_property("readyState", 4, timeout=10_000)
    assert await audio.evaluate("a => a.duration") > 0
    await browsing.screenshot(page, "voicemail.png")
    await row.locator("select[name=reason]").select_option("nothing_to_record")
    await row.locator("button", has_text="Mark reviewed").click()
    await expect(row).to_contain_text("by Demo Supervisor. No intake: Nothing to record")
    await row.locator("a", has_text="Write an intake").click()
    await expect(page.locator("#intake-form")).to_be_visible()
    browsing.check_clean()
