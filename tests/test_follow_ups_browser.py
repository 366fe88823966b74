"""A follow-up worked to the end in a real browser: a supervisor turns a recorded family
contact into a follow-up for an operator; the operator opens it from My follow-ups, sees
the person and the family contact, adds a note and marks it done; the supervisor sees the
note thread and the history. Screenshots: test-artifacts/follow-ups-mine.png, follow-up-done.png."""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect

from tests.browser import Browsing
from tests.follow_up_seed import (
    A_NUMBER_SHOWN,
    FAMILY,
    FAMILY_PHONE,
    MESSAGE,
    NAME,
    add_intake,
    add_person,
    facilities,
    user_id,
)
from tests.privacy import leaks, sensitive
from tests.web_fixtures import PASSWORDS, WebApp

NOTE = "Phoned the sister: she will post the birth certificate to the facility."
sensitive(NOTE)


async def test_an_operator_works_a_family_follow_up_to_done(web: WebApp,
                                                             browsing: Browsing) -> None:
    base = web.base_url
    operator_id = await user_id(web, "operator1")
    facility = (await facilities(web))[0]
    person = await add_person(web, facility)
    await add_intake(web, person, facility, operator_id, family=FAMILY, consent=True)
    due = (dt.date.today() + dt.timedelta(days=2)).isoformat()

    # The supervisor finds the family contact on the person's page and hands it on.
    boss = await browsing.signed_in(base, "supervisor1", PASSWORDS["supervisor1"])
    await boss.goto(f"{base}/people/{person}")
    await expect(boss.locator("#person-family")).to_contain_text(FAMILY)
    await boss.click("#person-family a.contact-family")
    await boss.fill("#followup-due", due)
    await boss.select_option("#followup-assignee", str(operator_id))
    await boss.click("#contact-family-save")
    await expect(boss).to_have_url(re.compile(r"/follow-ups/[0-9a-f-]{36}$"))
    await expect(boss.locator("#follow-up-assignee")).to_have_text("Demo Operator")
    follow_up_url = boss.url

    # The operator opens it from My follow-ups: the person and the family contact.
    operator = await browsing.signed_in(base, "operator1", PASSWORDS["operator1"])
    await operator.click("nav >> text=Follow-ups")
    row = operator.locator("#follow-ups tr.follow-up")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(NAME)
    await expect(row).to_contain_text(A_NUMBER_SHOWN)
    await expect(row).to_contain_text(due)
    await Browsing.screenshot(operator, "follow-ups-mine.png")
    await row.locator("a.open-follow-up").click()
    await expect(operator).to_have_url(follow_up_url)
    await expect(operator.locator("#follow-up-person-names")).to_have_text(NAME)
    await expect(operator.locator("#follow-up-a-number")).to_have_text(A_NUMBER_SHOWN)
    family = operator.locator("#follow-up-family")
    for shown in (FAMILY, FAMILY_PHONE, MESSAGE):
        await expect(family).to_contain_text(shown)

    # A note, then done.
    await operator.fill("#note", NOTE)
    await operator.click("#add-note")
    thread = operator.locator("#note-thread .note")
    await expect(thread).to_have_count(1)
    await expect(thread).to_contain_text(NOTE)
    await expect(thread.locator(".note-author")).to_have_text("Demo Operator")
    await operator.click("#mark-done")
    await expect(operator.locator("#follow-up-status")).to_contain_text("done")
    await expect(operator.locator("#reopen")).to_be_visible()
    await Browsing.screenshot(operator, "follow-up-done.png")

    # The supervisor sees the thread and the history.
    await boss.goto(follow_up_url)
    await expect(boss.locator("#note-thread")).to_contain_text(NOTE)
    await expect(boss.locator("#history-list .change")).to_have_text(
        re.compile(r"Demo Operator · status: open → done"))
    await boss.goto(f"{base}/follow-ups/all?status=done")
    await expect(boss.locator("#follow-ups tr.follow-up")).to_contain_text(NAME)
    browsing.check_clean()
    assert not leaks()
