"""A supervisor on a live SIP call, from their own phone (op-c): listen, whisper, join.

Each party "speaks" a tone of its own (the caller 440 Hz, the operator 620 Hz, the
supervisor another tone in each mode) and every phone records what it hears, so who hears
whom is measured (tests/audio.py), not assumed.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import expect

from lifeline_pbx.errors import AriError
from lifeline_pbx.resources import ACD, ARI, LISTEN_IN
from tests.audio import HEARD, seconds, tone_level
from tests.browser import Browsing
from tests.engine import Hotline
from tests.phones import PhoneCall
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, Client

CALLER_HZ, OPERATOR_HZ = 440, 620
LISTEN_HZ, WHISPER_HZ, JOIN_HZ = 820, 1020, 1220  # the supervisor, in each mode
SUPERVISOR_PHONE = "op-c"


async def supervisor_with_phone(hotline: Hotline, http: aiohttp.ClientSession) -> Client:
    """supervisor1, linked to op-c's SIP account (its phone), signed in to the web UI."""
    await hotline.sql("""UPDATE users SET operator_id = (SELECT id FROM operators
                                                        WHERE sip_username = $1)
                         WHERE username = 'supervisor1'""", SUPERVISOR_PHONE)
    client = Client(hotline.base_url, http)
    assert await client.sign_in("supervisor1") == 303
    return client


async def live_call(hotline: Hotline, caller: str) -> tuple[Any, PhoneCall, uuid.UUID]:
    """A caller talking with op-a; both sides record what they hear."""
    await hotline.login("op-a")
    call = await hotline.to_queue(caller)
    operator = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator, record=True)
    await hotline.reached(caller, "connected")
    call_id = (await hotline.call_row(caller))["id"]
    return call, operator, call_id


async def supervise(client: Client, call_id: uuid.UUID, mode: str) -> tuple[int, Any]:
    return await client.post_json(f"/supervisor/calls/{call_id}/supervise", {"mode": mode})


def heard(path: str | Path, hz: float, level: float = HEARD) -> Any:
    return lambda: tone_level(Path(path), hz) > level


async def grown(path: str | Path, more: float) -> None:
    """Wait until the recording holds `more` seconds of audio than now."""
    start = seconds(Path(path))
    await wait_for(lambda: seconds(Path(path)) >= start + more, what=f"{more} s more of {path}")


async def speak(hotline: Hotline, who: str, channel_id: str, hz: int) -> str:
    """Play a tone into the call from the caller's side ("carrier") or a phone, through a
    bridge on that side: a tone played on the channel itself stops its recording of what
    it hears meanwhile (it is not read while it plays); in a bridge it is, as on a phone."""
    peer = hotline.carrier if who == "carrier" else hotline.phones
    bridge = f"mouth-{channel_id}"
    with contextlib.suppress(AriError):  # made the first time this side speaks
        await peer.ari.create_bridge(bridge, "mixing", bridge)
        await peer.ari.add_to_bridge(bridge, channel_id)
    playback = f"speak-{hz}-{uuid.uuid4().hex[:6]}"
    await peer.ari.request("POST", f"/bridges/{bridge}/play/{playback}",
                           {"media": f"tone:{hz}"})
    return playback


async def quiet(hotline: Hotline, who: str, playback: str) -> None:
    peer = hotline.carrier if who == "carrier" else hotline.phones
    await peer.ari.stop_playback(playback)


async def events(hotline: Hotline, call_id: uuid.UUID) -> list[tuple[str, dict[str, str]]]:
    rows = await hotline.sql("SELECT kind, detail::text FROM call_events WHERE call_id = $1 "
                             "AND kind LIKE 'supervision%' ORDER BY id", call_id)
    return [(r["kind"], json.loads(r["detail"])) for r in rows]


async def test_a_supervisor_listens_then_whispers_then_joins_from_their_phone(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = await supervisor_with_phone(hotline, http)
        call, operator, call_id = await live_call(hotline, "Supervised")
        caller_heard = hotline.carrier.recording_path(call)
        operator_heard = hotline.phones.recording_path(operator)

        # Listen: the supervisor's phone rings; answered, it hears both sides.
        status, body = await supervise(supervisor, call_id, "listen")
        assert status == 200, body
        assert body["supervising"] == {"call_id": str(call_id), "mode": "listen",
                                       "answered": False}
        phone = await hotline.phones.offer(SUPERVISOR_PHONE)
        await hotline.phones.answer(phone, record=True)
        await wait_for(lambda: hotline.app[LISTEN_IN].sessions and all(
            s.answered for s in hotline.app[LISTEN_IN].sessions.values()), what="answered")
        supervisor_heard = hotline.phones.recording_path(phone)
        # Nobody hears the supervisor.
        talking = await speak(hotline, "phones", phone.channel_id, LISTEN_HZ)
        await grown(operator_heard, 1.0)
        await grown(caller_heard, 1.0)
        assert tone_level(Path(operator_heard), LISTEN_HZ) < 0.1
        assert tone_level(Path(caller_heard), LISTEN_HZ) < 0.1
        await quiet(hotline, "phones", talking)
        # The supervisor hears the caller, then the operator.
        caller = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(supervisor_heard, CALLER_HZ), what="the supervisor hears the caller")
        await quiet(hotline, "carrier", caller)
        spoken = await speak(hotline, "phones", operator.channel_id, OPERATOR_HZ)
        await wait_for(heard(supervisor_heard, OPERATOR_HZ),
                       what="the supervisor hears the operator")
        await quiet(hotline, "phones", spoken)

        # Whisper, without ringing again: the operator hears the supervisor over the
        # caller (who speaks meanwhile: a whisper rides on what the call sends the
        # operator), the caller does not hear the supervisor.
        status, body = await supervise(supervisor, call_id, "whisper")
        assert (status, body["supervising"]["mode"]) == (200, "whisper"), body
        caller = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        talking = await speak(hotline, "phones", phone.channel_id, WHISPER_HZ)
        await wait_for(heard(operator_heard, WHISPER_HZ, 0.3),
                       what="the operator hears the whisper")
        await grown(caller_heard, 1.0)
        assert tone_level(Path(caller_heard), WHISPER_HZ) < 0.1
        await quiet(hotline, "phones", talking)
        await quiet(hotline, "carrier", caller)

        # Join: everyone hears everyone.
        status, body = await supervise(supervisor, call_id, "join")
        assert (status, body["supervising"]["mode"]) == (200, "join"), body
        talking = await speak(hotline, "phones", phone.channel_id, JOIN_HZ)
        await wait_for(heard(caller_heard, JOIN_HZ), what="the caller hears the supervisor")
        await wait_for(heard(operator_heard, JOIN_HZ), what="the operator hears the supervisor")
        await quiet(hotline, "phones", talking)
        caller = await speak(hotline, "carrier", call.channel_id, CALLER_HZ + 100)
        await wait_for(heard(supervisor_heard, CALLER_HZ + 100),
                       what="the joined supervisor hears the caller")
        await quiet(hotline, "carrier", caller)
        assert len([c for c in hotline.phones.calls.values()
                    if c.operator == SUPERVISOR_PHONE]) == 1  # rung once for all three modes

        # The call ends: the supervisor's leg ends with it; the timeline and audit say so.
        await hotline.carrier.hang_up(call)
        await hotline.phones.ended(phone)
        await wait_for(lambda: not hotline.app[LISTEN_IN].sessions, what="session closed")
        user_id = (await hotline.sql("SELECT id FROM users WHERE username = 'supervisor1'")
                   )[0]["id"]

        async def timeline() -> list[tuple[str, dict[str, str]]] | None:
            found = await events(hotline, call_id)
            return found if found and found[-1][0] == "supervision_ended" else None

        written = await wait_for(timeline, what="the supervision on the call's timeline")
        assert [(k, d["mode"]) for k, d in written] == [
            ("supervision_ringing", "listen"), ("supervision_started", "listen"),
            ("supervision_mode", "whisper"), ("supervision_mode", "join"),
            ("supervision_ended", "join")]
        assert {d["user_id"] for _, d in written} == {str(user_id)}
        audit = await hotline.sql("SELECT action, entity, entity_id, fields FROM audit_log "
                                  "WHERE user_id = $1 AND action = 'supervise' ORDER BY id",
                                  user_id)
        assert [(a["entity"], a["entity_id"], list(a["fields"])) for a in audit] == [
            ("call", str(call_id), ["listen", "started"]),
            ("call", str(call_id), ["mode", "whisper"]),
            ("call", str(call_id), ["join", "mode"]),
            ("call", str(call_id), ["ended", "join"])]
        status, page = await supervisor.get(f"/calls/{call_id}")
        assert status == 200 and "Supervisor: listening" in page and "Demo Supervisor" in page


async def test_the_board_says_listen_in_and_when_the_supervisor_is_off_the_call(
    hotline_factory: Any, browsing: Browsing
) -> None:
    """On the queue view: "Listen in" rings the supervisor's phone; when the call ends,
    "You are no longer on the call." (the supervisor's side), then the panel is as before."""
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await supervisor_with_phone(hotline, http)
        call, _, call_id = await live_call(hotline, "Listened")
        page = await browsing.signed_in(hotline.base_url, "supervisor1",
                                        PASSWORDS["supervisor1"], "/supervisor/queues")
        status = page.locator("#supervise-status")
        idle = "Listen in, whisper or join a call below: the system rings your phone (op-c)."
        await expect(status).to_have_text(idle)
        row = page.locator(f'.queue-talking tr[data-call-id="{call_id}"]')
        await expect(row.locator("button")).to_have_text(["Listen in", "Whisper", "Join"])
        await row.get_by_role("button", name="Listen in").click()
        await expect(status).to_have_text(re.compile("^Ringing your phone: listen in"))
        phone = await hotline.phones.offer(SUPERVISOR_PHONE)
        await hotline.phones.answer(phone, record=False)
        await expect(status).to_have_text(re.compile("^On the call: listen in"))

        await hotline.carrier.hang_up(call)
        await hotline.phones.ended(phone)
        await expect(status).to_have_text("You are no longer on the call.")
        await expect(status).to_have_text(idle, timeout=20_000)
        browsing.check_clean()


async def test_a_snoop_the_pbx_refuses_is_reported_and_the_call_goes_on(
    hotline_factory: Any, monkeypatch: Any,
) -> None:
    """The PBX refuses the snoop: reported, nothing left behind, the call untouched.

    Fault injection: the PBX refuses a snoop on demand only for a channel that is gone (the
    operator's leg hung up as the supervisor clicked), a race no test can time; so the
    first snoop asks the real PBX for a channel that does not exist, which it refuses (404).
    (Unloading res_stasis_snoop.so is refused by Asterisk while ARI uses it.)"""
    hotline: Hotline = await hotline_factory(web=True)
    ari = hotline.app[ARI]
    real_snoop = ari.snoop
    refused: list[str] = []

    async def snoop_on_a_gone_leg(channel_id: str, *args: Any, **kwargs: Any) -> Any:
        if not refused:
            refused.append(channel_id)
            channel_id = f"gone-{channel_id}"
        return await real_snoop(channel_id, *args, **kwargs)

    monkeypatch.setattr(ari, "snoop", snoop_on_a_gone_leg)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = await supervisor_with_phone(hotline, http)
        call, operator, call_id = await live_call(hotline, "Still talking")
        status, body = await supervise(supervisor, call_id, "listen")
        assert status == 503, (status, body)
        assert "The call goes on" in body["error"]
        # Nothing rang, nothing is left, and caller and operator still hear each other.
        assert not any(c.operator == SUPERVISOR_PHONE for c in hotline.phones.calls.values())
        assert not hotline.app[LISTEN_IN].sessions
        assert call_id in hotline.app[ACD].picture.talking and not call.ended
        caller = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(operator), CALLER_HZ),
                       what="the operator still hears the caller")
        await quiet(hotline, "carrier", caller)
        written = await wait_for(lambda: events(hotline, call_id), what="the failure written")
        assert [(k, d["step"]) for k, d in written] == [("supervision_failed", "snoop")]
        # The next try works; the mode changes only once the phone is answered; the
        # supervisor hangs up from the page, and the call goes on without them.
        status, body = await supervise(supervisor, call_id, "listen")
        assert status == 200, body
        phone = await hotline.phones.offer(SUPERVISOR_PHONE)
        status, body = await supervise(supervisor, call_id, "join")
        assert status == 409 and "Answer your phone first" in body["error"]
        await hotline.phones.answer(phone, record=False)
        await wait_for(lambda: all(s.answered for s in hotline.app[LISTEN_IN].sessions.values()),
                       what="answered")
        status, body = await supervisor.post_json("/supervisor/supervise/stop", {})
        assert (status, body) == (200, {"supervising": None})
        await hotline.phones.ended(phone)
        await wait_for(lambda: not hotline.app[LISTEN_IN].sessions, what="session closed")
        assert call_id in hotline.app[ACD].picture.talking and not call.ended
        await hotline.carrier.hang_up(call)
        await hotline.closed("Still talking")
