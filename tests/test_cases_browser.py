"""intake.js in a real browser: the screen-pop event fills the form, drafts survive a
reload (the page alone opens a standalone intake; the call announced again brings its
draft back), the lookup panel appears, saving says so and tells the console."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser import Browsing
from tests.test_cases_web import new_call
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, WebApp

# The narrative as the server holds it in this operator's draft for the call.
DRAFTED = """async (callId) => {
  const r = await fetch("/drafts?call_id=" + callId, {headers: {Accept: "application/json"}});
  const d = (await r.json()).draft;
  return d && d.fields.report_narrative === "<b>Denied</b> insulin";
}"""


async def test_intake_form_drafts_lookup_and_save(web: WebApp, browsing: Browsing) -> None:
    call_id, facility = await new_call(web)
    page = await browsing.signed_in(web.base_url, "operator1", PASSWORDS["operator1"], "/intake")
    await page.goto(f"{web.base_url}/intake")
    announce = """([callId, facilityId]) => {
             document.dispatchEvent(new CustomEvent("lifeline:call", {detail: {
               call_id: callId, facility_id: facilityId, facility: "F", line: "L",
               language: "es", triage: 2, waited: 3}}));
           }"""
    await page.evaluate(announce, [call_id, facility])
    await expect(page.locator("#person-facility")).to_have_value(str(facility))
    await expect(page.locator("#intake-language")).to_have_value("es")
    await page.fill("#a-number", "A 208-555-777")
    await expect(page.locator("#person-history")).to_contain_text("No earlier record")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", "<b>Denied</b> insulin")
    await wait_for(lambda: page.evaluate(DRAFTED, call_id), what="the narrative's draft saved")
    await page.reload()
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone intake")
    await expect(page.locator("#intake-key")).not_to_have_value("")
    await expect(page.locator("#intake-call-id")).to_have_value("")
    await expect(page.locator("#report-narrative")).to_have_value("")
    await page.evaluate(announce, [call_id, facility])
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
    await expect(page.locator("#intake-binding")).to_contain_text(
        re.compile(r"Saved at \d\d:\d\d E[SD]T: saving again updates it\."))  # as /calls
    assert await page.evaluate("window.savedIntake")
    assert await web.sql("SELECT 1 FROM drafts WHERE call_id IS NOT NULL") == []
    await Browsing.screenshot(page, "cases-intake-saved.png")
    browsing.problems = [p for p in browsing.problems if "422" not in p]  # the refused save
    browsing.check_clean()
