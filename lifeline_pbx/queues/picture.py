"""The call distributor's live picture: who waits, who talks, which operators, which policies.

Plain data, held by queues/acd.py and read by the live views (the operator console).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lifeline_pbx.calls.session import CallSession
from lifeline_pbx.queues import routing


@dataclass
class Waiter:
    session: CallSession
    caller: routing.Caller
    queue_id: int
    last_announced: float | None = None


@dataclass
class Talk:
    session: CallSession
    operator: str
    bridge_id: str
    operator_channel: str
    queue_id: int
    connected_at: float = 0.0  # epoch seconds; 0 when adopted after a restart
    waited: float = 0.0  # seconds the caller waited in the queue


@dataclass
class Picture:
    waiting: dict[uuid.UUID, Waiter] = field(default_factory=dict)
    talking: dict[uuid.UUID, Talk] = field(default_factory=dict)
    operators: dict[str, routing.Operator] = field(default_factory=dict)
    operator_ids: dict[str, int] = field(default_factory=dict)
    accept_by_key: set[str] = field(default_factory=set)
    online: set[str] = field(default_factory=set)
    policies: dict[int, routing.Policy] = field(default_factory=dict)
