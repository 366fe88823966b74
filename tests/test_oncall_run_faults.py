"""The on-call run's catch-all: a run that fails (a fault no real part can be made to
produce on demand, so a stand-in raises it) still hands the caller back for the emergency
voicemail, never leaving them on hold with nobody ringing."""

from __future__ import annotations

import uuid
from typing import Any

from lifeline_pbx.calls import model
from lifeline_pbx.escalation.oncall import Entry
from lifeline_pbx.escalation.runner import EscalatedCall, OnCallRun

LINE = model.Line(id=1, did="15550100101", facility_id=7, facility_name="Demo",
                  default_language="en")


class _Broken:
    """Stands in for Escalations and OutboundLegs: placing a leg raises."""

    def __init__(self) -> None:
        self.legs = self
        self.ari = self
        self.writer = self
        self.requests: list[tuple[str, str]] = []

    async def entries(self, line_id: int) -> list[Entry]:
        return [Entry(1, 10, operator="op-a", operator_id=1)]

    async def place(self, *args: Any) -> Any:
        raise RuntimeError("a bug in placing legs")

    def put(self, record: Any) -> None:
        pass

    async def request(self, method: str, path: str, *args: Any) -> None:
        self.requests.append((method, path))


async def test_a_failing_run_hands_the_caller_back() -> None:
    delivered: list[model.FlowEvent] = []
    owner = _Broken()
    call = EscalatedCall(uuid.uuid4(), "caller-1", LINE, delivered.append)
    await OnCallRun(owner, call).run()  # type: ignore[arg-type]
    assert delivered == [model.OnCallUnanswered(1)]
    assert ("DELETE", "/channels/caller-1/moh") in owner.requests  # the music stops
