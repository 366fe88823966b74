"""A recorded call heard in a real browser: a call on a line that records, the vault's
seal, and a supervisor who finds the call in the history and plays its recording.
Screenshot: test-artifacts/call-recording.png."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from lifeline_pbx.resources import VAULT
from tests.browser import Browsing
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS


async def test_supervisor_hears_a_recorded_call_from_its_page(
    hotline_factory: Any, browsing: Browsing
) -> None:
    hotline: Hotline = await hotline_factory(web=True, record_calls=True)
    await hotline.login("op-a")
    call = await hotline.to_queue("Recorded in browser")
    await hotline.phones.answer(await hotline.phones.offer("op-a"), record=False)
    await hotline.reached("Recorded in browser", "connected")
    name = await wait_for(lambda: hotline.value(
        "SELECT recording FROM calls WHERE caller_name = 'Recorded in browser'"),
        what="recording named")
    path = hotline.pbx.host_base / "spool" / "recording" / f"{name}.wav"
    await hotline.carrier.ari.play(call.channel_id, ["tone:440"], "speak-browser")
    await wait_for(lambda: path.exists() and path.stat().st_size >= 32000,
                   what="two seconds of the call recorded")
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Recorded in browser")
    hotline.app[VAULT].wake()
    rid = await wait_for(lambda: hotline.value(
        "SELECT id FROM call_recordings WHERE call_id = $1 AND bytes > 0", row["id"]),
        what="the recording in the vault")

    page = await browsing.signed_in(hotline.base_url, "supervisor1", PASSWORDS["supervisor1"])
    await page.goto(f"{hotline.base_url}/calls")
    await page.click(f'a[href="/calls/{row["id"]}"]')
    recordings = page.locator("#call-recordings")
    await expect(recordings).to_contain_text("min")
    audio = recordings.locator(f'audio[src="/calls/{row["id"]}/recordings/{rid}/audio"]')
    await audio.evaluate("a => a.load()")
    await expect(audio).to_have_js_property("readyState", 4, timeout=10_000)
    assert await audio.evaluate("a => a.duration") >= 2
    await browsing.screenshot(page, "call-recording.png")
    audited = await hotline.value(
        "SELECT count(*) FROM audit_log WHERE entity = 'call_recording' AND entity_id = $1",
        str(rid))
    assert audited >= 1  # the browser may fetch the audio in more than one request
    browsing.check_clean()
