"""Emergency escalation over real SIP: a caller who pressed 9 finds nobody ready, and the
PBX rings the line's on-call list: an operator's phone (the phones Asterisk), then an
outside number through the outbound trunk (the carrier Asterisk, which must authenticate
the PBX's account). Who accepts is bridged with the caller; if nobody does, the caller
leaves an emergency voicemail and the coordinators' email reaches a real SMTP server.
The toll-fraud guard: a number outside the allow-list, or over the hourly limit, is
refused and the carrier receives no INVITE; a caller's keys never dial out."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from lifeline_pbx import crypto
from lifeline_pbx.prompts import tones
from lifeline_pbx.resources import ARI, POOL
from lifeline_pbx.statistics import work as statistics
from tests.audio import HEARD, RATE, pcm, tone_level
from tests.carrier import TRUNK_PASSWORD, CarrierCall
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.engine import DID, Hotline
from tests.privacy import leaks, sensitive
from tests.smtp_server import smtp_server
from tests.test_engine_sip import voicemail_left
from tests.waiting import wait_for
from tests.web_fixtures import Client

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
OUTSIDE = "+12025550143"  # Washington DC, 555-01xx: fictional
MAIL = {"smtp_host": "127.0.0.1", "smtp_tls": "none", "smtp_from": "lifeline@example.org",
        "alert_recipients": ("coordinators@example.org",),
        "public_url": "https://hotline.example.org"}
TRUNK = {"outbound_trunk": "carrier-out"}
ACCEPTED_HZ = 1400
JSON = {"Accept": "application/json"}


async def on_call(hotline: Hotline, *entries: tuple[str, int]) -> None:
    """The demo line's on-call list: (operator's SIP account or +number, ring seconds)."""
    line_id = await hotline.value("SELECT id FROM lines WHERE did = $1", DID)
    for position, (who, seconds) in enumerate(entries, 1):
        operator = None if who.startswith("+") else await hotline.value(
            "SELECT id FROM operators WHERE sip_username = $1", who)
        await hotline.sql(
            """INSERT INTO line_oncall (line_id, position, operator_id, number, ring_seconds)
               VALUES ($1, $2, $3, $4, $5)""",
            line_id, position, operator, who if operator is None else None, seconds)


async def emergency(hotline: Hotline, caller: str) -> CarrierCall:
    """Call in, choose English, press 9 at the triage question (nobody logged in: the
    queue gives the caller straight back)."""
    call = await hotline.to_queue(caller, triage="9")
    await hotline.reached(caller, "escalation_started")
    return call


async def legs(hotline: Hotline, caller: str) -> list[dict[str, Any]]:
    rows = await hotline.sql(
        """SELECT l.* FROM outbound_legs l JOIN calls c ON c.id = l.call_id
           WHERE c.caller_name = $1 ORDER BY l.created_at""", caller)
    return [dict(r) for r in rows]


def opened(leg: dict[str, Any]) -> str:
    return KEYS.open(leg["number"], crypto.place("outbound_legs", "number", leg["id"]))


async def test_emergency_rings_the_on_call_phone_then_the_carrier_who_accepts(
    hotline_factory: Any,
) -> None:
    sensitive(OUTSIDE, OUTSIDE[2:], TRUNK_PASSWORD)  # no log line may hold them
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, ("op-a", 5), (OUTSIDE, 20))
    caller = "Emergency accepted"
    call = await emergency(hotline, caller)

    rung = await hotline.phones.offer("op-a")  # nobody answers the operator's phone
    assert "Emergency" in rung.caller_name
    await hotline.reached(caller, "oncall_no_answer", {"position": "1"})
    outside = await hotline.carrier.offered(OUTSIDE)
    await hotline.carrier.answer(outside)
    await hotline.reached(caller, "oncall_answered", {"position": "2", "kind": "number"})
    await hotline.carrier.send_dtmf(outside, "1")
    await hotline.reached(caller, "oncall_connected", {"position": "2"})

    placed = (await legs(hotline, caller))[1]
    both = {(await hotline.call_row(caller))["channel_id"], f"out-{placed['id'].hex}"}
    assert any(both <= set(b["channels"]) for b in await hotline.app[ARI].bridges())
    # The caller hears the person who accepted (a tone no prompt or music holds).
    heard = Path(hotline.carrier.recording_path(call))
    assert tone_level(heard, ACCEPTED_HZ) < 0.3
    carrier = hotline.carrier.instance
    tones.write_wav(carrier.host_base / "accepted.wav", tones.samples(((ACCEPTED_HZ, 4.0),)))
    await hotline.carrier.ari.play(outside.channel_id, [f"sound:{carrier.base}/accepted"],
                                   "talk")
    await wait_for(lambda: tone_level(heard, ACCEPTED_HZ) > HEARD,
                   what="the caller hears the on-call person")
    await hotline.carrier.hang_up(call)
    row = await hotline.closed(caller)
    assert row["disposition"] == "answered"
    await hotline.carrier.ended(outside)

    found = await wait_for(lambda: _all_ended(hotline, caller), what="legs ended")
    assert [(leg["through_trunk"], leg["outcome"]) for leg in found] == [
        (False, "no_answer"), (True, "accepted")]
    assert found[0]["number"] is None and opened(found[1]) == OUTSIDE
    assert found[1]["answered_at"] is not None and found[1]["duration_seconds"] >= 0
    audit = await hotline.value(
        "SELECT count(*) FROM audit_log WHERE entity = 'outbound_leg' AND entity_id = $1",
        str(found[1]["id"]))
    assert audit == 1
    assert not leaks()
    assert TRUNK_PASSWORD not in hotline.pbx.log_path.read_text()


async def _all_ended(hotline: Hotline, caller: str) -> list[dict[str, Any]] | None:
    found = await legs(hotline, caller)
    return found if found and all(leg["ended_at"] for leg in found) else None


async def test_nobody_accepts_emergency_voicemail_and_the_coordinators_email(
    hotline_factory: Any,
) -> None:
    async with smtp_server() as inbox:
        hotline: Hotline = await hotline_factory(
            settings={**TRUNK, **MAIL, "smtp_port": inbox.port})
        await on_call(hotline, ("op-a", 10), (OUTSIDE, 10))
        caller = "Emergency unanswered"
        call = await emergency(hotline, caller)

        await hotline.phones.reject(await hotline.phones.offer("op-a"))
        outside = await hotline.carrier.offered(OUTSIDE)
        await hotline.carrier.answer(outside)
        await hotline.reached(caller, "oncall_answered", {"position": "2"})
        await hotline.carrier.send_dtmf(outside, "2")  # not the accept key: then hangs up
        await hotline.carrier.hang_up(outside)
        await hotline.reached(caller, "oncall_declined", {"position": "2"})
        await hotline.reached(caller, "oncall_unanswered", {"tried": "2"})
        found = await voicemail_left(hotline, caller, "oncall_unanswered")
        await hotline.carrier.hang_up(call)

        vm = await wait_for(lambda: hotline.sql(
            "SELECT * FROM voicemails WHERE call_id = $1", found["call_id"]),
            what="the emergency voicemail saved")
        assert (vm[0]["priority"], vm[0]["reason"]) == (1, "oncall_unanswered")
        received = await wait_for(lambda: inbox.received, timeout=30,
                                  what="the coordinators' email")
        mail = received[0]
        assert mail.recipients == ["coordinators@example.org"]
        assert mail.message["Subject"].startswith("Emergency voicemail from ")
        assert "nobody on the line's on-call list accepted the call" in mail.body
        whole = mail.message.as_string()
        assert OUTSIDE[2:] not in whole and caller not in whole
        ended = await wait_for(lambda: _all_ended(hotline, caller), what="legs ended")
        assert [leg["outcome"] for leg in ended] == ["no_answer", "declined"]
        kinds = [r["kind"] for r in await hotline.sql(
            """SELECT e.kind FROM call_events e JOIN calls c ON c.id = e.call_id
               WHERE c.caller_name = $1 ORDER BY e.id""", caller)]
        steps = [k for k in kinds if k.startswith(("escalation", "oncall", "voicemail"))]
        assert steps == ["escalation_started", "oncall_ringing", "oncall_no_answer",
                         "oncall_ringing", "oncall_answered", "oncall_declined",
                         "oncall_unanswered", "voicemail"]


async def test_guard_refuses_outside_the_allow_list_and_over_the_limit_no_invite(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(settings={**TRUNK, "outbound_per_hour": 1})
    # One leg already placed this hour (by another call): the hotline's whole share.
    await hotline.sql(
        """INSERT INTO outbound_legs (id, purpose, through_trunk, number, created_at)
           VALUES ($1, 'oncall', true, NULL, now() - interval '20 minutes')""", uuid.uuid4())
    await on_call(hotline, ("+18765550143", 10), (OUTSIDE, 10))  # Jamaica: +1 yet abroad
    caller = "Emergency refused"
    call = await emergency(hotline, caller)
    await voicemail_left(hotline, caller, "oncall_unanswered")
    refused = await hotline.sql(
        """SELECT e.detail FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE c.caller_name = $1 AND e.kind = 'oncall_refused' ORDER BY e.id""", caller)
    assert [json.loads(r["detail"]) for r in refused] == [
        {"kind": "number", "reason": "not_allowed", "position": "1"},
        {"kind": "number", "reason": "hourly_limit", "position": "2"}]
    found = await legs(hotline, caller)
    assert [(leg["refusal"], leg["outcome"]) for leg in found] == [
        ("not_allowed", "refused"), ("hourly_limit", "refused")]
    assert [opened(leg) for leg in found] == ["+18765550143", OUTSIDE]
    await hotline.carrier.hang_up(call)
    await hotline.closed(caller)
    assert hotline.carrier.incoming() == []
    assert "carrier-out" not in hotline.pbx.cli("core show channels")


async def test_a_callers_keys_never_dial_out(hotline_factory: Any) -> None:
    """Digits typed while the on-call list rings (a call-forward code, a number, an
    international one), and a number dialled as the DID itself: none reaches the carrier
    as an outbound INVITE."""
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, ("op-a", 8))
    caller = "Digits typed"
    call = await emergency(hotline, caller)
    await hotline.carrier.send_dtmf(call, "*72" + OUTSIDE[1:] + "#9011442079460958#")
    await hotline.phones.offer("op-a")
    dialled = await hotline.carrier.call(OUTSIDE, '"Dialled as DID" <5550199>')
    await hotline.reached("Dialled as DID", "unknown_did")
    await hotline.carrier.ended(dialled)
    await hotline.reached(caller, "oncall_unanswered", {"tried": "1"})
    await hotline.carrier.hang_up(call)
    await hotline.closed(caller)
    assert hotline.carrier.incoming() == []
    trunk_legs = await hotline.value("SELECT count(*) FROM outbound_legs WHERE through_trunk")
    assert trunk_legs == 0


def longest_quiet(path: Path, start: float, end: float, window: float = 0.1) -> float:
    """The longest run of windows without sound between start and end (seconds into the
    recording): what a caller would hear as silence."""
    samples = pcm(path)
    size = int(RATE * window)
    longest = run = 0.0
    for first in range(int(start * RATE), min(int(end * RATE), len(samples)) - size, size):
        chunk = samples[first:first + size]
        quiet = sum(x * x for x in chunk) < size * 100
        run = run + window if quiet else 0.0
        longest = max(longest, run)
    return longest


async def test_caller_hears_something_throughout_and_hanging_up_lets_the_leg_go(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, ("op-a", 6), (OUTSIDE, 30))
    caller = "Emergency hangs up"
    call = await emergency(hotline, caller)
    await hotline.phones.offer("op-a")
    outside = await hotline.carrier.offered(OUTSIDE, timeout=30)
    await hotline.carrier.hang_up(call)  # while the outside number rings
    await hotline.carrier.ended(outside)
    row = await hotline.closed(caller)
    assert row["disposition"] == "abandoned"
    found = await wait_for(lambda: _all_ended(hotline, caller), what="legs ended")
    assert [leg["outcome"] for leg in found] == ["no_answer", "cancelled"]
    await hotline.reached(caller, "oncall_stopped")

    await wait_for(call.recording, what="the caller's recording closed")
    times = await hotline.sql(
        """SELECT e.kind, extract(epoch FROM e.at - c.answered_at)::float AS at
           FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE c.caller_name = $1 AND e.kind IN ('escalation_started', 'caller_hangup')""",
        caller)
    at = {r["kind"]: r["at"] for r in times}
    waited = at["caller_hangup"] - at["escalation_started"]
    assert waited > 6  # the operator's phone rang out, then the outside number rang
    quiet = longest_quiet(Path(hotline.carrier.recording_path(call)),
                          at["escalation_started"] + 0.5, at["caller_hangup"] - 0.3)
    assert quiet < 1.0, f"the caller heard {quiet:.1f} s of silence while the list rang"


async def test_nobody_free_within_the_emergency_wait_rings_the_list(
    hotline_factory: Any,
) -> None:
    """An operator is logged in but does not answer: after the line's emergency wait the
    caller leaves the queue and the on-call operator, who presses 1, takes the call."""
    hotline: Hotline = await hotline_factory(settings=TRUNK, emergency_wait_seconds=5)
    await on_call(hotline, ("op-a", 15))
    await hotline.login("op-c")
    caller = "Emergency waited"
    call = await hotline.to_queue(caller, triage="9")
    await hotline.phones.offer("op-c")  # rings, nobody answers
    await hotline.reached(caller, "escalation_started", {"reason": "max_wait"})
    rung = await hotline.phones.offer("op-a")
    await hotline.phones.answer(rung, record=False)
    await hotline.reached(caller, "oncall_answered", {"position": "1", "kind": "operator"})
    await hotline.phones.send_dtmf(rung, "1")
    await hotline.reached(caller, "oncall_connected", {"position": "1"})
    await hotline.phones.hang_up(rung)  # the on-call operator ends the call
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
    await hotline.carrier.ended(call)
    found = await wait_for(lambda: _all_ended(hotline, caller), what="legs ended")
    assert [(leg["through_trunk"], leg["outcome"]) for leg in found] == [(False, "accepted")]


async def test_a_closed_line_rings_the_list_when_the_caller_presses_the_emergency_key(
    hotline_factory: Any,
) -> None:
    """A closed line skips the menu and says so first; its last words before the beep are
    the emergency question, and the key rings the on-call list (not the voicemail)."""
    hotline: Hotline = await hotline_factory(settings=TRUNK, always_open=False)
    await hotline.sql("DELETE FROM line_hours WHERE line_id = (SELECT id FROM lines "
                      "WHERE did = $1)", DID)
    await on_call(hotline, ("op-a", 15))
    caller = "Emergency after hours"
    call = await hotline.call(caller)
    await hotline.reached(caller, "voicemail", {"reason": "closed"})
    await hotline.carrier.send_dtmf(call, "9")
    await hotline.reached(caller, "escalation_started", {"reason": "closed"})
    rung = await hotline.phones.offer("op-a")
    await hotline.phones.answer(rung, record=False)
    await hotline.phones.send_dtmf(rung, "1")
    await hotline.reached(caller, "oncall_connected", {"position": "1"})
    await hotline.phones.hang_up(rung)
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
    assert await hotline.value("SELECT count(*) FROM voicemails WHERE call_id = $1",
                               row["id"]) == 0
    await hotline.carrier.ended(call)


async def test_an_emergency_taken_on_call_stays_on_the_board_and_is_left_to_write_up(
    hotline_factory: Any,
) -> None:
    """The board shows the emergency while the list rings and while it is taken, naming who
    took it; afterwards the call is answered by them, counted as answered, listed as
    "answered, no intake", and its page offers the intake to a supervisor; the person
    who took it writes it too, their phone being linked to their web account."""
    hotline: Hotline = await hotline_factory(settings=TRUNK, web=True)
    await on_call(hotline, ("op-a", 15))
    op_a = await hotline.value("SELECT id FROM operators WHERE sip_username = 'op-a'")
    await hotline.sql("UPDATE users SET operator_id = $1 WHERE username = 'operator1'", op_a)
    caller = "Emergency on the board"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = Client(hotline.base_url, http)
        assert await supervisor.sign_in("supervisor1") == 303
        call = await emergency(hotline, caller)

        async def shown(status: str) -> dict[str, Any] | None:
            _, text = await supervisor.get("/supervisor/queues.json", headers=JSON)
            snap = json.loads(text)
            found = [c for c in snap["on_call"] if c["status"] == status]
            return snap if found else None

        ringing = await wait_for(lambda: shown("on-call list ringing (position 1)"),
                                 what="the emergency on the board while the list rings")
        [row] = ringing["on_call"]
        assert (row["facility"], row["language"]) == ("Demo County Processing Center", "en")
        assert sum(q["counts"]["on_call"] for q in ringing["queues"]) == 1
        assert caller not in json.dumps(ringing)

        rung = await hotline.phones.offer("op-a")
        await hotline.phones.answer(rung, record=False)
        await hotline.phones.send_dtmf(rung, "1")
        await hotline.reached(caller, "oncall_connected", {"position": "1", "operator": "op-a"})
        await wait_for(lambda: shown("with op-a (on call)"), what="who took it, on the board")
        await hotline.phones.hang_up(rung)
        closed = await hotline.closed(caller)
        await hotline.carrier.ended(call)
        assert (closed["disposition"], closed["operator_id"]) == ("answered", op_a)
        assert closed["connected_at"] is not None

        _, text = await supervisor.get("/supervisor/queues.json", headers=JSON)
        assert json.loads(text)["on_call"] == []
        call_id = str(closed["id"])
        _, missing = await supervisor.get("/calls?intake=missing")
        assert call_id in missing
        _, board = await supervisor.get("/supervisor/queues")
        assert "1 answered call</a>" in board
        async with hotline.app[POOL].acquire() as con:
            today = await statistics.today_by_queue(con, "America/New_York", 30,
                                                    datetime.now(UTC))
        figures = today[closed["queue_id"]]
        assert (figures.answered, figures.other) == (1, 0)

        _, page = await supervisor.get(f"/calls/{call_id}")
        name = await hotline.value("SELECT display_name FROM operators WHERE id = $1", op_a)
        assert f"<dt>Operator</dt><dd>{name}</dd>" in page
        assert "operator: op-a" in page
        assert f'<a href="/intake?call_id={call_id}">Write the intake</a>' in page
        status, form = await supervisor.get(f"/intake?call_id={call_id}")
        assert status == 200 and "taken from the on-call list" in form

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        answerer = Client(hotline.base_url, http)
        assert await answerer.sign_in("operator1") == 303
        status, form = await answerer.get(f"/intake?call_id={call_id}")
        assert status == 200 and "Intake for your call" in form
