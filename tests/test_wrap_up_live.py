"""The end of a call on the console, in a real browser against real Asterisk calls: the
wrap-up running out while the operator types keeps the words with the call."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from playwright.async_api import Page, expect

from lifeline_pbx.queues import more_time
from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.engine import Hotline
from tests.test_console_live import _talking, operator_console
from tests.waiting import wait_for

SENTENCE = ("Letter from the consulate was sent to his wife at the address on file. "
            "Officer said the transfer is set for Friday morning.")
DRAFT_NOTE = """async (callId) => {
  const r = await fetch("/drafts?call_id=" + callId, {headers: {Accept: "application/json"}});
  const d = (await r.json()).draft;
  return d ? d.fields.needs_note || "" : "";
}"""


async def _short_wrap_up(hotline_factory: Any, seconds: int) -> Hotline:
    hotline: Hotline = await hotline_factory(web=True)
    await hotline.sql(f"UPDATE queues SET wrapup_seconds = {seconds}")
    await hotline.app[ACD].reload()
    return hotline


async def _standalone_typed(page: Page) -> list[str]:
    """The fields typed in the operator's draft not on any call (opening the idle form
    keeps its key there: that alone is no draft)."""
    return list(await page.evaluate("""async () => {
      const r = await fetch("/drafts", {headers: {Accept: "application/json"}});
      const d = (await r.json()).draft;
      return d ? Object.keys(d.fields).filter((k) => k !== "intake_id" && d.fields[k]) : [];
    }"""))


# Typing stopped before the wrap-up's last 10 s: no more time is asked for (typing into
# them is: test_typing_as_the_wrap_up_ends_asks_for_more_time_and_the_caller_waits).
HELD_WRAP_UP = 18


async def _typed_then_stopped(page: Page) -> None:
    """The sentence typed at once, then the wrap-up left to run out: the form is held."""
    await page.keyboard.type(SENTENCE, delay=5)
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"),
                                                               timeout=HELD_WRAP_UP * 1000)
    await expect(page.locator("#intake-held")).to_be_visible()


async def _held(hotline_factory: Any, browsing: Browsing,
                caller: str) -> tuple[Hotline, Page, str]:
    """op-b's call from `caller` ended, its note typed and the wrap-up run out: the form
    held on the call. The hotline, the console and the call's id."""
    hotline = await _short_wrap_up(hotline_factory, HELD_WRAP_UP)
    page = await operator_console(hotline, browsing, "op-b")
    carried, call_id = await _talking(hotline, page, caller)
    await hotline.carrier.hang_up(carried)
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Wrap-up"))
    await page.click("#needs-note")
    await _typed_then_stopped(page)
    return hotline, page, call_id


async def _note_kept(page: Page, call_id: str, text: str) -> None:
    async def probe() -> bool:
        return bool(await page.evaluate(DRAFT_NOTE, call_id) == text)

    await wait_for(probe, what="the call's draft holding the whole note")


async def test_the_wrap_up_running_out_after_typing_keeps_every_word_with_the_call(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """The wrap-up runs out after the operator stopped typing: the call's form stays, bound
    to the call, saying the operator is ready and the intake still open; the whole sentence
    is in the call's draft and no standalone draft is made. "Set it aside" then lets it go
    to the list."""
    hotline, page, call_id = await _held(hotline_factory, browsing, "Typing caller")

    await expect(page.locator("#needs-note")).to_have_value(SENTENCE)
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#intake-binding")).to_contain_text("Intake for your call")
    held = page.locator("#intake-held")
    await expect(held).to_be_visible()
    await expect(held).to_contain_text("You are ready for the next call")
    await expect(held).to_contain_text("this intake is still open")
    await _note_kept(page, call_id, SENTENCE)
    assert await _standalone_typed(page) == []

    await page.click("#intake-set-aside")
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await expect(held).to_be_hidden()
    await expect(page.locator("#intake-status")).to_contain_text(
        "is not saved: it is kept in \u201cYour unfinished intakes on calls\u201d")
    await expect(page.locator(
        f'#unfinished-intakes a[href="/intake?call_id={call_id}"]')).to_be_visible()
    await _note_kept(page, call_id, SENTENCE)
    assert await _standalone_typed(page) == []
    assert await hotline.value("SELECT count(*) FROM drafts WHERE call_id = $1",
                               uuid.UUID(call_id)) == 1
    browsing.check_clean()


async def test_the_next_call_sets_a_held_form_aside_with_every_word(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline, page, call_id = await _held(hotline_factory, browsing, "First caller")
    await _note_kept(page, call_id, SENTENCE)

    await hotline.to_queue("Next caller", language_digit="2")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    next_id = str((await hotline.call_row("Next caller"))["id"])
    await expect(page.locator("#intake-call-id")).to_have_value(next_id)
    await expect(page.locator("#needs-note")).to_have_value("")
    await expect(page.locator("#intake-held")).to_be_hidden()
    await expect(page.locator("#intake-status")).to_contain_text(
        "is not saved: it is kept in \u201cYour unfinished intakes on calls\u201d")
    await _note_kept(page, call_id, SENTENCE)
    assert await _standalone_typed(page) == []
    browsing.check_clean()


async def test_after_a_one_click_outcome_the_card_says_it_can_be_undone_and_offers_ready(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline = await _short_wrap_up(hotline_factory, 300)
    page = await operator_console(hotline, browsing, "op-b")
    carried, _ = await _talking(hotline, page, "Wrong number caller")
    await hotline.carrier.hang_up(carried)
    ended = page.locator("#call-ended")
    await expect(ended).to_have_text(re.compile(r"^The caller hung up\. Finish the form"))
    await expect(page.locator("#call-ready")).to_be_hidden()

    await page.click("#outcome-wrong_number")  # nothing typed: recorded at once
    await expect(ended).to_contain_text(
        "Recorded: Wrong number. You can undo until you are ready.")
    await expect(ended).not_to_contain_text("Finish the form")
    await page.click("#outcome-undo")
    await expect(ended).to_contain_text("The caller hung up. Finish the form, then save.")
    await expect(page.locator("#call-ready")).to_be_hidden()

    await page.click("#outcome-silent")
    await expect(ended).to_contain_text("Recorded: Silent. You can undo until you are ready.")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Wrap-up"))
    await page.click("#call-ready")
    await expect(page.locator("#operator-state")).to_have_text(re.compile("Ready"))
    await expect(page.locator("#call-panel")).to_be_hidden()
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    browsing.check_clean()


async def test_saving_a_held_form_closes_it_with_a_link_to_correct_the_intake(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline, page, call_id = await _held(hotline_factory, browsing, "Saving caller")

    await page.click("#intake-save")
    await expect(page.locator("#intake-binding")).to_contain_text("Standalone")
    await expect(page.locator("#intake-status")).to_have_text(
        re.compile(r"^The intake for your call at .* E[SD]T is saved\.$"))
    link = page.locator("#intake-saved-link a")
    await expect(link).to_have_attribute("href", f"/intake?call_id={call_id}")
    assert await hotline.value("SELECT count(*) FROM intakes WHERE call_id = $1",
                               uuid.UUID(call_id)) == 1
    await link.click()
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#needs-note")).to_have_value(SENTENCE)
    await expect(page.locator("#intake-binding")).to_contain_text("Saved: saving again updates it")
    browsing.check_clean()


async def test_more_time_extends_the_wrap_up_a_minute_three_times(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline = await _short_wrap_up(hotline_factory, 30)
    page = await operator_console(hotline, browsing, "op-b")
    more = page.locator("#state-more")
    await expect(more).to_be_hidden()  # ready: no wrap-up to extend
    carried, _ = await _talking(hotline, page, "Long report caller")
    await expect(more).to_be_hidden()
    await hotline.carrier.hang_up(carried)
    state = page.locator("#operator-state")
    await expect(state).to_have_text(re.compile(r"Wrap-up: 0:[0-3]\d left"))
    before = hotline.app[ACD].picture.operators["op-b"].wrapup_until
    await more.click()
    await expect(state).to_have_text(re.compile(r"Wrap-up: 1:[0-3]\d left"))
    assert hotline.app[ACD].picture.operators["op-b"].wrapup_until == before + 60
    await more.click()
    await expect(state).to_have_text(re.compile(r"Wrap-up: 2:[0-3]\d left"))
    await more.click()
    await expect(state).to_have_text(re.compile(r"Wrap-up: 3:[0-3]\d left"))
    await more.click()
    await expect(page.locator("#console-error")).to_have_text(more_time.ENOUGH)
    assert hotline.app[ACD].picture.operators["op-b"].wrapup_until == before + 180
    await page.click("#state-ready")
    await expect(state).to_have_text(re.compile("Ready"))
    await expect(more).to_be_hidden()
    browsing.problems = [p for p in browsing.problems if p != "HTTP 409 /console/more-time"]
    browsing.check_clean()


async def test_typing_as_the_wrap_up_ends_asks_for_more_time_and_the_caller_waits(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """A caller waits and the operator types across the wrap-up's end (opwalk2, finding 5):
    the console asks for more time by itself, so the form stays on its call with every word
    and the waiting caller is put through only once the operator saves."""
    hotline = await _short_wrap_up(hotline_factory, 15)
    page = await operator_console(hotline, browsing, "op-b")
    carried, call_id = await _talking(hotline, page, "Long note caller")
    await hotline.carrier.hang_up(carried)
    state = page.locator("#operator-state")
    await expect(state).to_have_text(re.compile("Wrap-up"))
    ends = hotline.app[ACD].picture.operators["op-b"].wrapup_until
    await hotline.to_queue("Waiting caller", language_digit="2")
    await hotline.reached("Waiting caller", "queued")

    await page.click("#needs-note")
    await page.keyboard.type(SENTENCE, delay=140)  # about 18 s: past the 15 s wrap-up
    assert time.time() > ends  # the wrap-up would have ended while typing
    assert hotline.app[ACD].picture.operators["op-b"].wrapup_until == ends + more_time.EXTRA
    await expect(state).to_have_text(re.compile(r"Wrap-up: [01]:\d\d left"))
    assert not any(c.operator == "op-b" for c in hotline.phones.calls.values()
                   if not c.taken)  # no offer: the caller still waits
    assert (await hotline.call_row("Waiting caller"))["connected_at"] is None
    await expect(page.locator("#intake-call-id")).to_have_value(call_id)
    await expect(page.locator("#needs-note")).to_have_value(SENTENCE)

    await page.click("#intake-save")
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    next_id = str((await hotline.call_row("Waiting caller"))["id"])
    await expect(page.locator("#intake-call-id")).to_have_value(next_id)
    await expect(page.locator("#needs-note")).to_have_value("")
    saved = await hotline.value("SELECT count(*) FROM intakes WHERE call_id = $1",
                                uuid.UUID(call_id))
    assert saved == 1
    browsing.check_clean()
