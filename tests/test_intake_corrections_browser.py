"""A supervisor corrects an intake in a real browser (Playwright + Debian's Chromium)
against the running app, from the person's page, and reads its history: both versions."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser import Browsing
from tests.test_intake_corrections_web import saved_intake
from tests.web_fixtures import PASSWORDS, WebApp

NOTE = "Insulin twice a day; the clinic has refused it since Monday."
FAMILY = "Rosa Pérez"


async def test_a_supervisor_corrects_an_intake_and_reads_its_history(
    web: WebApp, browsing: Browsing
) -> None:
    form = await saved_intake(web)  # needs note and family name "Denied insulin"
    iid = form["intake_id"]
    person_id = (await web.sql("SELECT person_id FROM intakes"))[0]["person_id"]
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    f"/people/{person_id}")
    await page.locator(f'#person-intakes [data-intake="{iid}"] .intake-correct').click()
    await expect(page.locator("h1")).to_have_text("Correct an intake")
    await expect(page.locator("#correct-needs-note")).to_have_value("Denied insulin")
    await expect(page.locator("#correct-family-name")).to_have_value("Denied insulin")
    await expect(page.locator("#correct-family-consent")).to_be_checked()
    await page.fill("#correct-needs-note", NOTE)
    await page.fill("#correct-family-name", FAMILY)
    await page.click("#correct-save")

    await expect(page.locator("#record-corrected")).to_be_visible()
    history = page.locator("#record-revisions")
    await expect(history.locator(".revision")).to_have_count(2)
    await expect(history.locator('[data-revision="2"] .revision-fields')).to_have_text(
        "Needs note, Family contact")
    await expect(history.locator('[data-revision="2"]')).to_contain_text("Supervisor")
    await history.locator('[data-revision="1"] .revision-open').click()
    await expect(page.locator("h1")).to_have_text("Intake: revision 1")
    await expect(page.locator(".revision-needs_note")).to_have_text("Denied insulin")
    await page.go_back()
    await history.locator('[data-revision="2"] .revision-open').click()
    await expect(page.locator(".revision-needs_note")).to_have_text(NOTE)
    await expect(page.locator(".revision-family_contact")).to_contain_text(FAMILY)
    await expect(page.locator('[data-corrected="1"]')).to_have_count(2)
    await Browsing.screenshot(page, "intake-revision.png")

    await page.goto(f"{web.base_url}/people/{person_id}")
    family = page.locator(f'#person-family [data-intake="{iid}"]')
    await expect(family.locator(".needs-note")).to_have_text(NOTE)
    await expect(family.locator(".family-name")).to_have_text(FAMILY)
    views = await web.sql("""SELECT entity_id FROM audit_log
                             WHERE action = 'view' AND entity = 'intake_revision'""")
    assert sorted(r["entity_id"] for r in views) == [f"{iid}/1", f"{iid}/2"]
    browsing.check_clean()
