"""A first working number, set up in a real browser and called over real SIP, as one flow.

An admin signs in (enrolling the second factor) and creates a facility, a line with a new
DID and a Spanish-first menu, a queue, and an operator who speaks Spanish and serves that
queue, then puts the line on the queue. The operator types the secret the page showed
once into a genuine softphone (baresip), which registers. A call from the carrier test
instance to the new DID hears the Spanish greeting (its own tone here, measured on the
carrier's recording), chooses Spanish, and reaches the new operator's phone (the caller
hears the softphone's microphone). The admin then closes the line for today; the next
call hears the closure message and leaves a voicemail on that line. The same app serves
every step: nothing is restarted.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from lifeline_pbx.errors import AriError
from lifeline_pbx.prompts import tones
from lifeline_pbx.resources import ACD, ARI, CONFIG_WATCH, LINES
from tests.audio import HEARD, tone_level, tone_start
from tests.browser import Browsing, admin_enrolled, operator_created, queue_created
from tests.carrier import CarrierCall
from tests.engine import Hotline
from tests.softphone import Softphone
from tests.waiting import wait_for

NEW_DID = "15550100399"
FACILITY = "Stewart Detention Center"
ZONE = "America/New_York"  # Georgia's, which the facility takes from its state
QUEUE = "Stewart Spanish"
OPERATOR = "vol-es"
# What this test's prompts folder says where the flow matters, each a tone of its own: the
# other prompts are the shared 660 Hz ones, the softphone's microphone is 400 Hz.
SPANISH_GREETING_HZ = 1250
SPANISH_CLOSED_HZ = 1750
MICROPHONE_HZ = 400
BEEP_HZ = tones.TONES["beep"][0][0]


def _spanish_prompts_of_their_own(hotline_prompts: Path) -> None:
    for name, hz in (("greeting", SPANISH_GREETING_HZ), ("voicemail-closed", SPANISH_CLOSED_HZ)):
        tones.write_wav(hotline_prompts / "es" / f"{name}.wav", tones.samples(((hz, 0.6),)))


async def _on_the_pbx(hotline: Hotline, endpoint: str) -> bool:
    try:
        await hotline.app[ARI].request("GET", f"/endpoints/PJSIP/{endpoint}")
    except AriError as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def _through_the_ivr_in_spanish(hotline: Hotline, caller: str) -> CarrierCall:
    call = await hotline.call(caller, NEW_DID)
    await hotline.reached(caller, "prompt_finished")  # the greeting, then the menu
    await hotline.carrier.send_dtmf(call, "1")
    await hotline.reached(caller, "language", {"language": "es"})
    await hotline.reached(caller, "triage_asked")
    await hotline.carrier.send_dtmf(call, "5")
    return call


async def _heard(hotline: Hotline, call: CarrierCall) -> Path:
    """The carrier's recording of a call that has ended, closed."""
    await hotline.carrier.ended(call)
    await wait_for(lambda: call.recording() is not None, what="carrier recording closed")
    return Path(hotline.carrier.recording_path(call))


async def test_an_admin_sets_up_a_first_number_that_answers_in_spanish_and_closes_it(
    hotline_factory: Any, own_prompts: str, browsing: Browsing, softphone: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True, prompts=own_prompts)
    _spanish_prompts_of_their_own(hotline.pbx.runtime.host_path(own_prompts))
    base, app = hotline.base_url, hotline.app
    watch = app[CONFIG_WATCH]
    reloads = {name: watch.reloads(name) for name in ("lines", "queues")}
    admin = await admin_enrolled(browsing, base, "/admin/facilities")

    # The facility.
    await admin.goto(f"{base}/admin/facilities")
    await admin.fill("#name", FACILITY)
    await admin.fill("#city", "Lumpkin")
    await admin.fill("#state", "GA")
    await admin.fill("#contractor", "CoreCivic")
    await admin.click("#facility-add")
    await expect(admin.locator("#notice")).to_have_text("Facility added.")
    await expect(admin.locator("#facilities")).to_contain_text(ZONE)

    # The line: a new number, Spanish first then English, no queue yet.
    await admin.get_by_role("link", name="Lines", exact=True).click()
    await admin.click("#new-line")
    await admin.fill("#did", "+1 555 010 0399")
    await admin.fill("#name", "Stewart line")
    await admin.select_option("#facility_id", label=FACILITY)
    await admin.select_option("#default_language", "es")
    await admin.select_option("#menu_language_1", "es")
    await admin.select_option("#menu_language_2", "en")
    await admin.fill("#menu_timeout", "2")
    await admin.click("#line-save")
    await expect(admin.locator("#notice")).to_contain_text("Line added")
    await expect(admin.locator("h1")).to_have_text(f"Line +{NEW_DID}")
    line_id = int(admin.url.split("/admin/lines/")[1].split("?")[0])
    await admin.click("#preview-link")
    await expect(admin.locator('li.heard[data-prompt="es/greeting"] audio')).to_have_count(1)
    await expect(admin.locator("#preview")).to_contain_text("Pressing 1: Spanish")

    # The queue, with nobody serving it yet.
    queue_id = await queue_created(admin, base, QUEUE)

    # The operator: speaks Spanish, serves that queue; the secret is shown this once.
    secret = await operator_created(admin, base, OPERATOR, "Volunteer (Spanish)", "es",
                                    queue_id, QUEUE)

    # The line goes on the queue.
    await admin.goto(f"{base}/admin/lines/{line_id}")
    await admin.select_option("#queue_id", label=QUEUE)
    await admin.click("#line-save")
    await expect(admin.locator("#notice")).to_have_text("Saved: in effect from the next call.")
    await browsing.screenshot(admin, "first-number-line.png")

    # The operator's softphone registers with what the page showed; they log in.
    await wait_for(lambda: _on_the_pbx(hotline, OPERATOR), what="the account on the PBX")
    phone: Softphone = softphone(OPERATOR, secret)
    acd = app[ACD]
    await wait_for(lambda: OPERATOR in acd.picture.online, timeout=20,
                   what="the softphone registered")
    await wait_for(lambda: OPERATOR in acd.picture.operators, what="the operator in the queues")
    await wait_for(lambda: NEW_DID in app[LINES].known
                   and app[LINES].known[NEW_DID][0].queue_id == queue_id,
                   what="the line on its queue in the engine")
    await hotline.login(OPERATOR)

    # The first call: the Spanish greeting, then the new operator's phone answers.
    call = await _through_the_ivr_in_spanish(hotline, "First caller")
    await hotline.reached("First caller", "connected", {"operator": OPERATOR})
    carrier_heard = Path(hotline.carrier.recording_path(call))
    await wait_for(lambda: tone_level(carrier_heard, MICROPHONE_HZ) > HEARD,
                   what="the caller hears the operator's softphone")
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("First caller")
    assert (row["line_id"], row["language"], row["queue_id"], row["disposition"]) == (
        line_id, "es", queue_id, "answered")
    assert await hotline.value("SELECT sip_username FROM operators WHERE id = $1",
                               row["operator_id"]) == OPERATOR
    heard = await _heard(hotline, call)
    assert tone_level(heard, SPANISH_GREETING_HZ) > HEARD
    assert tone_level(heard, SPANISH_CLOSED_HZ) < 0.2
    assert phone.running()

    # Closed for today, a holiday: the next call hears the closure and leaves a voicemail.
    today = datetime.now(ZoneInfo(ZONE)).date().isoformat()
    await admin.goto(f"{base}/admin/lines/{line_id}")
    await admin.fill("#closure_first", today)
    await admin.fill("#closure_name", "Holiday")
    await admin.click("#closure-add")
    await expect(admin.locator("#notice")).to_have_text("Closure added.")
    await expect(admin.locator(f"#holiday-{today}")).to_contain_text("voicemail-closed")
    await wait_for(lambda: app[LINES].known[NEW_DID][1].holidays, what="closure in the engine")

    call = await hotline.call("Holiday caller", NEW_DID)  # no IVR: the closure comes first
    await hotline.reached("Holiday caller", "voicemail",
                          {"reason": "closed", "prompt": "voicemail-closed"})
    call_id = (await hotline.call_row("Holiday caller"))["id"]
    await wait_for(lambda: hotline.session_of(call_id).state.phase.value == "recording",
                   what="the voicemail recording")
    await hotline.carrier.ari.play(call.channel_id, ["tone:440"], f"message-{call_id}")
    message = (hotline.pbx.host_base / "spool" / "recording"
               / f"{hotline.session_of(call_id).voicemail_name}.wav")
    await wait_for(lambda: message.exists() and message.stat().st_size >= 16000 * 2,
                   what="2 s of the caller's message recorded")
    await hotline.carrier.hang_up(call)
    voicemail = await wait_for(lambda: hotline.sql(
        "SELECT reason, language, line_id, duration_seconds FROM voicemails WHERE call_id = $1",
        call_id), what="the voicemail saved")
    assert tuple(voicemail[0])[:3] == ("closed", "es", line_id)
    assert voicemail[0]["duration_seconds"] >= 2
    heard = await _heard(hotline, call)
    assert tone_level(heard, SPANISH_CLOSED_HZ) > HEARD
    assert tone_start(heard, SPANISH_CLOSED_HZ) < tone_start(heard, BEEP_HZ) < math.inf
    assert not await hotline.value(
        "SELECT count(*) FROM calls WHERE caller_name = 'Holiday caller' "
        "AND operator_id IS NOT NULL")

    # Nothing was restarted: the one app followed each change through the database.
    assert watch.reloads("lines") > reloads["lines"]
    assert watch.reloads("queues") > reloads["queues"]
    audited = {(r["entity"], r["action"]) for r in await hotline.sql(
        "SELECT entity, action FROM audit_log WHERE user_id = (SELECT id FROM users "
        "WHERE username = 'admin1') AND entity IN ('facility', 'line', 'queue', 'operator')")}
    assert {("facility", "create"), ("line", "create"), ("line", "update"),
            ("queue", "create"), ("operator", "create")} <= audited, audited
    browsing.check_clean()
