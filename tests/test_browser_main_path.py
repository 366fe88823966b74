"""The main path end to end, in a real browser against real Asterisk and PostgreSQL.

An operator signs in and goes ready; a detained person calls the demo facility's number
and chooses Spanish; the operator's phone answers; the screen pop and the call timer
appear; the operator records the A-number, a medical-neglect report and a follow-up; a
supervisor finds the report and the person. Screenshots: test-artifacts/console.png (the
screen pop) and test-artifacts/intake.png (the filled form).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.engine import Hotline
from tests.privacy import leaks, sensitive
from tests.web_fixtures import PASSWORDS, add_user

OPERATOR_PASSWORD = "main-path-Operator-1"
A_NUMBER_TYPED = "12 345 678"  # as read out on the phone: 8 digits, written A012345678
A_NUMBER = "A012345678"
A_NUMBER_SHOWN = "A012-345-678"
NARRATIVE = "Asked for insulin three days running; the clinic said to wait. Feels faint."
FOLLOW_UP = "Call the facility's medical unit and the legal partner about insulin."
NAMES = "María Ejemplo Tzoc\nMaria Tzok"
DOB = "1990-04-17"
SENSITIVE = ("012345678", "12345678", "María Ejemplo", "Maria Tzok", DOB, NARRATIVE, FOLLOW_UP)
CASE_TABLES = ("persons", "intakes", "reports", "follow_ups", "drafts", "audit_log",
               "call_events", "calls")


async def test_operator_takes_a_call_and_a_supervisor_finds_the_report(
    hotline_factory: Any, browsing: Browsing
) -> None:
    sensitive(*SENSITIVE)
    hotline: Hotline = await hotline_factory(web=True)
    base = hotline.base_url
    await add_user(hotline.dsn, "volunteer-b", "operator", OPERATOR_PASSWORD, operator="op-b")
    # A long wrap-up: saving during the call must make the operator ready at hang-up anyway.
    await hotline.sql("UPDATE queues SET wrapup_seconds = 120")
    await hotline.app[ACD].reload()

    # The operator signs in and goes ready.
    console = await browsing.signed_in(base, "volunteer-b", OPERATOR_PASSWORD, "/console")
    await console.goto(f"{base}/console")
    await console.click("#state-login")
    await expect(console.locator("#operator-state")).to_have_text(re.compile("Ready"))

    # A caller dials the demo facility's number and chooses Spanish; op-b's phone answers.
    call = await hotline.to_queue("Main path caller", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("Main path caller", "connected", {"operator": "op-b"})
    call_id = str((await hotline.call_row("Main path caller"))["id"])

    # The screen pop: facility, line, language, triage, wait; the timer runs.
    panel = console.locator("#call-panel")
    await expect(panel).to_be_visible()
    await expect(console.locator("#call-facility")).to_contain_text("Demo County")
    await expect(console.locator("#call-line")).to_contain_text("15550100101")
    await expect(console.locator("#call-language")).to_have_text("Spanish")
    await expect(console.locator("#call-triage")).to_have_text("Not urgent")
    await expect(console.locator("#call-waited")).to_contain_text("in the queue")
    await expect(console.locator("#call-timer")).to_have_text(re.compile(r"00:0[2-9]"))
    await expect(console.locator("#intake-call-id")).to_have_value(call_id)
    await expect(console.locator("#intake-language")).to_have_value("es")
    await expect(console.locator("#operator-state")).to_have_text("On a call")
    await browsing.screenshot(console, "console.png")

    # The intake: A-number, a medical-neglect report with a narrative, a follow-up.
    await console.fill("#a-number", A_NUMBER_TYPED)
    await console.fill("#person-names", NAMES)
    await console.fill("#person-dob", DOB)
    await console.fill("#person-country", "Guatemala")
    await console.check("#needs-medical")
    await console.select_option("#report-category", "medical_neglect")
    await console.select_option("#report-severity", "high")
    await console.fill("#report-narrative", NARRATIVE)
    await console.fill("#followup-what", FOLLOW_UP)
    await console.fill("#followup-due", "2030-01-15")
    await browsing.screenshot(console, "intake.png")
    await console.click("#intake-save")
    await expect(console.locator("#intake-status")).to_have_text("Saved")

    # The caller hangs up; the operator has saved, so they are ready for the next call and
    # the finished call leaves the screen. The hang-up notice may show only for a moment
    # before that, so the console's own event is what proves the hang-up reached the page.
    await console.evaluate("""() => { window.endedCalls = [];
        document.addEventListener("lifeline:call-ended",
                                  (e) => window.endedCalls.push(e.detail.call_id)); }""")
    await hotline.carrier.hang_up(call)
    await console.wait_for_function("(id) => window.endedCalls.includes(id)", arg=call_id)
    await hotline.closed("Main path caller")
    await expect(console.locator("#operator-state")).to_have_text(re.compile("Ready"))
    await expect(panel).to_be_hidden()

    # A supervisor, in their own browser, finds the report and the person.
    supervisor = await browsing.signed_in(
        base, "supervisor1", PASSWORDS["supervisor1"], "/reports")
    await supervisor.goto(f"{base}/reports")
    row = supervisor.locator("#reports-table tbody tr", has_text="Medical neglect")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Demo County")
    await expect(row).to_contain_text("High")
    await row.get_by_role("link", name="Open").click()
    await expect(supervisor.locator("#report-narrative-shown")).to_have_text(NARRATIVE)
    await supervisor.goto(f"{base}/people?a_number={A_NUMBER}")
    await expect(supervisor.locator("h1")).to_have_text(f"Person {A_NUMBER_SHOWN}")
    await expect(supervisor.locator("main")).to_contain_text("Medical neglect")
    await expect(supervisor.locator("main")).to_contain_text(FOLLOW_UP)

    # Each view and change on that path is in the audit log (who, what; never values).
    entries = await hotline.sql(
        """SELECT u.username, a.action, a.entity FROM audit_log a
           JOIN users u ON u.id = a.user_id""")
    seen = {(e["username"], e["action"], e["entity"]) for e in entries}
    assert {("volunteer-b", "create", "person"), ("volunteer-b", "create", "intake"),
            ("volunteer-b", "create", "report"), ("volunteer-b", "create", "follow_up"),
            ("supervisor1", "view", "report"), ("supervisor1", "view", "person")} <= seen, seen
    intake = await hotline.sql("SELECT call_id, facility_id, language FROM intakes")
    assert [(str(i["call_id"]), i["language"]) for i in intake] == [(call_id, "es")]
    browsing.check_clean()

    # At rest: no identifier in any raw row of the case tables (sealed bytes only); and no
    # identifier in anything logged so far, by the app or by the PBX's Asterisk.
    for table in CASE_TABLES:
        for record in await hotline.sql(f"SELECT * FROM {table}"):
            raw = repr(tuple(record.values()))
            assert not [v for v in SENSITIVE if v in raw], table
    assert leaks(hotline.pbx.log_path.read_text(errors="replace")) == []
