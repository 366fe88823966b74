"""The distributor's bridge names, read back by a restarted app (queues/bridges.py)."""

from __future__ import annotations

import uuid

import pytest

from lifeline_pbx.queues.bridges import (
    call_bridge,
    call_of_bridge,
    holding_bridge,
    queue_of_bridge,
)

CALL = uuid.uuid5(uuid.NAMESPACE_URL, "call")


@pytest.mark.parametrize(("bridge_id", "queue_id"), [
    (holding_bridge(7), 7),
    ("queue-12", 12),
    ("queue-", None),
    ("queue-x1", None),
    ("queue--1", None),
    (f"call-{CALL}", None),
    ("hold-abc", None),
])
def test_the_queue_of_a_holding_bridge(bridge_id: str, queue_id: int | None) -> None:
    assert queue_of_bridge(bridge_id) == queue_id


@pytest.mark.parametrize(("bridge_id", "call_id"), [
    (f"call-{CALL}", CALL),  # named before each bridging had its own (an upgrade mid-call)
    (f"call-{CALL}-0a1b2c3d", CALL),
    ("call-not-a-uuid", None),
    ("call-", None),
    (f"oncall-{CALL.hex}", None),
    ("queue-3", None),
])
def test_the_call_of_a_call_bridge(bridge_id: str, call_id: uuid.UUID | None) -> None:
    assert call_of_bridge(bridge_id) == call_id


def test_each_bridging_of_a_call_has_a_name_of_its_own() -> None:
    first, second = call_bridge(CALL), call_bridge(CALL)
    assert first != second
    assert call_of_bridge(first) == call_of_bridge(second) == CALL
