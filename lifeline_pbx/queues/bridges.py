"""The names of the distributor's bridges in Asterisk, which a restarted app reads back
(calls/adoption.py): each queue's holding bridge, made once and kept across restarts, and
the bridge of each time a caller is put through to an operator.

A call's bridge has a name of its own each time (a caller sent to another queue is put
through again): under the name of the bridge just destroyed, the next one was sometimes
gone from Asterisk when the next operator answered (`addChannel` 404), even when the
app had waited for the old one's destroy to be answered."""

from __future__ import annotations

import uuid

from lifeline_pbx import call_names

_QUEUE = "queue-"
_CALL = "call-"


def holding_bridge(queue_id: int) -> str:
    return f"{_QUEUE}{queue_id}"


def queue_of_bridge(bridge_id: str) -> int | None:
    """The queue whose holding bridge this is; None for any other bridge."""
    number = bridge_id.removeprefix(_QUEUE)
    return int(number) if bridge_id.startswith(_QUEUE) and number.isdigit() else None


def call_bridge(call_id: uuid.UUID) -> str:
    """A new name for the caller's bridge with an operator."""
    return call_names.new_name(_CALL, call_id)


def call_of_bridge(bridge_id: str) -> uuid.UUID | None:
    """The call a call bridge was made for; None for any other bridge."""
    return call_names.call_in(_CALL, bridge_id)
