"""The console in a real browser against real Asterisk calls: the cut-off warning, wrap-up."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.async_api import Page, expect

from lifeline_pbx.console import views as console_views
from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.carrier import CarrierCall
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import add_user

PASSWORD = "console-Test-password-1"


async def operator_console(hotline: Hotline, browsing: Browsing, operator: str) -> Page:
    """A web user linked to the operator's SIP account, signed in, logged in and ready."""
    username = f"web-{operator}"
    await add_user(hotline.dsn, username, "operator", PASSWORD, operator=operator)
    page = await browsing.signed_in(hotline.base_url, username, PASSWORD, "/console")
    await page.goto(f"{hotline.base_url}/console")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Logged out"))
    await page.click("#state-login")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    return page


async def test_cut_off_warning_shows_before_the_line_is_cut(
    hotline_factory: Any, browsing: Browsing
) -> None:
    # The facility cuts after 60 s; warn 57 s before, i.e. 3 s into the call.
    hotline: Hotline = await hotline_factory(
        web=True, call_limit_seconds=60, limit_warning_seconds=57)
    page = await operator_console(hotline, browsing, "op-b")
    call = await hotline.to_queue("Cut soon", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await expect(page.locator("#call-panel")).to_be_visible()
    await expect(page.locator("#call-language")).to_have_text("Spanish")
    await expect(page.locator("#call-language-missing")).to_be_hidden()  # op-b has Spanish
    await expect(page.locator("#call-warning")).to_be_hidden()
    warning = page.locator("#call-warning")
    await expect(warning).to_be_visible(timeout=10_000)
    await expect(warning).to_have_text(re.compile(r"Line cuts off in 0:5\d"))
    await expect(page.locator("#call-panel")).to_have_class(re.compile("urgent"))
    await expect(page.locator("#call-timer")).to_have_text(re.compile(r"00:0[3-9]"))
    await hotline.carrier.hang_up(call)
    await expect(page.locator("#call-ended")).to_be_visible()
    await expect(warning).to_be_hidden()
    browsing.check_clean()


async def test_the_card_says_when_the_callers_language_is_not_the_operators(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """A Spanish caller put through to an English-only operator once the language wait is
    over (opwalk2, finding 8): the card says so."""
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-a")  # English only
    call = await hotline.to_queue("Spanish caller", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-a", timeout=20), record=False)
    await expect(page.locator("#call-language")).to_have_text("Spanish")
    await expect(page.locator("#call-language-missing")).to_have_text(
        "The caller chose Spanish; you do not have it in your languages.")
    await hotline.carrier.hang_up(call)
    browsing.check_clean()


async def test_the_cut_off_counts_the_menu_and_the_wait(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """The facility's clock starts when the PBX answers: a caller who waited in the queue
    has less time left when the operator answers, and is warned sooner."""
    # The facility cuts after 60 s; warn 50 s before, i.e. 10 s after the PBX answered.
    hotline: Hotline = await hotline_factory(
        web=True, call_limit_seconds=60, limit_warning_seconds=50)
    page = await operator_console(hotline, browsing, "op-b")
    await page.click("#state-pause")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Paused"))
    call = await hotline.to_queue("Waited", language_digit="2")
    answered = (await hotline.call_row("Waited"))["answered_at"]
    assert answered is not None

    async def waited_past_the_warning() -> bool:
        now = await hotline.value("SELECT now()")
        return bool((now - answered).total_seconds() > 12)

    await wait_for(waited_past_the_warning, timeout=30, what="12 s since the PBX answered")
    await page.click("#state-ready")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("Waited", "connected", {"operator": "op-b"})
    warning = page.locator("#call-warning")
    # At once, not 10 s into the talk; and the time left is the facility's, under 0:48.
    await expect(warning).to_be_visible(timeout=5_000)
    await expect(warning).to_have_text(re.compile(r"Line cuts off in 0:[0-4]\d"))
    await expect(page.locator("#call-timer")).to_have_text(re.compile(r"00:0\d"))
    await hotline.reached("Waited", "limit_warning")
    await hotline.carrier.hang_up(call)
    browsing.check_clean()


async def test_wrap_up_keeps_the_form_and_holds_calls_until_saved(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    await hotline.sql("UPDATE queues SET wrapup_seconds = 300")
    await hotline.app[ACD].reload()
    page = await operator_console(hotline, browsing, "op-b")
    first = await hotline.to_queue("First caller", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await expect(page.locator("#call-panel")).to_be_visible()
    await expect(page.locator("#operator-state")).to_have_text("On a call")
    await hotline.carrier.hang_up(first)
    await expect(page.locator("#call-ended")).to_be_visible()
    await expect(page.locator("#call-panel")).to_be_visible()  # the form stays
    await expect(page.locator("#intake")).to_be_attached()
    await expect(page.locator("#operator-state")).to_have_text(re.compile(r"Wrap-up: 4:5\d left"))

    # A reload in wrap-up still says so (the state comes from the server).
    await page.reload()
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Wrap-up"))

    # The next caller waits: op-b is the only operator and is in wrap-up.
    await hotline.to_queue("Second caller", language_digit="2")
    await hotline.reached("Second caller", "queued")
    op = hotline.app[ACD].picture.operators["op-b"]
    assert op.wrapup_until > time.time() + 200
    assert not any(c.operator == "op-b" and not c.taken for c in hotline.phones.calls.values())
    assert "op-b" not in hotline.app[ACD].picture.staff.ringing

    # Saving the intake (its form's script announces it) makes the operator ready again.
    saved_at = time.time()
    await page.evaluate(
        "document.dispatchEvent(new CustomEvent('lifeline:intake-saved', {detail: {}}))")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("Second caller", "connected", {"operator": "op-b"})
    connected = (await hotline.call_row("Second caller"))["connected_at"].timestamp()
    assert connected >= saved_at
    await expect(page.locator("#operator-state")).to_have_text("On a call")
    browsing.check_clean()


async def test_signed_in_again_elsewhere_the_buttons_and_feed_work_without_a_reload(
    hotline_factory: Any, browsing: Browsing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed out in another tab, the feed says so (and the operator, signed out of their
    last session, is logged out of the queues); signed in again there, the buttons work from
    the same page (it fetches the new session's token) and the feed opens again."""
    monkeypatch.setattr(console_views, "SESSION_CHECK_SECONDS", 0.2)  # the feed's check
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-b")
    other = await page.context.new_page()
    await other.goto(f"{hotline.base_url}/")
    await other.click("#sign-out")
    await expect(page.locator("#connection")).to_have_text(
        "Signed out: sign in again to take calls.")
    await other.fill("#username", "web-op-b")
    await other.fill("#password", PASSWORD)
    await other.click("#sign-in")
    await expect(other.locator("#sign-out")).to_be_visible()
    assert not hotline.app[ACD].picture.operators["op-b"].logged_in

    await page.click("#state-login")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    await page.select_option("#pause-reason", index=0)
    await page.click("#state-pause")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Paused"))
    await expect(page.locator("#console-error")).to_be_hidden()
    await expect(page.locator("#connection")).to_have_text("")  # the feed is open again
    await page.click("#state-ready")  # and what it says shows: the state from the engine
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    browsing.problems = [p for p in browsing.problems
                         if not p.startswith(("HTTP 403 /console/state", "HTTP 401 /session"))]
    browsing.check_clean()


async def _talking(hotline: Hotline, page: Page, caller: str) -> tuple[CarrierCall, str]:
    """A call answered by op-b, its form bound to it on the console."""
    carried = await hotline.to_queue(caller, language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await expect(page.locator("#intake-binding")).to_contain_text("Intake for your call")
    call_id = str((await hotline.call_row(caller))["id"])
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    return carried, call_id


async def _drafts(hotline: Hotline, call_id: str) -> int:
    return int(await hotline.value("SELECT count(*) FROM drafts WHERE call_id = $1",
                                   uuid.UUID(call_id)))


async def test_a_saved_intakes_form_closes_once_the_operator_is_ready(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """Saved while talking: the hang-up keeps no draft (nothing unsaved), the operator is
    made ready and the form closes, empty, so the next caller is not typed over it."""
    hotline: Hotline = await hotline_factory(web=True)
    await hotline.sql("UPDATE queues SET wrapup_seconds = 300")
    await hotline.app[ACD].reload()
    page = await operator_console(hotline, browsing, "op-b")
    carried, call_id = await _talking(hotline, page, "Saved caller")
    await page.fill("#a-number", "A 208-555-931")
    await page.select_option("#report-category", "medical_neglect")
    await page.fill("#report-narrative", "No water in the unit since Monday.")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_have_text("Saved")
    await hotline.carrier.hang_up(carried)

    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await expect(page.locator("#intake-status")).to_have_text(
        re.compile(r"^The intake for your call at .* E[SD]T is saved\.$"))  # /calls' clock
    await expect(page.locator("#intake-call-id")).to_have_value("")
    for field in ("#a-number", "#report-narrative", "#report-category"):
        await expect(page.locator(field)).to_have_value("")
    await expect(page.locator("#call-panel")).to_be_hidden()
    assert await _drafts(hotline, call_id) == 0  # the hang-up kept no draft of the saved form
    await expect(page.locator("#unfinished-intakes")).to_have_count(0)
    browsing.check_clean()


async def test_an_unsaved_intakes_form_is_set_aside_in_the_list_when_ready(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """Typed, not saved, the caller gone: the form stays through the wrap-up; Ready closes
    it, its draft listed among the unfinished intakes, and the status says where it went."""
    hotline: Hotline = await hotline_factory(web=True)
    await hotline.sql("UPDATE queues SET wrapup_seconds = 300")
    await hotline.app[ACD].reload()
    page = await operator_console(hotline, browsing, "op-b")
    carried, call_id = await _talking(hotline, page, "Unsaved caller")
    await page.fill("#a-number", "A 208-555-932")
    await page.fill("#report-narrative", "Moved to solitary after asking for a lawyer.")
    await expect(page.locator("#intake-status")).to_have_text("Draft kept")
    await hotline.carrier.hang_up(carried)
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Wrap-up"))
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)  # kept in wrap-up

    await page.click("#state-ready")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await expect(page.locator("#intake-status")).to_contain_text(
        "is not saved: it is kept in \u201cYour unfinished intakes on calls\u201d")
    await expect(page.locator("#report-narrative")).to_have_value("")
    await expect(page.locator("#a-number")).to_have_value("")
    listed = page.locator(f'#unfinished-intakes a[href="/intake?call_id={call_id}"]')
    await expect(listed).to_be_visible()
    await expect(listed).to_contain_text("A-number A 208-555-932")
    await listed.click()
    await expect(page.locator("#report-narrative")).to_have_value(
        "Moved to solitary after asking for a lawyer.")
    await expect(page.locator("#intake-status")).to_have_text("Draft restored")
    browsing.check_clean()


PHONE_OFFLINE = ("Your phone is not connected: calls cannot reach you. "
                 "Open your softphone app.")


async def test_the_console_says_when_the_phone_is_not_connected(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """Ready in the queues, but the phone unregistered: the console does not say "Ready",
    it says plainly that no call can reach the operator; paused, it still says so."""
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-b")
    state, warning = page.locator("#operator-state"), page.locator("#phone-offline")
    await expect(state).to_have_text("Ready: waiting for calls")
    await expect(warning).to_be_hidden()

    hotline.phones.instance.cli("pjsip send unregister op-b")
    await expect(warning).to_have_text(PHONE_OFFLINE)
    await expect(state).to_have_text("Logged in to the queues")
    await page.click("#state-pause")
    await expect(state).to_have_text(re.compile("^Paused"))
    await expect(warning).to_be_visible()

    await page.reload()  # a console opened while the phone is offline says so at once
    await expect(warning).to_have_text(PHONE_OFFLINE)
    await page.click("#state-ready")
    hotline.phones.register_now("op-b")
    await expect(state).to_have_text("Ready: waiting for calls")
    await expect(warning).to_be_hidden()
    browsing.check_clean()


async def test_paused_the_console_says_how_many_callers_wait_in_its_queues(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-b")
    waiting = page.locator("#queue-waiting")
    await page.click("#state-pause")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("^Paused"))
    await expect(waiting).to_be_hidden()

    call = await hotline.to_queue("Waits for a break", language_digit="2")
    await expect(waiting).to_have_text(re.compile(r"^1 caller waiting \(longest 0:0\d\)$"))
    await expect(waiting).to_have_text(re.compile(r"\(longest 0:0[2-9]\)"))  # it counts on
    assert "Waits for a break" not in await waiting.inner_text()  # counts, never a caller

    await page.click("#state-ready")  # taking calls again: the caller is theirs to answer
    await expect(waiting).to_be_hidden()
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await expect(page.locator("#operator-state")).to_have_text("On a call")
    await hotline.carrier.hang_up(call)
    browsing.check_clean()


async def test_on_a_call_the_relay_buttons_can_be_reached_and_times_are_the_hotlines(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """At 1280x1000 (tests/browser.py's viewport) the call, its tools and the relay call
    stand beside the intake: the relay's buttons are reachable, not cut off. The form's
    time of the call is on the hotline's clock, as /calls gives it."""
    hotline: Hotline = await hotline_factory(web=True)
    page = await operator_console(hotline, browsing, "op-b")
    carried, _ = await _talking(hotline, page, "Relay reach")
    await expect(page.locator("#call-tools")).to_be_visible()
    relay, hang_up = page.locator("#relay-call"), page.locator("#side-hangup")
    await expect(relay).not_to_be_in_viewport()  # below the screen's edge at first
    await page.locator("#call-panel").hover()

    async def scrolled_to_the_buttons() -> bool:
        """As an operator scrolls down with the pointer on the column, until they show."""
        if await _in_view(page, "#relay-call") and await _in_view(page, "#side-hangup"):
            return True
        await page.mouse.wheel(0, 150)
        return False

    await wait_for(scrolled_to_the_buttons, what="the relay's buttons shown by scrolling")
    await expect(relay).to_be_visible()
    await expect(hang_up).to_be_visible()
    await expect(page.locator("#call-timer")).to_be_in_viewport()  # the call card stays
    await expect(page.locator("#intake-binding")).to_contain_text(
        re.compile(r"Intake for your call at \d{4}-\d\d-\d\d \d\d:\d\d E[SD]T"))
    await hotline.carrier.hang_up(carried)
    browsing.check_clean()


async def _in_view(page: Page, selector: str) -> bool:
    """Wholly on the screen and not covered (by the call card kept in view)."""
    return bool(await page.evaluate("""(selector) => {
        const box = document.querySelector(selector).getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) { return false; }
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit !== null && hit.closest(selector) !== null;
    }""", selector))
