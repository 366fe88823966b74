"""Recording a prompt by phone, over real SIP: the admin's user is linked to the desk phone
op-c (`lifeline operator link`), the admin asks on the prompt's page to record the English
greeting from their phone, and op-c dials the feature code. The phone hears the greeting as
it is now and the beep, "speaks" (a tone the phone plays into the call), and ends with #.
The recording is then the greeting: the coverage says recorded by phone, the audit log has
it in the admin's name, and the next caller hears the tone. A phone that dials the code
with nothing asked hears the refusal, and a request is used once."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lifeline_pbx import cli
from lifeline_pbx.prompts import phone, tones
from lifeline_pbx.resources import CONFIG_WATCH
from tests.audio import HEARD, tone_level, tone_span, tone_start
from tests.engine import Hotline
from tests.phones import PhoneCall
from tests.waiting import wait_for
from tests.web_fixtures import Client

SPOKEN_HZ = 1250  # what the admin "says": not a test prompt (660 Hz) nor a signal tone
SPOKEN_SECONDS = 2.0
OLD_GREETING_HZ = 660
BEEP_HZ, REFUSE_HZ = tones.TONES["beep"][0][0], tones.TONES["refuse"][0][0]
CONFIRM_HZ = tones.TONES["confirm"][-1][0]


async def _dial_code(hotline: Hotline) -> tuple[PhoneCall, Path]:
    """op-c dials the feature code; what the phone hears is recorded."""
    call = await hotline.phones.dial("op-c", phone.CODE)
    await wait_for(lambda: call.answered or call.ended, what="the feature code answered")
    await hotline.phones.record_snoop(call.channel_id, call.channel_id)
    return call, Path(hotline.phones.recording_path(call))


async def _phone_heard(hotline: Hotline, call: PhoneCall, heard: Path) -> Path:
    await hotline.phones.ended(call)
    await wait_for(lambda: call.recording() is not None, what="the phone's recording closed")
    return heard


def _being_recorded(hotline: Hotline) -> list[Path]:
    """The PBX's recordings of a prompt by phone, still being written."""
    return list((hotline.pbx.host_base / "spool" / "recording").glob("prompt-*.wav"))


async def test_a_prompt_recorded_by_phone_is_what_the_next_caller_hears(
    hotline_factory: Any, own_prompts: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hotline: Hotline = await hotline_factory(web=True, prompts=own_prompts)
    monkeypatch.setenv("LIFELINE_DATABASE_URL", hotline.dsn)
    await asyncio.to_thread(cli.main, ["operator", "link", "op-c", "admin1"])
    assert "admin1" in capsys.readouterr().out

    # Nothing asked yet: the phone hears the refusal.
    call, heard = await _dial_code(hotline)
    heard = await _phone_heard(hotline, call, heard)
    assert tone_level(heard, REFUSE_HZ) > HEARD and tone_level(heard, BEEP_HZ) < 0.2

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        admin = Client(hotline.base_url, http)
        assert await admin.sign_in("admin1") == 303
        status, page = await admin.get("/admin/prompts/en/greeting")
        assert status == 200 and "Record this prompt from my phone" in page
        status, _ = await admin.post("/admin/prompts/en/greeting/phone")
        assert (status, admin.last["location"]) == (303, "/admin/prompts/en/greeting?done=phone")
        assert await hotline.value("SELECT language || '/' || name FROM prompt_phone_requests"
                                   ) == "en/greeting"
        scans = hotline.app[CONFIG_WATCH].reloads("prompts")

        # The phone hears the greeting as it is, then the beep; it speaks, then presses #.
        # (It speaks once the PBX records: the phone's own recording is written to disk in
        # 2 s blocks, so hearing the beep there comes up to 2 s late; checked below.)
        call, heard = await _dial_code(hotline)
        await wait_for(lambda: _being_recorded(hotline), what="the PBX recording after the beep")
        speaking = f"speak-{call.channel_id}"
        await hotline.phones.ari.play(call.channel_id, [f"tone:{SPOKEN_HZ}"], speaking)
        await wait_for(lambda: any(p.stat().st_size >= 16000 * SPOKEN_SECONDS
                                   for p in _being_recorded(hotline)),
                       what=f"{SPOKEN_SECONDS} s recorded on the PBX")
        await hotline.phones.ari.stop_playback(speaking)
        await hotline.phones.send_dtmf(call, "#")
        heard = await _phone_heard(hotline, call, heard)
        assert (tone_start(heard, OLD_GREETING_HZ) < tone_start(heard, BEEP_HZ)
                < tone_start(heard, CONFIRM_HZ) < math.inf)
        assert not await hotline.value("SELECT count(*) FROM prompt_phone_requests")

        # Recorded, by phone, in the admin's name; the engine looked at the prompts again.
        status, page = await admin.get("/admin/prompts/en/greeting")
        assert 'class="recorded">recorded</strong>' in page and "(phone, " in page
        assert "by admin1" in page
    row = (await hotline.sql(
        """SELECT r.source, u.username FROM prompt_recordings r JOIN users u
             ON u.id = r.recorded_by WHERE r.language = 'en' AND r.name = 'greeting'"""))[0]
    assert tuple(row) == ("phone", "admin1")
    audited = await hotline.sql(
        """SELECT a.action, a.fields FROM audit_log a JOIN users u ON u.id = a.user_id
           WHERE u.username = 'admin1' AND a.entity = 'prompt' AND a.entity_id = 'en/greeting'""")
    assert [(r["action"], "source" in r["fields"]) for r in audited] == [("create", True)]
    await wait_for(lambda: hotline.app[CONFIG_WATCH].reloads("prompts") > scans,
                   what="the engine looked at the prompts again")

    # The next caller hears what was said into the phone.
    caller = await hotline.call("Hears the phone recording")
    await hotline.reached("Hears the phone recording", "prompt_finished")
    await hotline.carrier.hang_up(caller)
    await hotline.carrier.ended(caller)
    await wait_for(lambda: caller.recording() is not None, what="carrier recording closed")
    greeting = Path(hotline.carrier.recording_path(caller))
    assert tone_level(greeting, SPOKEN_HZ) > HEARD
    span = tone_span(greeting, SPOKEN_HZ)
    assert SPOKEN_SECONDS - 0.2 < span < SPOKEN_SECONDS + 1.0, span
    print(f"spoken {SPOKEN_HZ} Hz heard by the next caller for {span:.2f} s")

    # The request was used: dialling again is refused.
    call, heard = await _dial_code(hotline)
    heard = await _phone_heard(hotline, call, heard)
    assert tone_level(heard, REFUSE_HZ) > HEARD
