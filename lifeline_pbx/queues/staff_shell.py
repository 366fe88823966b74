"""The shell around the operators' pure step (queues/staff.py): an event applied to the
distributor's picture, and its decisions carried out: the live views told, the queue log
written, an offer withdrawn, and the states to save handed to the store (written in the
background, queues/operator_state.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from lifeline_pbx.queues import operator_state, staff, staff_events
from lifeline_pbx.queues.picture import Picture
from lifeline_pbx.queues.queue_log import QueueLog
from lifeline_pbx.queues.watch import Watchers


class StaffShell:
    def __init__(self, picture: Picture, store: operator_state.Store, queue_log: QueueLog,
                 watch: Watchers, withdraw: Callable[[str, uuid.UUID], None],
                 kick: Callable[[], None]) -> None:
        self.picture = picture
        self.store = store
        self.queue_log = queue_log
        self.watch = watch
        self.withdraw = withdraw  # hang up the offer ringing this operator for this call
        self.kick = kick  # a queue round soon
        # Pause reasons given since start, by SIP username: ahead of what the database holds
        # (the store writes in the background; the live views must not show an older one).
        self.pause_reasons: dict[str, str] = {}

    def step(self, event: staff_events.Event) -> list[staff_events.Save]:
        """Apply an operator event to the picture; what needs saving is returned."""
        self.picture.staff, decisions = staff.step(self.picture.staff, event, time.time())
        saves = []
        for decision in decisions:
            if isinstance(decision, staff_events.Changed):
                if decision.pause_reason is not None:
                    self.pause_reasons[decision.username] = decision.pause_reason
                self.watch.operator_changed(decision.username, decision.pause_reason)
            elif isinstance(decision, staff_events.Logged):
                for queue_id in decision.queue_ids:
                    self.queue_log.event(decision.kind, queue_id, None,
                                         operator=decision.username, detail=decision.detail)
            elif isinstance(decision, staff_events.Save):
                saves.append(decision)
            elif isinstance(decision, staff_events.Withdraw):
                self.withdraw(decision.username, decision.call_id)
        self.kick()
        return saves

    def apply(self, event: staff_events.Event) -> None:
        """Step, and hand the states to save to the store: written in the background, so
        no caller waits on the database for an operator's state."""
        for save in self.step(event):
            operator_id = self.picture.operator_ids.get(save.username)
            op = self.picture.operators.get(save.username)
            if operator_id is not None and op is not None:
                self.store.save(operator_id, op, save.pause_reason)
