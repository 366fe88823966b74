"""The operator's phone feature codes: the pure key parser as a table, then over real SIP:
*2 <operator number> # starts a warm transfer from the phone (# completes it), *3 <queue
number> # sends the caller to that queue, a refused code plays the refusal tone and changes
nothing, and the caller's keys (the same codes) do nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.bridges import call_of_bridge
from lifeline_pbx.queues.offers import same_press
from lifeline_pbx.resources import ACD, TRANSFERS
from lifeline_pbx.transfers import phone_codes
from lifeline_pbx.transfers.phone_codes import Keyed
from lifeline_pbx.transfers.rules import Ask
from tests.engine import Hotline
from tests.test_supervise_sip import CALLER_HZ, heard, live_call, speak
from tests.test_transfers_sip import operator_on_op_a
from tests.waiting import wait_for


def keyed(keys: str) -> list[Keyed]:
    held, found = "", []
    for digit in keys:
        held, code = phone_codes.press(held, digit)
        if code is not None:
            found.append(code)
    return found


@pytest.mark.parametrize(("keys", "codes"), [
    ("*212#", [Keyed(Ask.WARM, 12)]),
    ("*37#", [Keyed(Ask.QUEUE, 7)]),
    ("5*212#", [Keyed(Ask.WARM, 12)]),  # a key before the code: not ours
    ("*21*37#", [Keyed(Ask.QUEUE, 7)]),  # * starts again
    ("*2#", []),  # no number
    ("*9123#", []),  # no such code
    ("*2" + "1" * 10 + "#", []),  # too long: dropped
    ("#*", []),
    ("*212#*37#", [Keyed(Ask.WARM, 12), Keyed(Ask.QUEUE, 7)]),
    ("212#", []),
])
def test_keys_make_codes(keys: str, codes: list[Keyed]) -> None:
    assert keyed(keys) == codes


T0 = "2026-12-01T21:08:27.004+0000"


@pytest.mark.parametrize(("last", "digit", "at", "same"), [
    (("3", T0), "3", T0, True),  # the twin for the endpoint subscription
    (("3", T0), "3", "2026-12-01T21:08:27.007+0000", True),  # told twice, 3 ms apart
    (("3", T0), "3", "2026-12-01T21:08:27.054+0000", False),  # pressed again
    (("3", T0), "2", "2026-12-01T21:08:27.007+0000", False),  # another key
    (("", ""), "3", T0, False),  # the first key
    (("3", T0), "3", "", False),  # no time: taken
    (("3", "garbled"), "3", "garbled", True),  # unreadable times: only the same one
    (("3", "garbled"), "3", T0, False),
])
def test_a_key_told_twice_is_one_press(last: tuple[str, str], digit: str, at: str,
                                       same: bool) -> None:
    assert same_press(last, digit, at) is same


async def test_a_warm_transfer_keyed_on_the_phone_and_the_callers_keys_ignored(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await operator_on_op_a(hotline, http)  # op-a's phone acts as operator1
    op_b = await hotline.value("SELECT id FROM operators WHERE sip_username = 'op-b'")
    queue = await hotline.value("SELECT id FROM queues ORDER BY id LIMIT 1")
    caller = "Keys on the phone"
    call, operator, call_id = await live_call(hotline, caller)
    # The caller keys the codes: they pass to op-a's phone as tones, and do nothing.
    caller_keys = f"*3{queue}#*2{op_b}#"
    await hotline.carrier.send_dtmf(call, caller_keys)
    await wait_for(lambda: operator.digits.endswith(caller_keys),
                   what="the caller's keys reached op-a's phone")
    # A code the server refuses (op-a themselves): the refusal tone, nothing else.
    op_a = hotline.app[ACD].picture.operator_ids["op-a"]
    await hotline.phones.send_dtmf(operator, f"*2{op_a}#")
    await wait_for(heard(hotline.phones.recording_path(operator), 480),
                   what="op-a hears the refusal tone")

    await hotline.phones.send_dtmf(operator, f"*2{op_b}#")
    other = await hotline.phones.offer("op-b")
    await hotline.reached(caller, "transfer_ringing", {"to": "op-b"})
    await hotline.phones.answer(other, record=True)
    await hotline.reached(caller, "transfer_consulting", {"to": "op-b"})
    await hotline.phones.send_dtmf(operator, "#")
    await hotline.reached(caller, "transfer_completed", {"to": "op-b"})
    await hotline.phones.ended(operator)
    await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
    await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                   what="op-b hears the caller")
    assert hotline.app[ACD].picture.talking[call_id].operator == "op-b"
    kinds = [r["kind"] for r in await hotline.sql(
        "SELECT kind FROM call_events WHERE call_id = $1 ORDER BY at", call_id)]
    assert "transfer_queue" not in kinds and "requeued" not in kinds
    assert kinds.count("transfer_ringing") == 1
    assert not hotline.app[TRANSFERS].sides


def slow_call_bridge_teardown(acd: Acd, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Asterisk answers the destroy of a call's bridge late, as under load: the request
    leaves the app TEARDOWN seconds after it was made (a fault the real PBX gives only in
    races, hence simulated). The list fills with the bridges destroyed so."""
    real = acd.ari.destroy_bridge
    destroyed: list[str] = []

    async def destroy_bridge(bridge_id: str) -> None:
        if call_of_bridge(bridge_id) is None:
            return await real(bridge_id)
        await asyncio.sleep(TEARDOWN)
        try:
            await real(bridge_id)
        finally:
            destroyed.append(bridge_id)

    monkeypatch.setattr(acd.ari, "destroy_bridge", destroy_bridge)
    return destroyed


TEARDOWN = 2.0  # longer than the next operator takes to be offered the caller and answer


async def spanish_desk_for_op_c(hotline: Hotline) -> int:
    """op-a's phone linked to the console's user; a second queue that only op-c serves."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await operator_on_op_a(hotline, http)
    spanish = await hotline.value("INSERT INTO queues (name) VALUES ('Spanish desk') "
                                  "RETURNING id")
    await hotline.sql("""INSERT INTO operator_queues SELECT id, $1 FROM operators
                         WHERE sip_username = 'op-c'""", spanish)
    await wait_for(lambda: spanish in hotline.app[ACD].picture.policies, what="queue loaded")
    return int(spanish)


@pytest.mark.parametrize("slow_teardown", [False, True], ids=["plain", "slow_teardown"])
async def test_the_caller_sent_to_another_queue_from_the_phone(
    hotline_factory: Any, monkeypatch: pytest.MonkeyPatch, slow_teardown: bool,
) -> None:
    """With the old bridge's destroy slow, the caller still reaches op-c and stays with
    them: each bridging has a bridge of its own (queues/bridges.py), so the late destroy
    cannot empty the new one (under the same name, both legs sat in silence)."""
    hotline: Hotline = await hotline_factory(web=True)
    acd = hotline.app[ACD]
    destroyed = slow_call_bridge_teardown(acd, monkeypatch) if slow_teardown else []
    spanish = await spanish_desk_for_op_c(hotline)
    caller = "Queue by keys"
    call, operator, call_id = await live_call(hotline, caller)
    await hotline.login("op-c")  # speaks English, the caller's language, kept
    await hotline.phones.send_dtmf(operator, f"*3{spanish}#")
    await hotline.reached(caller, "requeued", {"queue_id": str(spanish)})
    await hotline.phones.ended(operator)
    other = await hotline.phones.offer("op-c")
    await hotline.phones.answer(other, record=True)
    await wait_for(lambda: call_id in acd.picture.talking, what="bridged")
    talk = acd.picture.talking[call_id]
    assert talk.operator == "op-c"
    if slow_teardown:
        await wait_for(lambda: destroyed, what="op-a's bridge destroyed")
    bridge = await acd.ari.bridge(talk.bridge_id)
    assert set(bridge["channels"]) == {talk.call.channel_id, talk.operator_channel}
    await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
    await wait_for(heard(hotline.phones.recording_path(other), CALLER_HZ),
                   what="op-c hears the caller")


async def test_a_caller_sent_to_another_queue_keeps_the_recording_of_the_first_part(
    hotline_factory: Any,
) -> None:
    """A recorded line: each operator's part of the call is its own recording, both named
    on the call's timeline, both files on the PBX (under one name, the second part was
    recorded over the first)."""
    hotline: Hotline = await hotline_factory(web=True, record_calls=True)
    spanish = await spanish_desk_for_op_c(hotline)
    caller = "Recorded twice"
    call, operator, call_id = await live_call(hotline, caller)

    async def recordings(count: int) -> list[str] | None:
        """The names on the call's timeline once there are `count`."""
        rows = await hotline.sql("SELECT detail->>'name' AS name FROM call_events "
                                 "WHERE call_id = $1 AND kind = 'recorded' ORDER BY at",
                                 call_id)
        return [r["name"] for r in rows] if len(rows) == count else None

    await wait_for(lambda: recordings(1), what="op-a's part recorded")
    await hotline.login("op-c")
    await hotline.phones.send_dtmf(operator, f"*3{spanish}#")
    await hotline.reached(caller, "requeued", {"queue_id": str(spanish)})
    await hotline.phones.ended(operator)
    await hotline.phones.answer(await hotline.phones.offer("op-c"), record=False)
    names = await wait_for(lambda: recordings(2), what="op-c's part recorded")
    assert len(set(names)) == 2
    await hotline.carrier.hang_up(call)
    row = await hotline.closed(caller)
    assert row["recording"] == names[-1]
    for name in names:
        path = hotline.pbx.host_base / "spool" / "recording" / f"{name}.wav"
        await wait_for(path.exists, what=f"recording {name} on the PBX")
