"""An operator answers but the caller's bridge cannot be made: the caller keeps their place
in the queue and is offered again, or after queues/acd.py BRIDGE_TRIES is given voicemail;
never left on the queue's music with nobody to offer them to. The operator missed nothing.

Asterisk refuses a bridge on its own only in races (a leg hung up as the bridge is made) or
internal errors, so the refusal is simulated: the app's addChannel to a call's bridge
raises as an error answer would. Everything else is the real hotline over SIP.
"""

from __future__ import annotations

import pytest

from lifeline_pbx.errors import AriError
from lifeline_pbx.queues.acd import BRIDGE_TRIES, Acd
from lifeline_pbx.resources import ACD
from tests.engine import Hotline
from tests.waiting import wait_for


def refuse_call_bridges(acd: Acd, monkeypatch: pytest.MonkeyPatch, times: int) -> list[str]:
    """The first `times` requests adding legs to a call's bridge fail (500); the list
    fills with the bridges refused."""
    refused: list[str] = []
    real = acd.ari.add_to_bridge

    async def add_to_bridge(bridge_id: str, *channel_ids: str) -> None:
        if bridge_id.startswith("call-") and len(refused) < times:
            refused.append(bridge_id)
            raise AriError(500, "Internal Server Error", "POST",
                           f"/bridges/{bridge_id}/addChannel")
        await real(bridge_id, *channel_ids)

    monkeypatch.setattr(acd.ari, "add_to_bridge", add_to_bridge)
    return refused


async def test_a_failed_bridge_puts_the_caller_back_at_their_place(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hotline.login("op-b")
    acd = hotline.app[ACD]
    refused = refuse_call_bridges(acd, monkeypatch, times=1)
    first = await hotline.to_queue("First in line", language_digit="2")
    offer = await hotline.phones.offer("op-b")
    second = await hotline.to_queue("Second in line", language_digit="2")
    await hotline.phones.answer(offer, record=False)
    await wait_for(lambda: len(refused) == 1, what="the first caller's bridge refused")
    await hotline.phones.ended(offer)  # op-b's leg is released
    # op-b rings again, for the first caller still: their place was kept.
    await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("First in line", "connected", {"operator": "op-b"})
    first_id = (await hotline.call_row("First in line"))["id"]
    assert first_id in acd.picture.talking and first_id not in acd.picture.waiting
    for call in (first, second):
        await hotline.carrier.hang_up(call)
    row = await hotline.closed("First in line")
    assert (row["disposition"], row["voicemail_reason"]) == ("answered", None)
    # One wait, from the first entry; the refusal was not op-b's miss.
    connected = await hotline.queue_events("connected")
    assert [r["caller_name"] for r in connected] == ["First in line"]
    assert row["wait_seconds"] == pytest.approx(connected[0]["wait_seconds"])
    assert await hotline.queue_events("ring_no_answer") == []
    assert await hotline.queue_events("declined") == []
    op_b = acd.picture.operators["op-b"]
    assert (op_b.paused, op_b.missed_in_row) == (False, 0)


async def test_a_bridge_that_keeps_failing_ends_in_voicemail(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hotline.login("op-b")
    acd = hotline.app[ACD]
    refused = refuse_call_bridges(acd, monkeypatch, times=BRIDGE_TRIES)
    call = await hotline.to_queue("Never bridged", language_digit="2")
    for _ in range(BRIDGE_TRIES):
        await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)
    await hotline.reached("Never bridged", "voicemail", {"reason": "error"})
    assert len(refused) == BRIDGE_TRIES
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Never bridged")
    assert (row["disposition"], row["voicemail_reason"]) == ("voicemail", "error")
    assert row["connected_at"] is None and row["wait_seconds"] is not None
    assert [r["detail"] for r in await hotline.queue_events("voicemail")] == ["error"]
    assert await hotline.queue_events("connected") == []
