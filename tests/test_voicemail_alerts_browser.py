"""Voicemail alerts end to end: callers leave voicemails over SIP (the carrier's Asterisk to
the PBX), and each appears at once in a supervisor's console in a real browser, with no
reload; the emergency one (triage answered 9) also reaches the coordinators' mailbox on a
real SMTP server, saying where and when but nothing about the caller.
Screenshot: test-artifacts/voicemail_alert.png."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser import Browsing
from tests.engine import Hotline
from tests.smtp_server import smtp_server
from tests.test_engine_sip import voicemail_left
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS

MAIL = {"smtp_host": "127.0.0.1", "smtp_tls": "none", "smtp_from": "lifeline@example.org",
        "alert_recipients": ("coordinators@example.org",),
        "public_url": "https://hotline.example.org"}


async def _leave(hotline: Hotline, caller: str, triage: str) -> Any:
    call = await hotline.to_queue(caller, triage=triage)
    found = await voicemail_left(hotline, caller, "no_operators")
    await hotline.carrier.hang_up(call)
    return await wait_for(lambda: hotline.value(
        "SELECT id FROM voicemails WHERE call_id = $1", found["call_id"]),
        what=f"{caller}'s voicemail saved")


async def test_a_voicemail_left_over_sip_appears_in_a_supervisors_console(
    hotline_factory: Any, browsing: Browsing
) -> None:
    async with smtp_server() as inbox:
        hotline: Hotline = await hotline_factory(
            web=True, settings={**MAIL, "smtp_port": inbox.port})
        page = await browsing.signed_in(hotline.base_url, "supervisor1",
                                        PASSWORDS["supervisor1"], path="/console")
        voicemails = page.locator("#feed-voicemails")
        await expect(voicemails.locator("li.empty")).to_have_text("No voicemail waiting.")
        await page.evaluate("window.notReloaded = true")

        routine = await _leave(hotline, "Routine message", triage="5")
        shown = voicemails.locator(f'li[data-voicemail-id="{routine}"]')
        await expect(shown).to_contain_text("Demo County")
        await expect(shown).not_to_have_class("emergency")
        # Named apart from the queue view's "Listen in" (a call in progress).
        await expect(shown.locator("a")).to_have_text("Review messages")

        urgent = await _leave(hotline, "Urgent message", triage="9")
        shown = voicemails.locator(f'li[data-voicemail-id="{urgent}"]')
        await expect(shown).to_contain_text("Emergency")
        await expect(shown).to_have_class("emergency fresh")
        await expect(voicemails.locator("li")).to_have_count(2)
        assert await page.evaluate("window.notReloaded") is True
        await browsing.screenshot(page, "voicemail_alert.png")

        received = await wait_for(lambda: inbox.received, what="the emergency email")
        facility = await hotline.value(
            "SELECT f.name FROM voicemails v JOIN facilities f ON f.id = v.facility_id "
            "WHERE v.id = $1", urgent)
        mail = received[0]
        assert mail.recipients == ["coordinators@example.org"]
        assert mail.message["Subject"] == f"Emergency voicemail from {facility}"
        assert "https://hotline.example.org/voicemail?show=unreviewed" in mail.body
        caller_number = str(abs(hash("Urgent message")) % 10**7)
        whole = mail.message.as_string()
        assert "Urgent message" not in whole and caller_number not in whole
        # Only the emergency one is emailed. The app marks it sent once the SMTP server has
        # answered, a moment after the server holds the message.
        async def marked() -> list[tuple[object, bool]] | None:
            emails = await hotline.sql("SELECT voicemail_id, sent_at FROM alert_emails")
            found = [(r["voicemail_id"], r["sent_at"] is not None) for r in emails]
            return found if all(sent for _, sent in found) else None

        assert await wait_for(marked, what="the email marked sent") == [(urgent, True)]
        assert len(inbox.received) == 1
        browsing.check_clean()
