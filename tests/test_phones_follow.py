"""Which operators' phones the app subscribes to (queues/phones.py): table-driven."""

from __future__ import annotations

import pytest

from lifeline_pbx.ari.events import EndpointState
from lifeline_pbx.queues import phones


def listed(*names: str, online: tuple[str, ...] = ()) -> list[EndpointState]:
    return [EndpointState("PJSIP", name, name in online) for name in names]


@pytest.mark.parametrize(("endpoints", "operators", "followed", "expected"), [
    # every operator Asterisk lists, in name order; the carrier trunk never
    (listed("carrier", "op-b", "op-a"), {"op-a", "op-b"}, set(), ["op-a", "op-b"]),
    # those already followed are not subscribed again
    (listed("op-a", "op-b"), {"op-a", "op-b"}, {"op-a"}, ["op-b"]),
    # an operator whose SIP account Asterisk does not list yet: left for the next refresh
    # (one unknown endpoint would make Asterisk refuse the whole subscription)
    (listed("op-a"), {"op-a", "op-new"}, set(), ["op-a"]),
    # an endpoint that is no operator (anyone's but ours) is not followed
    (listed("op-a", "someone"), {"op-a"}, set(), ["op-a"]),
    ([], {"op-a"}, set(), []),
    ([EndpointState("IAX2", "op-a", True)], {"op-a"}, set(), []),
])
def test_to_follow(endpoints: list[EndpointState], operators: set[str], followed: set[str],
                   expected: list[str]) -> None:
    assert phones.to_follow(endpoints, operators, followed) == expected


@pytest.mark.parametrize(("endpoints", "followed", "expected"), [
    (listed("op-a", "op-b"), {"op-a", "op-b"}, {"op-a", "op-b"}),
    # op-b was deleted (operator disabled): if written again, it is a new endpoint to follow
    (listed("op-a"), {"op-a", "op-b"}, {"op-a"}),
    ([], {"op-a"}, set()),
])
def test_still_there(endpoints: list[EndpointState], followed: set[str],
                     expected: set[str]) -> None:
    assert phones.still_there(endpoints, followed) == expected


def test_sources_name_one_endpoint_each() -> None:
    assert phones.source("op-a") == "endpoint:PJSIP/op-a"
    assert phones.online(listed("op-a", "op-b", online=("op-b",))) == {"op-b"}
