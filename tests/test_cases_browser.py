"""intake.js in a real browser: the screen-pop event fills the form, drafts survive a
reload, the lookup panel appears, saving says so and tells the console."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser import Browsing
from tests.test_cases_web import new_call
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, WebApp


async def test_intake_form_drafts_lookup_and_save(web: WebApp, browsing: Browsing) -> None:
    call_id, facility = await new_call(web)
    page = await browsing.signed_in(web.base_url, "operator1", PASSWORDS["operator1"], "/intake")
    await page.goto(f"{web.base_url}/intake")
    await page.evaluate(
        """([callId, facilityId]) => {
             document.dispatchEvent(new CustomEvent("lifeline:call", {detail: {
               call_id: callId, facility_id: facilityId, facility: "F", line: "L",
               language: "es", triage: 2, waited: 3}}));
           }""", [call_id, facility])
    await expect(page.locator("#person-facility")).to_have_value(str(facility))
    await expect(page.locator("#intake-language")).to_have_value("es")
    await page.fill("#a-number", "A 208-555-777")
    await expect(page.locator("#person-history")).to_contain_text("No earlier record")
    await page.select_option("#report-category", "medical_neglect")
    typed_at = (await web.sql("SELECT clock_timestamp() AS t"))[0]["t"]
    await page.fill("#report-narrative", "<b>Denied</b> insulin")
    # A draft from after the narrative was typed (one may have been kept before it).
    await wait_for(lambda: web.sql("SELECT 1 FROM drafts WHERE updated_at > $1", typed_at),
                   what="a draft with the narrative saved")
    await page.reload()
    await expect(page.locator("#report-narrative")).to_have_value("<b>Denied</b> insulin")
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await page.evaluate("""() => document.addEventListener("lifeline:intake-saved",
                               (e) => { window.savedIntake = e.detail.intake_id; })""")
    await page.fill("#report-narrative", "")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_contain_text("Enter what happened")
    await page.fill("#report-narrative", "<b>Denied</b> insulin")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    assert await page.evaluate("window.savedIntake")
    assert await web.sql("SELECT 1 FROM drafts") == []
    await Browsing.screenshot(page, "cases-intake-saved.png")
    browsing.problems = [p for p in browsing.problems if "422" not in p]  # the refused save
    browsing.check_clean()
