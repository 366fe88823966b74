"""An app restart (the process stops, a new one starts, Asterisk keeps the calls) in the
middle of an emergency escalation or a conference, over real SIP: the caller is never left
in silence, and every outbound leg's record is closed (calls/adoption.py)."""

from __future__ import annotations

from typing import Any

import aiohttp

from lifeline_pbx.app import Running, create_app
from lifeline_pbx.resources import ARI, CONNECTED
from tests.conftest import app_config
from tests.engine import Hotline
from tests.test_escalation_sip import OUTSIDE, TRUNK, emergency, legs, on_call
from tests.test_supervise_sip import CALLER_HZ, OPERATOR_HZ, heard, live_call, speak
from tests.test_transfers_sip import THIRD_HZ, conference, operator_on_op_a
from tests.waiting import wait_for


async def restart(hotline: Hotline, pbx: Any, prompts: str) -> Running:
    assert hotline.running is not None
    await hotline.running.stop()
    again = await Running(create_app(app_config(pbx, hotline.dsn, prompts, **TRUNK))).start()
    await wait_for(again.app[CONNECTED].is_set, what="ARI reconnected")
    return again


async def ended_legs(hotline: Hotline, caller: str, count: int) -> list[dict[str, Any]] | None:
    found = await legs(hotline, caller)
    return found if len(found) == count and all(leg["ended_at"] for leg in found) else None


async def test_restart_while_the_on_call_phone_rings_rings_the_list_again(
    hotline_factory: Any, pbx: Any, short_prompts_dir: str,
) -> None:
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, ("op-a", 60))
    caller = "Emergency restart"
    call = await emergency(hotline, caller)
    first = await hotline.phones.offer("op-a")
    again = await restart(hotline, pbx, short_prompts_dir)
    try:
        await hotline.reached(caller, "resumed", {"phase": "escalating"})
        # The phone rung by the app that died stops; this one rings it again.
        await hotline.phones.ended(first)
        second = await hotline.phones.offer("op-a")
        found = await legs(hotline, caller)
        assert [leg["outcome"] for leg in found] == ["cancelled", None]
        assert found[0]["ended_at"] is not None and found[0]["duration_seconds"] == 0
        # Accepted: the caller talks with the on-call person.
        await hotline.phones.answer(second, record=False)
        await hotline.reached(caller, "oncall_answered", {"position": "1"})
        await hotline.phones.send_dtmf(second, "1")
        await hotline.reached(caller, "oncall_connected", {"position": "1"})
        assert not call.ended
        await hotline.carrier.hang_up(call)
        row = await hotline.closed(caller)
        assert row["disposition"] == "answered"
        await hotline.phones.ended(second)
        found = await wait_for(lambda: ended_legs(hotline, caller, 2), what="legs closed")
        assert [leg["outcome"] for leg in found] == ["cancelled", "accepted"]
    finally:
        await again.stop()


async def test_restart_while_bridged_with_the_on_call_person_keeps_them_talking(
    hotline_factory: Any, pbx: Any, short_prompts_dir: str,
) -> None:
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, (OUTSIDE, 30))
    caller = "Emergency bridged"
    call = await emergency(hotline, caller)
    outside = await hotline.carrier.offered(OUTSIDE)
    await hotline.carrier.answer(outside)
    await hotline.reached(caller, "oncall_answered")
    await hotline.carrier.send_dtmf(outside, "1")
    await hotline.reached(caller, "oncall_connected", {"position": "1"})
    again = await restart(hotline, pbx, short_prompts_dir)
    try:
        await hotline.reached(caller, "resumed", {"phase": "oncall"})
        spoken = await speak(hotline, "carrier", outside.channel_id, THIRD_HZ)
        await wait_for(heard(hotline.carrier.recording_path(call), THIRD_HZ),
                       what="the caller still hears the on-call person")
        await hotline.carrier.ari.stop_playback(spoken)
        # The on-call person hangs up: this process lets the caller go, the leg closed.
        await hotline.carrier.hang_up(outside)
        await hotline.carrier.ended(call)
        row = await hotline.closed(caller)
        assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
        found = await wait_for(lambda: ended_legs(hotline, caller, 1), what="leg closed")
        assert found[0]["outcome"] == "accepted" and found[0]["duration_seconds"] > 0
        assert not any(b["id"].startswith("oncall-") for b in await again.app[ARI].bridges())
    finally:
        await again.stop()


async def test_restart_mid_conference_keeps_caller_and_operator_and_closes_the_leg(
    hotline_factory: Any, pbx: Any, short_prompts_dir: str,
) -> None:
    hotline: Hotline = await hotline_factory(web=True, settings=TRUNK, three_way_allowed=True)
    caller = "Conference restart"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await conference(client, call_id, OUTSIDE)
        assert status == 200, body
        third = await hotline.carrier.offered(OUTSIDE)
        await hotline.carrier.answer(third)
        await hotline.reached(caller, "conference_joined")
    again = await restart(hotline, pbx, short_prompts_dir)
    try:
        await hotline.reached(caller, "resumed", {"phase": "connected"})
        # The third party is let go, with the leg's record closed and its talk time.
        await hotline.carrier.ended(third)
        found = await wait_for(lambda: ended_legs(hotline, caller, 1), what="leg closed")
        assert (found[0]["purpose"], found[0]["outcome"]) == ("conference", "ended")
        assert found[0]["duration_seconds"] is not None and found[0]["answered_at"] is not None
        # The caller and the operator still hear each other.
        operator_heard = hotline.phones.recording_path(operator)
        caller_heard = hotline.carrier.recording_path(call)
        spoken = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await wait_for(heard(operator_heard, CALLER_HZ), what="the operator hears the caller")
        await hotline.carrier.ari.stop_playback(spoken)
        await speak(hotline, "phones", operator.channel_id, OPERATOR_HZ)
        await wait_for(heard(caller_heard, OPERATOR_HZ), what="the caller hears the operator")
        await hotline.phones.hang_up(operator)
        row = await hotline.closed(caller)
        assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
    finally:
        await again.stop()
