"""A new number goes live from the browser, against real Asterisk, SIP and PostgreSQL.

An admin (signing in with a second factor, in a real browser) creates a facility and a
line with a new DID and a Spanish-first menu on the demo queue; a call from the carrier
to the new number chooses Spanish and reaches the Spanish-speaking operator's phone. The
admin then closes the line for today, and the next call hears the closure's message and
leaves a voicemail. Nothing is restarted: the same app serves every step. Screenshots:
test-artifacts/line-form.png, test-artifacts/line-preview.png.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
from playwright.async_api import Page, expect

from lifeline_pbx.resources import CONFIG_WATCH, LINES
from tests.browser import Browsing
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS

NEW_DID = "15550100377"
FACILITY = "Stewart Detention Center"
ZONE = "America/New_York"  # Georgia's, which the facility takes from its state


async def admin_signed_in(browsing: Browsing, base: str) -> Page:
    """admin1 signs in and, as every admin must the first time, sets up a second factor."""
    page = await browsing.page()
    await page.goto(f"{base}/login?next=/admin/facilities")
    await page.fill("#username", "admin1")
    await page.fill("#password", PASSWORDS["admin1"])
    await page.click("#sign-in")
    secret = await page.locator("#totp-secret").inner_text()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("#enrol-submit")
    await expect(page.locator("#sign-out")).to_be_visible()
    return page


async def through_the_ivr(hotline: Hotline, caller: str) -> Any:
    call = await hotline.call(caller, NEW_DID)
    await hotline.reached(caller, "prompt_finished")  # the greeting, then the menu
    await hotline.carrier.send_dtmf(call, "1")
    await hotline.reached(caller, "language", {"language": "es"})
    await hotline.reached(caller, "triage_asked")
    await hotline.carrier.send_dtmf(call, "5")
    return call


async def test_an_admin_puts_a_new_number_live_and_closes_it_for_a_day(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    base, app = hotline.base_url, hotline.app
    reloads = app[CONFIG_WATCH].reloads("lines")
    admin = await admin_signed_in(browsing, base)

    # The facility.
    await admin.goto(f"{base}/admin/facilities")
    await admin.fill("#name", FACILITY)
    await admin.fill("#city", "Lumpkin")
    await admin.fill("#state", "GA")
    await admin.fill("#contractor", "CoreCivic")
    await admin.click("#facility-add")
    await expect(admin.locator("#notice")).to_have_text("Facility added.")
    await expect(admin.locator("#facilities")).to_contain_text(ZONE)

    # The line: a new number, Spanish first then English, on the demo queue.
    await admin.get_by_role("link", name="Lines", exact=True).click()
    await admin.click("#new-line")
    await admin.fill("#did", "+1 555 010 0377")
    await admin.fill("#name", "Stewart Spanish line")
    await admin.select_option("#facility_id", label=FACILITY)
    await admin.select_option("#queue_id", label="Hotline")
    await admin.select_option("#default_language", "es")
    await admin.select_option("#menu_language_1", "es")
    await admin.select_option("#menu_language_2", "en")
    await expect(admin.locator("#menu_digit_2")).to_have_value("2")
    await admin.fill("#menu_timeout", "2")
    await browsing.screenshot(admin, "line-form.png")
    await admin.click("#line-save")
    await expect(admin.locator("#notice")).to_contain_text("Line added")
    await expect(admin.locator("h1")).to_have_text(f"Line +{NEW_DID}")
    line_id = await hotline.value("SELECT id FROM lines WHERE did = $1", NEW_DID)

    # What callers hear, each prompt playable here.
    await admin.click("#preview-link")
    greeting = admin.locator('li.heard[data-prompt="es/greeting"] audio')
    await expect(greeting).to_have_count(1)
    duration = await greeting.evaluate(
        """a => new Promise((done, failed) => {
               a.onloadedmetadata = () => done(a.duration); a.onerror = () => failed('error');
               a.load(); })""")
    assert 0.1 < duration < 1.0  # the test prompts are 0.2 s tones
    await expect(admin.locator("#preview")).to_contain_text("Pressing 1: Spanish")
    await browsing.screenshot(admin, "line-preview.png")

    # The engine heard of it (NOTIFY), with nothing restarted.
    await wait_for(lambda: NEW_DID in app[LINES].known, what="the new line in the engine")
    assert app[CONFIG_WATCH].reloads("lines") > reloads

    # A call to the new number, in Spanish, reaches the Spanish speaker's phone.
    await hotline.login("op-b")
    call = await through_the_ivr(hotline, "New number caller")
    await hotline.reached("New number caller", "queued")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("New number caller", "connected", {"operator": "op-b"})
    row = await hotline.call_row("New number caller")
    assert (row["line_id"], row["language"]) == (line_id, "es")
    await hotline.carrier.hang_up(call)
    await hotline.closed("New number caller")

    # Closed for today: the next call hears the closure and leaves a voicemail.
    today = datetime.now(ZoneInfo(ZONE)).date().isoformat()
    await admin.goto(f"{base}/admin/lines/{line_id}")
    await admin.fill("#closure_first", today)
    await admin.fill("#closure_name", "Staff day")
    await admin.select_option("#closure_prompt", "technical-difficulty")
    await admin.click("#closure-add")
    await expect(admin.locator("#notice")).to_have_text("Closure added.")
    await expect(admin.locator(f"#holiday-{today}")).to_contain_text("technical-difficulty")
    await wait_for(lambda: app[LINES].known[NEW_DID][1].holidays, what="closure in the engine")

    call = await through_the_ivr(hotline, "Closed day caller")
    await hotline.reached("Closed day caller", "voicemail",
                          {"reason": "closed", "prompt": "technical-difficulty"})
    call_id = (await hotline.call_row("Closed day caller"))["id"]
    await wait_for(lambda: hotline.session_of(call_id).state.phase.value == "recording",
                   what="the voicemail recording")
    await hotline.carrier.hang_up(call)
    voicemails = await wait_for(lambda: hotline.sql(
        "SELECT reason, language, line_id FROM voicemails WHERE call_id = $1", call_id),
        what="the voicemail saved")
    assert tuple(voicemails[0]) == ("closed", "es", line_id)
    assert not await hotline.value(
        "SELECT count(*) FROM calls WHERE caller_name = 'Closed day caller' "
        "AND operator_id IS NOT NULL")

    audited = {(r["entity"], tuple(r["fields"])) for r in await hotline.sql(
        "SELECT entity, fields FROM audit_log WHERE entity IN ('facility', 'line')")}
    assert ("line", ("holidays",)) in audited
    assert any(entity == "facility" for entity, _ in audited)
    browsing.check_clean()
