"""A supervisor pauses (with a reason) or logs out an operator. The same path as the
operator's own console button (the distributor's operator_action), so the queues' picture,
the stored state and the operator's open console all follow; each use is audited first."""

from __future__ import annotations

import logging

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.errors import Conflict, NotFound
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.supervision import force_rules

log = logging.getLogger(__name__)
UNKNOWN_OPERATOR = "No operator with this phone account takes queue calls here."
# What each action changes in the operator's state (the audit entry's fields).
_FIELDS = {"pause": ("paused", "pause_reason"), "logout": ("logged_in", "paused")}


async def force(acd: Acd, pool: asyncpg.Pool, user_id: int, username: str, action: str,
                reason: str) -> None:
    operator = acd.picture.operators.get(username)
    operator_id = acd.picture.operator_ids.get(username)
    if operator is None or operator_id is None:
        raise NotFound(UNKNOWN_OPERATOR)
    refused = force_rules.refusal(action, operator)
    if refused is not None:
        raise Conflict(refused)
    async with pool.acquire() as con:  # no entry, no change
        await audit.record(con, user_id, "update", "operator_status", operator_id,
                           _FIELDS[action])
    stored = f"{reason}{force_rules.BY_SUPERVISOR}" if action == "pause" else ""
    if not await acd.operator_action(username, action, stored):
        raise NotFound(UNKNOWN_OPERATOR)  # removed meanwhile
    log.info("operator state forced operator=%s action=%s by user_id=%d", username, action,
             user_id)
