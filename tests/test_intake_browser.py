"""The intake keeps every word, in a real browser (Playwright + Debian's Chromium) against
the running app: the console's hand-off events (lifeline:call, lifeline:call-ended) are
dispatched as console.js does. Run these one at a time: they are the heaviest tests."""

from __future__ import annotations

import time

from playwright.async_api import Page, Route, expect

from tests.browser import Browsing
from tests.test_cases_web import new_call
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, WebApp

ANNOUNCE = """([callId, facilityId]) => document.dispatchEvent(new CustomEvent("lifeline:call",
  {detail: {call_id: callId, facility_id: facilityId, facility: "F", line: "L",
            language: "es", triage: 0, waited: 3}}))"""
ENDED = """(callId) => document.dispatchEvent(new CustomEvent("lifeline:call-ended",
  {detail: {call_id: callId}}))"""
DRAFT_KEY = """async (callId) => {
  const r = await fetch("/drafts?call_id=" + callId, {headers: {Accept: "application/json"}});
  const d = (await r.json()).draft;
  return d && d.fields.report_narrative ? d.fields.intake_id : null;
}"""
NARRATIVE = "Asked for insulin three days running; the clinic said to wait."
FORCE = "Two officers pushed him to the floor in unit C after he asked for the doctor."


async def on_call(web: WebApp, browsing: Browsing, page: Page | None = None
                  ) -> tuple[Page, str]:
    call_id, facility = await new_call(web)
    if page is None:
        page = await browsing.signed_in(web.base_url, "operator1", PASSWORDS["operator1"],
                                        "/intake")
    await page.goto(f"{web.base_url}/intake")
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await page.evaluate(ANNOUNCE, [call_id, facility])
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#intake-binding")).to_contain_text("your call")
    return page, call_id


async def count(web: WebApp, table: str, where: str = "true") -> int:
    return int((await web.sql(f"SELECT count(*) AS n FROM {table} WHERE {where}"))[0]["n"])


def only_refusals(browsing: Browsing) -> None:
    browsing.problems = [p for p in browsing.problems if "HTTP 422 /intakes" not in p]
    browsing.check_clean()


async def test_a_narrative_needs_a_category_and_two_reports_reach_the_person_page(
    web: WebApp, browsing: Browsing
) -> None:
    page, _ = await on_call(web, browsing)
    await page.fill("#a-number", "A 208-555-321")
    await page.fill("#report-narrative", NARRATIVE)
    await page.click("#intake-save")
    refusal = page.locator('[data-error-for="report_category"]')
    await expect(refusal).to_contain_text("Choose a category")
    await expect(page.locator("#intake-status")).to_contain_text("Not saved")
    await expect(page.locator("#report-narrative")).to_have_value(NARRATIVE)
    await expect(page.locator("#a-number")).to_have_value("A 208-555-321")
    assert await count(web, "intakes") == 0
    await page.select_option("#report-category", "medical_neglect")
    await page.click("#report-add")
    await page.select_option("#report-category-2", "use_of_force")
    await page.select_option("#report-severity-2", "high")
    await page.fill("#report-housing-unit-2", "C")
    await page.fill("#report-narrative-2", FORCE)
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    assert await count(web, "reports") == 2 and await count(web, "intakes") == 1
    supervisor = await browsing.signed_in(web.base_url, "supervisor1",
                                          PASSWORDS["supervisor1"], "/people")
    await supervisor.goto(f"{web.base_url}/people?a_number=208555321")
    main = supervisor.locator("main")
    await expect(main).to_contain_text("Medical neglect")
    await expect(main).to_contain_text("Use of force")
    only_refusals(browsing)


async def test_a_double_click_and_a_second_tab_save_one_intake(
    web: WebApp, browsing: Browsing
) -> None:
    page, call_id = await on_call(web, browsing)
    await page.fill("#a-number", "A 208-555-322")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", NARRATIVE)
    key = await wait_for(lambda: page.evaluate(DRAFT_KEY, call_id), what="the draft kept")
    second = await page.context.new_page()  # another tab of the same browser
    await second.goto(f"{web.base_url}/intake")
    await second.evaluate(ANNOUNCE, [call_id, 1])
    await expect(second.locator("#intake-key")).to_have_value(key)
    await expect(second.locator("#report-narrative")).to_have_value(NARRATIVE)
    await page.dblclick("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    await second.click("#intake-save")
    await expect(second.locator("#intake-status")).to_have_text("Saved")
    for table in ("intakes", "reports", "persons"):
        assert await count(web, table) == 1, table
    assert [str(r["id"]) for r in await web.sql("SELECT id FROM intakes")] == [key]
    browsing.check_clean()


async def test_saves_during_and_after_the_call_update_one_intake_then_intake_is_standalone(
    web: WebApp, browsing: Browsing
) -> None:
    page, call_id = await on_call(web, browsing)
    await page.fill("#a-number", "A 208-555-323")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", NARRATIVE)
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    await page.evaluate(ENDED, call_id)
    await page.fill("#report-narrative", NARRATIVE + " Now faint.")
    await page.fill("#needs-note", "Insulin")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    assert await count(web, "intakes") == 1 and await count(web, "reports") == 1
    updates = {r["entity"] for r in await web.sql(
        "SELECT entity FROM audit_log WHERE action = 'update'")}
    assert updates == {"intake", "report"}
    await page.goto(f"{web.base_url}/intake")  # after the call: a standalone intake
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone intake")
    await expect(page.locator("#intake-call-id")).to_have_value("")
    await expect(page.locator("#report-narrative")).to_have_value("")
    await page.fill("#needs-note", "Asked about bond hearings by letter")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    assert await count(web, "intakes", "call_id IS NULL") == 1
    assert await count(web, "intakes", "call_id IS NOT NULL") == 1
    browsing.check_clean()


async def test_test_call_after_typing_asks_first_and_undo_restores_the_form(
    web: WebApp, browsing: Browsing
) -> None:
    page, _ = await on_call(web, browsing)
    await page.focus("#intake-save")  # the one-click outcomes come after the form
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "outcome-silent"
    await page.fill("#a-number", "A 208-555-324")
    await page.click("#outcome-test_call")
    await expect(page.locator("#outcome-confirm")).to_be_visible()
    await expect(page.locator("#outcome-confirm-text")).to_contain_text("Test call")
    await page.click("#outcome-confirm-no")
    await expect(page.locator("#outcome-confirm")).to_be_hidden()
    await expect(page.locator("#a-number")).to_have_value("A 208-555-324")
    assert await count(web, "intakes") == 0
    await page.click("#outcome-test_call")
    await page.click("#outcome-confirm-yes")
    await expect(page.locator("#outcome-done")).to_contain_text("Recorded: Test call")
    await expect(page.locator("#a-number")).to_have_value("")
    assert await count(web, "intakes", "outcome = 'test_call'") == 1
    await page.click("#outcome-undo")
    await expect(page.locator("#a-number")).to_have_value("A 208-555-324")
    await expect(page.locator("#outcome-done")).to_be_hidden()
    assert await count(web, "intakes") == 0
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    assert await count(web, "intakes", "outcome = 'intake'") == 1
    browsing.check_clean()


async def test_saving_an_unfinished_intake_drops_it_from_the_list(
    web: WebApp, browsing: Browsing
) -> None:
    page, call_id = await on_call(web, browsing)
    await page.fill("#needs-note", "Insulin")
    await expect(page.locator("#intake-status")).to_have_text("Draft kept")
    await page.goto(f"{web.base_url}/intake?call_id={call_id}")
    listed = page.locator(f'#unfinished-intakes a[href="/intake?call_id={call_id}"]')
    await expect(listed).to_be_visible()
    await expect(page.locator("#needs-note")).to_have_value("Insulin")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    await expect(listed).to_have_count(0)
    await expect(page.locator("#unfinished-intakes")).to_have_count(0)  # it was the only one
    await page.reload()  # as the server says
    await expect(page.locator("#unfinished-intakes")).to_have_count(0)
    browsing.check_clean()


async def test_a_draft_not_kept_for_a_lost_connection_is_sent_again_by_itself(
    web: WebApp, browsing: Browsing
) -> None:
    """The draft's requests are cut (Playwright's route blocking): the form says so, tries
    again by itself, waiting longer each time, and once they go through the status clears
    without another keystroke."""
    page, call_id = await on_call(web, browsing)
    tries: list[float] = []

    async def cut(route: Route) -> None:
        tries.append(time.monotonic())
        await route.abort("internetdisconnected")

    await page.route("**/drafts", cut)
    await page.fill("#needs-note", "Insulin, three days")
    status = page.locator("#intake-status")
    await expect(status).to_contain_text("Draft not kept: connection lost")
    await wait_for(lambda: len(tries) >= 3, what="two tries again")
    assert tries[2] - tries[1] > tries[1] - tries[0]  # the wait grows
    await page.unroute("**/drafts")
    await expect(status).to_have_text("Draft kept", timeout=20_000)
    assert await page.evaluate("""async (callId) => {
      const r = await fetch("/drafts?call_id=" + callId, {headers: {Accept: "application/json"}});
      return (await r.json()).draft.fields.needs_note;
    }""", call_id) == "Insulin, three days"
    browsing.check_clean()
