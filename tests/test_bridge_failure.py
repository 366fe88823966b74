"""An operator answers but the caller's bridge cannot be made: the caller keeps their place
in the queue and is offered again, or after queues/talks.py BRIDGE_TRIES is given voicemail;
never left on the queue's music with nobody to offer them to. The operator missed nothing.

Asterisk refuses a bridge on its own only in races (a leg hung up as the bridge is made) or
internal errors, and answers too late only under load, so the failure is simulated: the
app's addChannel to a call's bridge raises as an error answer (or a timeout after Asterisk
did it) would. Everything else is the real hotline over SIP.
"""

from __future__ import annotations

import pytest

from lifeline_pbx.errors import AriError
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.bridges import call_of_bridge, holding_bridge
from lifeline_pbx.queues.talks import BRIDGE_TRIES
from lifeline_pbx.resources import ACD, ARI
from tests.engine import Hotline
from tests.waiting import wait_for


def refuse_call_bridges(acd: Acd, monkeypatch: pytest.MonkeyPatch, times: int,
                        made: bool = False) -> list[str]:
    """The first `times` requests adding legs to a call's bridge fail: refused (500), or
    with made, done by Asterisk but answered too late (the client's timeout). The list
    fills with the bridges that failed."""
    refused: list[str] = []
    real = acd.ari.add_to_bridge

    async def add_to_bridge(bridge_id: str, *channel_ids: str) -> None:
        if call_of_bridge(bridge_id) is not None and len(refused) < times:
            refused.append(bridge_id)
            path = f"/bridges/{bridge_id}/addChannel"
            if made:
                await real(bridge_id, *channel_ids)
                raise AriError(0, "unreachable: TimeoutError", "POST", path)
            raise AriError(500, "Internal Server Error", "POST", path)
        await real(bridge_id, *channel_ids)

    monkeypatch.setattr(acd.ari, "add_to_bridge", add_to_bridge)
    return refused


@pytest.mark.parametrize("made", [False, True], ids=["refused", "made_but_timed_out"])
async def test_a_failed_bridge_puts_the_caller_back_at_their_place(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch, made: bool
) -> None:
    await hotline.login("op-b")
    acd = hotline.app[ACD]
    refused = refuse_call_bridges(acd, monkeypatch, times=1, made=made)
    first = await hotline.to_queue("First in line", language_digit="2")
    offer = await hotline.phones.offer("op-b")
    second = await hotline.to_queue("Second in line", language_digit="2")
    await hotline.phones.answer(offer, record=False)
    await wait_for(lambda: len(refused) == 1, what="the first caller's bridge refused")
    await hotline.phones.ended(offer)  # op-b's leg is released
    # The caller hears the queue's music again (in its holding bridge), not silence.
    held = await hotline.call_row("First in line")

    async def on_hold() -> bool:
        holding = await hotline.app[ARI].bridge(holding_bridge(held["queue_id"]))
        return held["channel_id"] in holding["channels"]

    await wait_for(on_hold, what="the first caller back in the holding bridge")
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
    await hotline.carrier.hang_up(call)  # during the invitation: no message was left
    row = await hotline.closed("Never bridged")
    assert (row["disposition"], row["voicemail_reason"]) == ("no_message", "error")
    assert row["connected_at"] is None and row["wait_seconds"] is not None
    assert [r["detail"] for r in await hotline.queue_events("voicemail")] == ["error"]
    assert await hotline.queue_events("connected") == []
