"""Corrections and proposed corrections in a real browser (Playwright + Debian's Chromium)
against the running app: an operator corrects a narrative during wrap-up and a supervisor
reads both versions; an operator's intake proposes a new spelling of a known person's name
and a supervisor accepts it. Run these one at a time: they are heavy."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser import Browsing
from tests.test_cases_web import A_NUMBER, intake, save
from tests.test_intake_browser import ENDED, on_call
from tests.web_fixtures import PASSWORDS, WebApp

FIRST = "He asked for insulin on Monday; the clinic said to wait."
SECOND = "He asked for insulin on Monday and Tuesday; the clinic said to wait a week."


async def test_a_correction_during_wrap_up_and_a_supervisor_reading_its_history(
    web: WebApp, browsing: Browsing
) -> None:
    page, call_id = await on_call(web, browsing)
    await page.fill("#a-number", "A 208-555-401")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", FIRST)
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    await page.evaluate(ENDED, call_id)  # wrap-up: the author corrects the narrative
    await page.fill("#report-narrative", SECOND)
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    report_id = (await web.sql("SELECT id FROM reports"))[0]["id"]

    supervisor = await browsing.signed_in(web.base_url, "supervisor1",
                                          PASSWORDS["supervisor1"], "/reports")
    await supervisor.click(f'a[href="/reports/{report_id}"]')
    await expect(supervisor.locator("#report-narrative-shown")).to_have_text(SECOND)
    history = supervisor.locator("#report-history")
    await expect(history.locator(".revision")).to_have_count(2)
    await expect(history.locator('[data-revision="2"] .revision-fields')).to_have_text(
        "What happened")
    await history.locator('[data-revision="1"] .revision-open').click()
    await expect(supervisor.locator("h1")).to_have_text("Report: revision 1")
    await expect(supervisor.locator(".revision-narrative")).to_have_text(FIRST)
    await supervisor.go_back()
    await history.locator('[data-revision="2"] .revision-open').click()
    await expect(supervisor.locator(".revision-narrative")).to_have_text(SECOND)
    await expect(supervisor.locator('.revision-narrative[data-corrected="1"]')).to_have_count(1)
    await Browsing.screenshot(supervisor, "report-revision.png")
    views = await web.sql("""SELECT entity_id FROM audit_log
                             WHERE action = 'view' AND entity = 'report_revision'""")
    assert sorted(r["entity_id"] for r in views) == [f"{report_id}/1", f"{report_id}/2"]
    browsing.check_clean()


async def test_a_proposed_spelling_accepted_by_a_supervisor(
    web: WebApp, browsing: Browsing
) -> None:
    first = await web.signed_in("operator1")
    assert (await save(first, await intake(web)))[0] == 200  # "Name Denied insulin"
    page, _ = await on_call(web, browsing)
    await page.fill("#a-number", A_NUMBER)
    await expect(page.locator("#person-history")).to_contain_text("Known caller")
    await page.fill("#person-names", "Nombre Nuevo")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")

    supervisor = await browsing.signed_in(web.base_url, "supervisor1",
                                          PASSWORDS["supervisor1"], "/people")
    await supervisor.click("#people-proposals-link")
    await supervisor.click("#proposal-list a")
    await expect(supervisor.locator("#person-names-shown")).to_have_text("Name Denied insulin")
    proposal = supervisor.locator("#person-proposals .proposal")
    await expect(proposal.locator(".proposed-names")).to_have_text("add Nombre Nuevo")
    await proposal.locator(".proposal-accept").click()
    await expect(supervisor.locator("#proposal-done")).to_contain_text("accepted")
    await expect(supervisor.locator("#person-names-shown")).to_have_text(
        "Name Denied insulin · Nombre Nuevo")
    await expect(supervisor.locator("#person-proposals .proposal")).to_have_count(0)
    browsing.check_clean()
