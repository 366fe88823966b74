"""An uploaded MP3 prompt is what the caller hears: an admin uploads an MP3 holding a tone
of known pitch and length as the line's greeting, through the real browser; the next call
from the carrier test instance hears it, measured on the carrier's own recording (the
tone's pitch and how long it lasts), with nothing restarted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import expect

from lifeline_pbx.resources import CONFIG_WATCH
from tests.audio import HEARD, make_tone, tone_level, tone_span
from tests.browser import Browsing
from tests.engine import Hotline
from tests.waiting import wait_for
from tests.web_fixtures import Client

TONE_HZ = 1250  # not a frequency of the test prompts (660 Hz) nor of the beep (1000 Hz)
TONE_SECONDS = 2.0


async def _admin_in_browser(browsing: Browsing, base_url: str) -> Any:
    """The admin signs in (enrolling the second factor) and the browser takes the session."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = Client(base_url, http)
        assert await client.sign_in("admin1") == 303
        cookie = client.session_cookie()
    page = await browsing.page()
    await page.context.add_cookies([{"name": "lifeline_session", "value": cookie,
                                     "url": base_url}])
    return page


async def test_an_uploaded_mp3_greeting_is_what_the_caller_hears(
        hotline_factory: Any, own_prompts: str, browsing: Browsing, tmp_path: Path) -> None:
    hotline: Hotline = await hotline_factory(web=True, prompts=own_prompts)
    mp3 = tmp_path / "greeting.mp3"
    make_tone(mp3, TONE_SECONDS, TONE_HZ)
    scans = hotline.app[CONFIG_WATCH].reloads("prompts")

    page = await _admin_in_browser(browsing, hotline.base_url)
    await page.goto(f"{hotline.base_url}/admin/prompts")
    await page.click("#cell-en-greeting")
    await expect(page.locator("#state strong")).to_have_text("synthesised")
    await page.set_input_files("#file", str(mp3))
    await page.click("#upload-form button")
    await expect(page.locator("#notice")).to_contain_text("Recording saved")
    await expect(page.locator("#state")).to_contain_text("recorded (upload, 2.")
    await expect(page.locator("#player")).to_be_visible()
    browsing.check_clean()
    await wait_for(lambda: hotline.app[CONFIG_WATCH].reloads("prompts") > scans,
                   what="the engine looked at the prompts again")

    call = await hotline.call("Hears upload")
    await hotline.reached("Hears upload", "prompt_finished")  # the greeting played to its end
    await hotline.carrier.hang_up(call)
    await hotline.carrier.ended(call)
    await wait_for(lambda: call.recording() is not None, what="carrier recording closed")
    heard = Path(hotline.carrier.recording_path(call))
    assert tone_level(heard, TONE_HZ) > HEARD
    span = tone_span(heard, TONE_HZ)
    assert abs(span - TONE_SECONDS) < 0.15, span  # the whole upload, and only it
    print(f"tone {TONE_HZ} Hz heard for {span:.2f} s of {TONE_SECONDS} s uploaded")
