"""Each offer rings in its own task: an originate Asterisk is slow to answer does not hold
the offer to the next operator (the relay of tests/ari_relay.py holds one request)."""

from __future__ import annotations

from devstack import asterisk
from lifeline_pbx.resources import ACD
from tests.ari_relay import relayed_hotline
from tests.carrier import Carrier
from tests.phones import Phones
from tests.waiting import wait_for


async def test_a_slow_originate_does_not_hold_the_next_offer(
    app_dsn: str, pbx: asterisk.Instance, short_prompts_dir: str, carrier: Carrier,
    phones: Phones,
) -> None:
    async with relayed_hotline(app_dsn, pbx, short_prompts_dir, carrier, phones) as (
            hotline, relay):
        await hotline.login("op-a", "op-b")
        # op-a's phone is rung by a request that does not reach Asterisk for now.
        relay.hold(b'"value": "PJSIP/op-a"')
        slow = await hotline.to_queue("English caller", language_digit="1")
        await wait_for(lambda: relay.held == 1, what="op-a's originate on its way")
        fast = await hotline.to_queue("Spanish caller", language_digit="2")
        offer = await hotline.phones.offer("op-b")
        # op-b rang while op-a's originate was still on its way (not failed, not timed out).
        assert relay.held == 1
        assert any(o.operator == "op-a" for o in hotline.app[ACD].desk.offers.values())
        relay.release()
        await hotline.phones.answer(offer, record=False)
        await hotline.reached("Spanish caller", "connected", {"operator": "op-b"})
        # Once Asterisk gets the held request, op-a's phone rings for the first caller.
        await hotline.phones.answer(await hotline.phones.offer("op-a"), record=False)
        await hotline.reached("English caller", "connected", {"operator": "op-a"})
        for call in (slow, fast):
            await hotline.carrier.hang_up(call)
        assert [r["caller_name"] for r in await hotline.queue_events("connected")] == [
            "Spanish caller", "English caller"]
