"""Unsaved intakes in a real browser (Playwright + Debian's Chromium) against the running
app: signed out while typing, the form says nothing is kept on the server and, once
signed in again in another tab, Save works from the same page with every word; a draft
not on any call is offered to continue or discard, never poured into a new form; the list
of unfinished intakes opens one on its call."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import Browsing
from tests.test_intake_browser import ANNOUNCE, count, on_call
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, WebApp

FIRST = "Asked for insulin three days running."
LAST = " Then the clinic closed the wing."
EXPECTED = ("HTTP 403 /drafts", "HTTP 403 /intakes", "HTTP 401 /session/csrf")


async def test_signed_out_while_typing_says_so_and_saves_after_signing_in_elsewhere(
    web: WebApp, browsing: Browsing
) -> None:
    page, _ = await on_call(web, browsing)
    status = page.locator("#intake-status")
    await page.fill("#a-number", "A 208-555-911")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", FIRST)
    await expect(status).to_have_text("Draft kept")
    other = await page.context.new_page()  # another tab: sign out there
    await other.goto(f"{web.base_url}/")
    await other.click("#sign-out")
    await expect(other.locator("#unsaved-title")).to_have_text("You have 1 unsaved intake")
    await other.click("#sign-out-anyway")
    await expect(other.locator("#username")).to_be_visible()

    await page.type("#report-narrative", LAST)
    await expect(status).to_contain_text("Not kept on the server: you are signed out")
    await expect(status).to_contain_text("sign in again in a new tab")
    await page.click("#intake-save")
    await expect(status).to_contain_text("Not saved on the server: you are signed out")
    await expect(page.locator("#report-narrative")).to_have_value(FIRST + LAST)
    assert await count(web, "intakes") == 0

    await other.fill("#username", "operator1")
    await other.fill("#password", PASSWORDS["operator1"])
    await other.click("#sign-in")
    await expect(other.locator("#sign-out")).to_be_visible()
    await page.click("#intake-save")
    await expect(status).to_have_text("Saved")
    assert await count(web, "intakes") == 1 and await count(web, "reports") == 1
    supervisor = await web.signed_in("supervisor1")
    report = (await web.sql("SELECT id FROM reports"))[0]["id"]
    _, shown = await supervisor.get(f"/reports/{report}")
    assert FIRST + LAST in shown
    browsing.problems = [p for p in browsing.problems if not p.startswith(EXPECTED)]
    browsing.check_clean()


async def test_new_intake_offers_the_unfinished_one_to_continue_or_discard(
    web: WebApp, browsing: Browsing
) -> None:
    page = await browsing.signed_in(web.base_url, "operator1", PASSWORDS["operator1"],
                                    "/intake")
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    facility = page.locator("#person-facility option").nth(1)
    facility_name = (await facility.text_content() or "").strip()
    await page.fill("#a-number", "A 208-555-912")
    await page.select_option("#person-facility", await facility.get_attribute("value"))
    await page.fill("#report-narrative", FIRST)
    await expect(page.locator("#intake-status")).to_have_text("Draft kept")

    await page.goto(f"{web.base_url}/intake")
    choice = page.locator("#draft-choice")
    await expect(choice).to_be_visible()
    await expect(choice).to_contain_text("A-number A 208-555-912")
    await expect(choice).to_contain_text(f"facility {facility_name}")
    await expect(choice).not_to_contain_text(FIRST)
    await expect(page.locator("#report-narrative")).to_have_value("")
    await page.click("#draft-continue")
    await expect(choice).to_be_hidden()
    await expect(page.locator("#report-narrative")).to_have_value(FIRST)

    await page.goto(f"{web.base_url}/intake")
    await page.click("#draft-discard")
    await page.click("#draft-discard-no")  # asks first; No keeps it
    await expect(page.locator("#draft-discard-confirm")).to_be_hidden()
    await page.click("#draft-discard")
    await page.click("#draft-discard-yes")
    await expect(page.locator("#intake-status")).to_have_text("Discarded: this is a new intake.")
    await expect(choice).to_be_hidden()
    await expect(page.locator("#a-number")).to_have_value("")
    await page.fill("#needs-note", "Next caller")
    await expect(page.locator("#intake-status")).to_have_text("Draft kept")
    assert await count(web, "audit_log", "entity = 'draft' AND action = 'delete'") == 1
    # an operator looks a number up only on a call of theirs (test_cases_web.py)
    browsing.problems = [p for p in browsing.problems if p != "HTTP 403 /people/lookup"]
    browsing.check_clean()


async def test_the_list_of_unfinished_intakes_opens_one_on_its_call(
    web: WebApp, browsing: Browsing
) -> None:
    page, call_id = await on_call(web, browsing)
    await page.fill("#report-narrative", FIRST)
    await expect(page.locator("#intake-status")).to_have_text("Draft kept")
    await page.goto(f"{web.base_url}/intake")
    await page.click(f'#unfinished-intakes a[href="/intake?call_id={call_id}"]')
    await expect(page.locator("#intake-binding")).to_contain_text("your call")
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#report-narrative")).to_have_value(FIRST)
    await expect(page.locator("#intake-status")).to_have_text("Draft restored")
    browsing.check_clean()


async def test_typing_then_leaving_at_once_keeps_every_word(
    web: WebApp, browsing: Browsing
) -> None:
    """A nav link clicked within the draft's delay of the last keystroke (opwalk2, finding
    4): the page sends what was typed as it goes, and the call's form shows it on return."""
    page, call_id = await on_call(web, browsing)
    await page.fill("#a-number", "A 208-555-913")
    await page.type("#needs-note", FIRST, delay=5)
    await page.click('nav a[href="/follow-ups"]')  # at once: no draft was due yet
    await expect(page).to_have_url(f"{web.base_url}/follow-ups")

    await page.goto(f"{web.base_url}/intake?call_id={call_id}")
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#needs-note")).to_have_value(FIRST)
    await expect(page.locator("#a-number")).to_have_value("A 208-555-913")
    await expect(page.locator("#intake-status")).to_have_text("Draft restored")
    browsing.check_clean()


TAB_ONE = "Tab one: bond hearing on Friday."
TAB_TWO = "Tab two: asks for a Spanish interpreter."
NOTE_KEPT = """async (callId) => {
  const r = await fetch("/drafts?call_id=" + callId, {headers: {Accept: "application/json"}});
  const d = (await r.json()).draft;
  return d ? d.fields.needs_note || "" : "";
}"""


async def test_a_draft_from_a_tab_behind_another_is_refused_with_its_words_kept(
    web: WebApp, browsing: Browsing
) -> None:
    """Two tabs on one call (opwalk2, finding 7): the later tab's draft no longer replaces
    the other's words unseen; it says why and keeps its own on screen. Reloaded, it shows
    what the other tab kept."""
    first, call_id = await on_call(web, browsing)
    second = await first.context.new_page()
    await on_call_again(web, second, call_id)
    await first.fill("#needs-note", TAB_ONE)
    await expect(first.locator("#intake-status")).to_have_text("Draft kept")

    await second.fill("#needs-note", TAB_TWO)
    status = second.locator("#intake-status")
    await expect(status).to_contain_text(
        "This intake was changed in another tab: reload to see it.")
    await expect(second.locator("#needs-note")).to_have_value(TAB_TWO)
    assert await second.evaluate(NOTE_KEPT, call_id) == TAB_ONE

    await first.type("#needs-note", " Lawyer called.")  # the tab that is current goes on
    await wait_for(lambda: kept(first, call_id, TAB_ONE + " Lawyer called."),
                   what="the first tab's draft kept")
    await second.goto(f"{web.base_url}/intake?call_id={call_id}")
    await expect(second.locator("#needs-note")).to_have_value(TAB_ONE + " Lawyer called.")
    await second.fill("#needs-note", TAB_TWO)  # reloaded, it is current: kept
    await wait_for(lambda: kept(second, call_id, TAB_TWO), what="the reloaded tab's draft kept")
    await expect(second.locator("#intake-status")).to_have_text("Draft kept")
    browsing.problems = [p for p in browsing.problems if p != "HTTP 409 /drafts"]
    browsing.check_clean()


async def kept(page: Page, call_id: str, note: str) -> bool:
    return bool(await page.evaluate(NOTE_KEPT, call_id) == note)


async def on_call_again(web: WebApp, page: Page, call_id: str) -> None:
    """A second tab on the call on_call opened."""
    await page.goto(f"{web.base_url}/intake")
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await page.evaluate(ANNOUNCE, [call_id, 1])
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
