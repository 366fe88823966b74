"""What the call distributor knows of a call: a narrow handle, not the call's session.

The distributor reads the few facts routing and the live views need, and gives the call
its queue outcome through `deliver`; it never sees the call's state machine or its queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from lifeline_pbx.calls import model

QueueOutcome = (model.Connected | model.QueueLeft | model.OperatorLeft | model.OperatorLost
                | model.Requeued)


@dataclass(frozen=True)
class CallHandle:
    call_id: uuid.UUID
    channel_id: str  # the caller's leg in Asterisk
    line: model.Line | None
    language: str
    priority: int  # 0 normal, 1 emergency
    deliver: Callable[[QueueOutcome], None] = field(compare=False, repr=False)
    answered_at: float = 0.0  # epoch seconds the PBX answered the call; 0 when not known

    def since_answer(self, now: float) -> float:
        return now - self.answered_at if self.answered_at else 0.0
