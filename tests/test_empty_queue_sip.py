"""Callers waiting in a queue that is left with nobody to ring, over real SIP: the last
operator logs out or the last phone goes offline. After the grace (queues/routing.py
EMPTY_GRACE) they are given back with the reason, as a caller arriving then would be; a
login or a phone back within it keeps them waiting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lifeline_pbx.resources import ACD
from tests.engine import Hotline
from tests.test_engine_sip import voicemail_left
from tests.waiting import wait_for

GRACE = 3.0  # the tests' own: the shipped one is 45 s


async def _waiting_for_a_paused_operator(hotline: Hotline, caller: str, triage: str = "5"
                                         ) -> Any:
    """op-a logged in and paused (the queue staffed, nobody rung), and `caller` waiting."""
    await hotline.login("op-a")
    await hotline.app[ACD].operator_action("op-a", "pause", "break")
    call = await hotline.to_queue(caller, triage=triage)
    picture = hotline.app[ACD].picture
    await wait_for(lambda: picture.waiting, what=f"{caller} waiting")
    return call


async def _given_back(hotline: Hotline, caller: str, reason: str, gone: datetime) -> None:
    """The caller's call and message carry the reason, and the queue gave them back no
    sooner than the grace after its last operator or phone went (`gone`)."""
    rows = await wait_for(lambda: hotline.sql(
        """SELECT v.reason, c.disposition, c.voicemail_reason FROM voicemails v
           JOIN calls c ON c.id = v.call_id WHERE c.caller_name = $1""", caller),
        what="voicemail row")
    assert tuple(rows[0]) == (reason, "voicemail", reason)
    given = await hotline.sql(
        """SELECT q.at, q.detail FROM queue_events q JOIN calls c ON c.id = q.call_id
           WHERE c.caller_name = $1 AND q.kind = 'voicemail'""", caller)
    assert [g["detail"] for g in given] == [reason]
    assert (given[0]["at"] - gone).total_seconds() >= GRACE


async def test_a_caller_waiting_when_the_last_operator_logs_out_leaves_a_message(
    hotline: Hotline
) -> None:
    hotline.app[ACD].rounds.empty_grace = GRACE
    call = await _waiting_for_a_paused_operator(hotline, "Shift over")
    gone = datetime.now(UTC)
    await hotline.app[ACD].operator_action("op-a", "logout")
    await voicemail_left(hotline, "Shift over", "no_operators")
    await hotline.carrier.hang_up(call)
    await _given_back(hotline, "Shift over", "no_operators", gone)


async def test_a_caller_waiting_when_the_last_phone_goes_offline_leaves_a_message(
    hotline: Hotline
) -> None:
    hotline.app[ACD].rounds.empty_grace = GRACE
    call = await _waiting_for_a_paused_operator(hotline, "Phone gone")
    picture = hotline.app[ACD].picture
    try:
        gone = datetime.now(UTC)
        hotline.phones.instance.cli("pjsip send unregister op-a")
        await wait_for(lambda: "op-a" not in picture.online, what="op-a's phone offline")
        await voicemail_left(hotline, "Phone gone", "phones_offline")
        await hotline.carrier.hang_up(call)
        await _given_back(hotline, "Phone gone", "phones_offline", gone)
    finally:
        hotline.phones.register_now("op-a")


async def test_an_operator_back_within_the_grace_takes_the_caller(hotline: Hotline) -> None:
    """The shipped grace: the caller is still waiting when the operator logs in again."""
    acd = hotline.app[ACD]
    call = await _waiting_for_a_paused_operator(hotline, "Still there")
    queue_id = next(iter(acd.picture.waiting.values())).queue_id
    await acd.operator_action("op-a", "logout")
    await wait_for(lambda: queue_id in acd.picture.unstaffed, what="the queue seen empty")
    await hotline.login("op-a")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer)
    await hotline.reached("Still there", "connected", {"operator": "op-a"})
    assert queue_id not in acd.picture.unstaffed
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Still there")
    assert (row["disposition"], row["voicemail_reason"]) == ("answered", None)


async def test_an_emergency_left_alone_rings_the_on_call_list_with_the_reason(
    hotline: Hotline
) -> None:
    """The flow's path for an emergency the queue gives back (docs/decisions.md, "Emergency
    escalation"): the on-call list; a line without one takes the message, its reason kept."""
    hotline.app[ACD].rounds.empty_grace = GRACE
    call = await _waiting_for_a_paused_operator(hotline, "Urgent alone", triage="9")
    await hotline.app[ACD].operator_action("op-a", "logout")
    await hotline.reached("Urgent alone", "escalation_started", {"reason": "no_operators"})
    await voicemail_left(hotline, "Urgent alone", "no_operators")
    await hotline.carrier.hang_up(call)
    vm = await wait_for(lambda: hotline.sql(
        """SELECT v.priority, v.reason FROM voicemails v JOIN calls c ON c.id = v.call_id
           WHERE c.caller_name = $1""", "Urgent alone"), what="voicemail row")
    assert tuple(vm[0]) == (1, "no_operators")
