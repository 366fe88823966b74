"""Conference and relay calls from the console over real SIP: the third party is an outside
number rung through the outbound trunk (the carrier Asterisk receives the INVITE). Each
party "speaks" a tone of its own and records what it hears (tests/audio.py), so who hears
whom is measured. With the line's three-way policy off, or a number outside the
allow-list, the console is refused and the carrier receives no INVITE."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from lifeline_pbx import crypto
from lifeline_pbx.resources import ACD, ARI, TRANSFERS
from lifeline_pbx.transfers import rules
from lifeline_pbx.transfers.service import NOTHING_OPEN
from tests.audio import tone_level
from tests.carrier import CarrierCall
from tests.engine import Hotline
from tests.phones import PhoneCall
from tests.privacy import leaks, sensitive
from tests.test_escalation_sip import KEYS, OUTSIDE, TRUNK, emergency, legs, on_call, opened
from tests.test_supervise_sip import CALLER_HZ, OPERATOR_HZ, grown, heard, live_call, speak
from tests.waiting import wait_for
from tests.web_fixtures import Client

THIRD_HZ = 1320
OPERATOR_USER = "operator1"


async def link_op_a(hotline: Hotline) -> None:
    """operator1's web account linked to op-a's SIP account (its phone)."""
    await hotline.sql("""UPDATE users SET operator_id = (SELECT id FROM operators
                                                        WHERE sip_username = 'op-a')
                         WHERE username = $1""", OPERATOR_USER)


async def operator_on_op_a(hotline: Hotline, http: aiohttp.ClientSession) -> Client:
    """operator1, linked to op-a's SIP account, signed in to the web UI."""
    await link_op_a(hotline)
    client = Client(hotline.base_url, http)
    assert await client.sign_in(OPERATOR_USER) == 303
    return client


async def conference(client: Client, call_id: Any, number: str) -> tuple[int, Any]:
    return await client.post_json(f"/console/calls/{call_id}/conference", {"number": number})


async def test_a_conference_with_an_outside_number_all_three_hear_each_other(
    hotline_factory: Any,
) -> None:
    sensitive(OUTSIDE, OUTSIDE[2:])  # no log line may hold the number
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK, three_way_allowed=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Conference"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await conference(client, call_id, OUTSIDE)
        assert status == 200, body
        third = await hotline.carrier.offered(OUTSIDE)
        await hotline.carrier.answer(third)
        await hotline.reached(caller, "conference_joined")
        await hotline.carrier.record(third)
        third_heard = hotline.carrier.recording_path(third)
        caller_heard = hotline.carrier.recording_path(call)
        operator_heard = hotline.phones.recording_path(operator)

        spoken = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(third_heard, CALLER_HZ), what="the third party hears the caller")
        await wait_for(heard(operator_heard, CALLER_HZ), what="the operator hears the caller")
        await hotline.carrier.ari.stop_playback(spoken)
        spoken = await speak(hotline, "carrier", third.channel_id, THIRD_HZ)
        await wait_for(heard(caller_heard, THIRD_HZ), what="the caller hears the third party")
        await wait_for(heard(operator_heard, THIRD_HZ), what="the operator hears the third party")
        await hotline.carrier.ari.stop_playback(spoken)
        await speak(hotline, "phones", operator.channel_id, OPERATOR_HZ)
        await wait_for(heard(third_heard, OPERATOR_HZ), what="the third party hears the operator")

        # The caller hangs up: the conference leg ends with the call, recorded.
        await hotline.carrier.hang_up(call)
        await hotline.closed(caller)
        await hotline.carrier.ended(third)
        found = await wait_for(lambda: all_ended(hotline, caller), what="the leg ended")
        assert [(leg["purpose"], leg["through_trunk"], leg["outcome"]) for leg in found] == [
            ("conference", True, "ended")]
        assert opened(found[0]) == OUTSIDE and found[0]["answered_at"] is not None
        assert found[0]["requested_by"] == await hotline.value(
            "SELECT id FROM operators WHERE sip_username = 'op-a'")
        await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the side closed")
    assert not leaks()


async def all_ended(hotline: Hotline, caller: str) -> list[dict[str, Any]] | None:
    found = await legs(hotline, caller)
    return found if found and all(leg["ended_at"] for leg in found) else None


async def test_policy_off_or_a_number_outside_the_allow_list_no_invite(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK)  # three-way: default
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "No three-way"
        call, _, call_id = await live_call(hotline, caller)
        status, body = await conference(client, call_id, OUTSIDE)
        assert status == 409 and body["error"] == rules.THREE_WAY_OFF, body
        assert await legs(hotline, caller) == []  # refused before the guard: no leg at all

        # Allowed on the line now (the call reads its line's policy when it starts: the
        # next call has it), but a Jamaican number is +1 and outside the allow-list.
        await hotline.sql("UPDATE lines SET three_way_allowed = true")
        await hotline.carrier.hang_up(call)
        await hotline.closed(caller)
        caller = "Jamaica"
        _, _, call_id = await live_call(hotline, caller)
        status, body = await conference(client, call_id, "+18765550143")
        assert status == 409 and "outside the numbers" in body["error"], body
        found = await legs(hotline, caller)
        assert [(leg["purpose"], leg["refusal"]) for leg in found] == [
            ("conference", "not_allowed")]
        # Someone else's call: refused, nothing placed.
        status, body = await client.post_json(
            f"/console/calls/{uuid.uuid4()}/conference", {"number": OUTSIDE})
        assert status == 409 and body["error"] == rules.NOT_YOURS
        assert hotline.carrier.incoming() == []


async def test_warm_transfer_a_to_b_then_b_hears_the_caller(hotline_factory: Any) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Warm transfer"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-a"})
        assert status == 409 and body["error"] == rules.NOT_AN_OPERATOR  # not to oneself
        for nobody in ({"to": ""}, {"to": " "}, {}, {"to": "no-such-operator"}):
            status, body = await client.post_json(f"/console/calls/{call_id}/transfer", nobody)
            assert status == 409 and body["error"] == rules.NOT_AN_OPERATOR, nobody
        status, body = await client.post_json("/console/side/complete", {})
        assert status == 409 and body["error"] == NOTHING_OPEN

        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-b"})
        assert status == 200, body
        other = await hotline.phones.offer("op-b")
        assert "Transfer" in other.caller_name
        await hotline.phones.answer(other, record=True)
        await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
        # Operator and op-b talk; the caller, on hold, hears neither.
        caller_heard = hotline.carrier.recording_path(call)
        other_heard = hotline.phones.recording_path(other)
        operator_heard = hotline.phones.recording_path(operator)
        spoken = await speak(hotline, "phones", other.channel_id, THIRD_HZ)
        await wait_for(heard(operator_heard, THIRD_HZ), what="the operator hears op-b")
        await grown(caller_heard, 1.0)
        assert tone_level(Path(caller_heard), THIRD_HZ) < 0.1
        await hotline.phones.ari.stop_playback(spoken)

        status, body = await client.post_json("/console/side/complete", {})
        assert status == 200, body
        await hotline.reached(caller, "transfer_completed", {"to": "op-b"})
        await hotline.phones.ended(operator)  # op-a is out of the call, in wrap-up
        assert hotline.app[ACD].picture.talking[call_id].operator == "op-b"
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(other_heard, CALLER_HZ), what="op-b hears the caller")
        assert not hotline.app[TRANSFERS].sides  # op-a may transfer their next call

        await hotline.phones.hang_up(other)  # op-b ends the call
        row = await hotline.closed(caller)
        assert row["disposition"] == "answered"
        found = await wait_for(lambda: all_ended(hotline, caller), what="the leg ended")
        assert [(leg["purpose"], leg["through_trunk"], leg["outcome"]) for leg in found] == [
            ("transfer", False, "ended")]
        await wait_for(lambda: not hotline.app[ACD].engaged("op-b"), what="op-b released")


async def test_sent_to_another_queue_the_caller_keeps_their_priority(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    spanish = await hotline.value(
        "INSERT INTO queues (name) VALUES ('Spanish desk') RETURNING id")
    await hotline.sql("""INSERT INTO operator_queues SELECT id, $1 FROM operators
                         WHERE sip_username = 'op-b'""", spanish)
    await wait_for(lambda: spanish in hotline.app[ACD].picture.policies, what="queue loaded")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "To Spanish"
        await hotline.login("op-a")
        call = await hotline.to_queue(caller, triage="9")  # an emergency: priority 1
        operator = await hotline.phones.offer("op-a")
        await hotline.login("op-b")  # after op-a's phone rings: not offered this call
        await hotline.phones.answer(operator, record=True)
        await hotline.reached(caller, "connected")
        call_id = (await hotline.call_row(caller))["id"]

        async def send(queue_id: object, language: str) -> tuple[int, Any]:
            return await client.post_json(f"/console/calls/{call_id}/queue",
                                          {"queue_id": str(queue_id), "language": language})

        for queue_id, language in ((spanish, "xx"), (999999, "es"), ("²", "es")):
            status, body = await send(queue_id, language)
            assert status == 409 and body["error"] == rules.NO_QUEUE, (queue_id, body)
        status, body = await send(spanish, "es")
        assert status == 200, body
        await hotline.phones.ended(operator)  # op-a's leg is hung up: wrap-up
        await hotline.reached(caller, "requeued", {"queue_id": str(spanish), "language": "es"})
        other = await hotline.phones.offer("op-b")
        waiting = hotline.app[ACD].picture.waiting[call_id]  # until op-b answers
        assert (waiting.queue_id, waiting.caller.priority) == (spanish, 1)
        assert waiting.call.language == "es"
        await hotline.phones.answer(other, record=True)
        await wait_for(lambda: call_id in hotline.app[ACD].picture.talking, what="bridged")
        assert hotline.app[ACD].picture.talking[call_id].operator == "op-b"
        row = await hotline.call_row(caller)
        assert (row["queue_id"], row["priority"]) == (spanish, 1)
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                       what="op-b hears the caller")


async def follow_up_for(hotline: Hotline, username: str) -> uuid.UUID:
    """An open follow-up ("call the sister") assigned to this user."""
    user_id = await hotline.value("SELECT id FROM users WHERE username = $1", username)
    follow_up_id = uuid.uuid4()
    what = KEYS.seal("Call the sister", crypto.place("follow_ups", "what", follow_up_id))
    await hotline.sql("""INSERT INTO follow_ups (id, what, assignee_id, created_by)
                         VALUES ($1, $2, $3, $3)""", follow_up_id, what, user_id)
    return follow_up_id


def free(hotline: Hotline) -> set[str]:
    return {op.id for op in hotline.app[ACD].picture.free(time.time())}


async def test_a_relay_call_from_the_operators_phone_noted_on_the_follow_up(
    hotline_factory: Any,
) -> None:
    sensitive(OUTSIDE, OUTSIDE[2:], "Call the sister")
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        mine = await follow_up_for(hotline, OPERATOR_USER)
        theirs = await follow_up_for(hotline, "supervisor1")
        await hotline.login("op-a")
        await wait_for(lambda: "op-a" in free(hotline), what="op-a free")

        status, body = await client.post_json("/console/relay", {
            "number": OUTSIDE, "follow_up_id": str(theirs)})
        assert status == 403, body
        status, body = await client.post_json("/console/relay", {"number": "+18765550143"})
        assert status == 409 and "outside the numbers" in body["error"], body
        status, body = await client.post_json("/console/relay", {
            "number": OUTSIDE, "follow_up_id": "not-a-uuid"})
        assert status == 422, body

        status, body = await client.post_json("/console/relay", {
            "number": OUTSIDE, "follow_up_id": str(mine)})
        assert status == 200, body
        phone = await hotline.phones.offer("op-a")
        assert "op-a" not in free(hotline)  # the queues see op-a busy while it rings
        await hotline.phones.answer(phone, record=True)
        outside = await hotline.carrier.offered(OUTSIDE)
        await hotline.carrier.answer(outside)
        await hotline.carrier.record(outside)
        spoken = await speak(hotline, "phones", phone.channel_id, OPERATOR_HZ)
        await wait_for(heard(hotline.carrier.recording_path(outside), OPERATOR_HZ),
                       what="the relative hears the operator")
        await hotline.phones.ari.stop_playback(spoken)
        await speak(hotline, "carrier", outside.channel_id, THIRD_HZ)
        await wait_for(heard(hotline.phones.recording_path(phone), THIRD_HZ),
                       what="the operator hears the relative")
        assert "op-a" not in free(hotline)

        await hotline.carrier.hang_up(outside)  # the relative hangs up: so does op-a's leg
        await hotline.phones.ended(phone)
        await wait_for(lambda: "op-a" in free(hotline), what="op-a free again")
        rows = await wait_for(lambda: _relay_legs(hotline), what="relay legs ended")
        assert [(r["through_trunk"], r["refusal"], r["outcome"], r["follow_up_id"])
                for r in rows] == [(True, "not_allowed", "refused", None),
                                   (False, None, "ended", None), (True, None, "ended", mine)]
        notes = await hotline.sql("SELECT id, body FROM follow_up_notes WHERE follow_up_id = $1",
                                  mine)
        assert len(notes) == 1
        text = KEYS.open(notes[0]["body"], crypto.place("follow_up_notes", "body", notes[0]["id"]))
        assert text.startswith("Relay call answered") and "delivered" in text
        assert hotline.carrier.incoming() == [outside]  # the refused number: no INVITE
    assert not leaks()


async def _relay_legs(hotline: Hotline) -> list[Any] | None:
    rows = await hotline.sql("SELECT * FROM outbound_legs WHERE purpose = 'callback' "
                             "ORDER BY created_at")
    placed = [r for r in rows if r["refusal"] is None]
    return rows if len(rows) == 3 and all(r["ended_at"] for r in placed) else None


async def on_call_connected(hotline: Hotline, caller: str) -> tuple[CarrierCall, PhoneCall]:
    """op-b, alone on the on-call list, accepts an emergency with 1 (nobody is logged in, so
    the list rings), then logs in to the queues while still on that call."""
    await on_call(hotline, ("op-b", 20))
    call = await emergency(hotline, caller)
    phone = await hotline.phones.offer("op-b")
    await hotline.phones.answer(phone, record=False)
    await hotline.reached(caller, "oncall_answered", {"position": "1"})
    await hotline.phones.send_dtmf(phone, "1")
    await hotline.reached(caller, "oncall_connected", {"position": "1"})
    await hotline.login("op-b")
    return call, phone


async def test_an_on_call_operator_bridged_by_an_emergency_is_busy_for_the_queues(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory()
    call, phone = await on_call_connected(hotline, "On-call busy")
    assert hotline.app[ACD].picture.operators["op-b"].logged_in
    assert "op-b" not in free(hotline)
    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(phone)
    await wait_for(lambda: "op-b" in free(hotline), what="op-b free after the emergency")


async def test_the_operator_hanging_up_after_talking_to_b_hands_the_caller_over(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Hang up to transfer"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-b"})
        assert status == 200, body
        other = await hotline.phones.offer("op-b")
        await hotline.phones.answer(other, record=True)
        await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
        await hotline.phones.hang_up(operator)
        await hotline.reached(caller, "transfer_completed", {"to": "op-b"})
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                       what="op-b hears the caller")
        assert hotline.app[ACD].picture.talking[call_id].operator == "op-b"
        assert (await hotline.call_row(caller))["ended_at"] is None


async def test_feature_codes_on_the_phone_return_then_complete(hotline_factory: Any) -> None:
    """During a warm transfer the operator's phone keys: * back to the caller, # complete."""
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Keys transfer"
        call, operator, call_id = await live_call(hotline, caller)
        path = f"/console/calls/{call_id}/transfer"
        assert (await client.post_json(path, {"to": "op-b"}))[0] == 200
        other = await hotline.phones.offer("op-b")
        await hotline.phones.answer(other)
        await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
        await hotline.phones.send_dtmf(operator, "*")
        await hotline.reached(caller, "transfer_returned", {"to": "op-b"})
        await hotline.phones.ended(other)
        # Back with the caller: op-a hears them again.
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(operator), CALLER_HZ),
                       what="op-a hears the caller again")
        await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the side closed")
        assert await hold_bridges(hotline) == []

        assert (await client.post_json(path, {"to": "op-b"}))[0] == 200
        other = await hotline.phones.offer("op-b")
        await hotline.phones.answer(other, record=True)
        await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
        await hotline.phones.send_dtmf(operator, "#")
        await hotline.reached(caller, "transfer_completed", {"to": "op-b"})
        await hotline.phones.ended(operator)
        await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                       what="op-b hears the caller")
        assert await hold_bridges(hotline) == []


async def hold_bridges(hotline: Hotline) -> list[str]:
    """The warm transfers' holding bridges Asterisk still has (none once each is over)."""
    return [b["id"] for b in await hotline.app[ARI].bridges() if b["id"].startswith("hold-")]
