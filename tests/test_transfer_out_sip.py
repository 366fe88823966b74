"""Transferring the caller to an outside number over real SIP (the line's
`transfer_allowed` policy): the carrier test instance receives the INVITE through the
outbound trunk, the operator talks to the outside party first, then completes; the caller
then hears them. Policy off or a number outside the allow-list: refused, no INVITE. The
outside leg failing (busy) never leaves the caller alone: back to the operator, or, when
the operator has hung up meanwhile, back to the queue."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from lifeline_pbx.resources import ACD, TRANSFERS
from lifeline_pbx.transfers import rules
from tests.audio import tone_level
from tests.engine import Hotline
from tests.phones import PhoneCall
from tests.privacy import leaks, sensitive
from tests.test_escalation_sip import OUTSIDE, TRUNK, legs, opened
from tests.test_supervise_sip import CALLER_HZ, OPERATOR_HZ, grown, heard, live_call, speak
from tests.test_transfers_sip import THIRD_HZ, all_ended, hold_bridges, operator_on_op_a
from tests.waiting import wait_for
from tests.web_fixtures import Client

OUT_POLICY = {"settings": TRUNK, "transfer_allowed": True}


async def transfer_out(client: Client, call_id: Any, number: str) -> tuple[int, Any]:
    return await client.post_json(f"/console/calls/{call_id}/transfer-out", {"number": number})


async def ringing_out(
    hotline: Hotline, client: Client, caller: str,
) -> tuple[Any, PhoneCall, uuid.UUID, Any]:
    """A caller talking with op-a, who transfers them out: the outside number rings."""
    call, operator, call_id = await live_call(hotline, caller)
    assert (await transfer_out(client, call_id, OUTSIDE))[0] == 200
    return call, operator, call_id, await hotline.carrier.offered(OUTSIDE)


async def test_policy_off_or_a_number_outside_the_allow_list_no_invite(
    hotline_factory: Any,
) -> None:
    # Three-way calls allowed, transfers out not: the transfer policy is its own.
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK, three_way_allowed=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "No transfer out"
        call, operator, call_id = await live_call(hotline, caller)
        status, text = await client.get(f"/console/calls/{call_id}/transfer-choices",
                                        headers={"Accept": "application/json"})
        assert status == 200 and json.loads(text)["transfer_out"] is False, text
        status, body = await transfer_out(client, call_id, OUTSIDE)
        assert status == 409 and body["error"] == rules.TRANSFER_OFF, body
        assert await legs(hotline, caller) == []  # refused before the guard: no leg at all

        await hotline.sql("UPDATE lines SET transfer_allowed = true")  # for the next call
        await hotline.carrier.hang_up(call)
        await hotline.closed(caller)
        caller = "Out to Jamaica"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await transfer_out(client, call_id, "+18765550143")
        assert status == 409 and "outside the numbers" in body["error"], body
        assert [(leg["purpose"], leg["refusal"]) for leg in await legs(hotline, caller)] == [
            ("transfer", "not_allowed")]
        assert not hotline.app[TRANSFERS].sides and await hold_bridges(hotline) == []
        # The caller never left the operator.
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(operator), CALLER_HZ),
                       what="op-a still hears the caller")
        assert hotline.carrier.incoming() == []


async def test_warm_transfer_out_the_operator_talks_first_then_hands_the_caller_over(
    hotline_factory: Any,
) -> None:
    sensitive(OUTSIDE, OUTSIDE[2:])  # no log line may hold the number
    hotline: Hotline = await hotline_factory(web=True, **OUT_POLICY)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Out to the lawyer"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await transfer_out(client, call_id, OUTSIDE)
        assert status == 200 and body["side"]["kind"] == "out", body
        outside = await hotline.carrier.offered(OUTSIDE)
        status, body = await client.post_json("/console/side/complete", {})
        assert status == 409 and body["error"] == "Wait until they answer; then you can " \
            "complete the transfer.", body
        await hotline.carrier.answer(outside)
        await hotline.reached(caller, "transfer_consulting", {"to": "outside"})
        await hotline.carrier.record(outside)
        caller_heard = hotline.carrier.recording_path(call)
        outside_heard = hotline.carrier.recording_path(outside)
        # The operator and the lawyer talk; the caller, on hold, does not hear them.
        await speak(hotline, "phones", operator.channel_id, OPERATOR_HZ)
        await wait_for(heard(outside_heard, OPERATOR_HZ), what="the lawyer hears op-a")
        spoken = await speak(hotline, "carrier", outside.channel_id, THIRD_HZ)
        await wait_for(heard(hotline.phones.recording_path(operator), THIRD_HZ),
                       what="op-a hears the lawyer")
        await grown(caller_heard, 1.0)
        assert tone_level(Path(caller_heard), THIRD_HZ) < 0.1
        await hotline.carrier.ari.stop_playback(spoken)

        status, body = await client.post_json("/console/side/complete", {})
        assert status == 200, body
        await hotline.reached(caller, "transfer_completed", {"to": "outside"})
        await hotline.phones.ended(operator)  # op-a is out of the call
        await speak(hotline, "carrier", outside.channel_id, THIRD_HZ)
        await wait_for(heard(caller_heard, THIRD_HZ), what="the caller hears the lawyer")
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(outside_heard, CALLER_HZ), what="the lawyer hears the caller")
        assert not hotline.app[TRANSFERS].sides and await hold_bridges(hotline) == []
        await wait_for(lambda: "op-a" not in hotline.app[ACD].picture.staff.talking,
                       what="op-a off the call (wrap-up)")

        await hotline.carrier.hang_up(outside)  # the lawyer hangs up: the call ends
        row = await hotline.closed(caller)
        assert row["disposition"] == "answered"
        await hotline.carrier.ended(call)
        found = await wait_for(lambda: all_ended(hotline, caller), what="the leg ended")
        assert [(leg["purpose"], leg["through_trunk"], leg["outcome"]) for leg in found] == [
            ("transfer", True, "ended")]
        assert opened(found[0]) == OUTSIDE and found[0]["duration_seconds"] >= 1
    assert not leaks()


async def test_the_outside_number_busy_the_caller_is_back_with_the_operator(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, **OUT_POLICY)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Out but busy"
        call, operator, call_id, outside = await ringing_out(hotline, client, caller)
        await hotline.carrier.ari.hangup(outside.channel_id, "busy")
        await hotline.reached(caller, "transfer_returned", {"to": "outside"})
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(operator), CALLER_HZ),
                       what="op-a hears the caller again")
        await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the side closed")
        assert await hold_bridges(hotline) == []
        assert hotline.app[ACD].picture.talking[call_id].operator == "op-a"
        found = await wait_for(lambda: all_ended(hotline, caller), what="the leg ended")
        assert [(leg["outcome"], leg["duration_seconds"]) for leg in found] == [
            ("no_answer", 0)]


async def test_the_operator_gone_and_the_number_busy_the_caller_queues_again(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, **OUT_POLICY)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Out, operator gone"
        call, operator, call_id, outside = await ringing_out(hotline, client, caller)
        await hotline.phones.hang_up(operator)  # op-a leaves while it rings
        await hotline.reached(caller, "transfer_unattended", {"to": "outside"})
        assert (await hotline.call_row(caller))["ended_at"] is None  # the caller holds on
        await hotline.login("op-b")
        await hotline.carrier.ari.hangup(outside.channel_id, "busy")
        await hotline.reached(caller, "transfer_failed", {"to": "outside"})
        await hotline.reached(caller, "requeued")
        other = await hotline.phones.offer("op-b")
        await hotline.phones.answer(other, record=True)
        await wait_for(lambda: hotline.app[ACD].picture.talking.get(call_id) is not None
                       and hotline.app[ACD].picture.talking[call_id].operator == "op-b",
                       what="the caller bridged with op-b")
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                       what="op-b hears the caller")
        assert await hold_bridges(hotline) == []


async def test_the_operator_gone_and_the_number_answers_the_caller_is_handed_over(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, **OUT_POLICY)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Out, answered alone"
        call, operator, _, outside = await ringing_out(hotline, client, caller)
        await hotline.phones.hang_up(operator)
        await hotline.reached(caller, "transfer_unattended", {"to": "outside"})
        await hotline.carrier.answer(outside)
        await hotline.reached(caller, "transfer_completed", {"to": "outside"})
        await hotline.carrier.record(outside)
        await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(hotline.carrier.recording_path(outside), CALLER_HZ),
                       what="the outside party hears the caller")
        await hotline.carrier.hang_up(call)  # the caller hangs up: the outside leg too
        await hotline.carrier.ended(outside)
        await hotline.closed(caller)
        assert not hotline.app[TRANSFERS].sides and await hold_bridges(hotline) == []
