"""An operator whose phone is on a leg the distributor did not place (an on-call
emergency here; a relay call or a transfer to them alike: queues/picture.engaged) is busy
for the metrics, as the console shows them, and a disabled operator keeps their SIP
account until that call ends, as on a queue call (engine.on_a_call, operators/sip_sync.py).
Over real SIP: the on-call phone is a phones-Asterisk endpoint that accepts with 1."""

from __future__ import annotations

import uuid
from typing import Any

from lifeline_pbx.engine import on_a_call
from lifeline_pbx.monitoring import live
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.picture import Picture, Talk
from lifeline_pbx.resources import ACD, OPERATOR_SYNC
from tests.engine import Hotline
from tests.test_admin_staff_live import _endpoint, _gone
from tests.test_transfers_sip import on_call_connected
from tests.waiting import wait_for


def _talk(operator: str) -> Talk:
    call = CallHandle(uuid.uuid4(), "c", None, "en", 0, lambda outcome: None)
    return Talk(call, operator, "b", "o", 1)


def test_on_a_call_is_a_queue_call_or_a_side_call() -> None:
    picture = Picture()
    assert on_a_call(picture) == set()
    picture.talking[uuid.uuid4()] = _talk("op-a")
    picture.engaged["op-b"] = ["oncall"]
    picture.engaged["op-c"] = ["callback", "transfer"]
    assert on_a_call(picture) == {"op-a", "op-b", "op-c"}
    picture.engaged.pop("op-b")
    assert on_a_call(picture) == {"op-a", "op-c"}


async def test_on_call_operator_busy_in_metrics_and_keeps_the_account_until_it_ends(
    hotline_factory: Any,
) -> None:
    hotline: Hotline = await hotline_factory()
    call, phone = await on_call_connected(hotline, "Side call busy")
    await wait_for(lambda: hotline.app[ACD].picture.staff.view("op-b").registered,
                   what="op-b's phone registered")
    metrics = await live.read(hotline.app)
    assert metrics.operators is not None
    assert (metrics.operators["talking"], metrics.operators["ready"]) == (1, 0)

    sync = hotline.app[OPERATOR_SYNC]
    before = sync.syncs
    await hotline.sql("UPDATE operators SET enabled = false WHERE sip_username = 'op-b'")
    await wait_for(lambda: sync.syncs > before and sync.last_report is not None
                   and sync.last_report.kept == ["op-b"], what="the sync after the disable")
    assert await _endpoint(hotline, "op-b")  # the account stays while the emergency goes on
    assert not phone.ended and not call.ended

    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(phone)
    await wait_for(lambda: _gone(hotline, "op-b"), what="op-b's account removed after the call")
