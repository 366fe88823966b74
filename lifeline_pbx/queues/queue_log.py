"""The queue log (queue_events, written in the background by calls/records.py), and the
metrics' hook for a caller's wait, told where a caller leaves a queue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from lifeline_pbx.calls import records
from lifeline_pbx.queues.picture import Picture, Waiter


class QueueLog:
    def __init__(self, writer: records.RecordWriter, picture: Picture) -> None:
        self.writer = writer
        self.picture = picture
        self.waited: Callable[[Waiter, str], None] = lambda waiter, outcome: None  # metrics

    def event(self, kind: str, queue_id: int | None, call_id: uuid.UUID | None, *,
              operator: str | None = None, wait: float | None = None,
              detail: str = "") -> None:
        operator_id = self.picture.operator_ids.get(operator) if operator else None
        self.writer.put(records.QueueEvent(at(time.time()), kind, queue_id, call_id,
                                           operator_id, wait, detail))


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
