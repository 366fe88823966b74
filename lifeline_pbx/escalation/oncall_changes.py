"""The admin's unit of work on a line's on-call list: one transaction with its audit entry
(the fields changed, never the numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.admin import lines_store
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal
from lifeline_pbx.escalation import oncall_rules
from lifeline_pbx.escalation import oncall_store as store
from lifeline_pbx.outbound.guard import Policy

ENTITY = "line"


@dataclass(frozen=True)
class OnCallPage:
    line_id: int
    did: str
    text: str
    emergency_wait: int | None
    operators: list[str]  # SIP accounts an entry may name
    trunk_on: bool
    repeat: str | None  # what a list saved before repeats were refused still repeats


async def page(pool: asyncpg.Pool, line_id: int, policy: Policy) -> OnCallPage:
    async with pool.acquire() as con:
        line = await lines_store.by_id(con, line_id)
        if line is None:
            raise NotFound("No such line.")
        entries = await store.entries(con, line_id, enabled_only=False)
        operators = sorted(await store.operator_ids(con))
        wait = await store.emergency_wait(con, line_id)
    return OnCallPage(line_id, line.settings.did, oncall_rules.as_text(entries), wait,
                      operators, bool(policy.trunk), oncall_rules.repeat_problem(entries))


async def save(pool: asyncpg.Pool, actor: int, line_id: int, form: Mapping[str, str],
               policy: Policy) -> bool:
    """Replace the list and the wait; whether anything changed."""
    async with page_on_refusal(lambda: page(pool, line_id, policy)), \
            pool.acquire() as con, con.transaction():
        if await lines_store.by_id(con, line_id, lock=True) is None:
            raise NotFound("No such line.")
        parsed = oncall_rules.parse(form, await store.operator_ids(con), policy)
        if isinstance(parsed, dict):
            raise Invalid(parsed)
        before = (await store.entries(con, line_id, enabled_only=False),
                  await store.emergency_wait(con, line_id))
        changed = [name for name, old, new in (
            ("oncall", before[0], list(parsed.entries)),
            ("emergency_wait_seconds", before[1], parsed.emergency_wait)) if old != new]
        if not changed:
            return False
        await store.replace_entries(con, line_id, parsed.entries)
        await store.set_emergency_wait(con, line_id, parsed.emergency_wait)
        await audit.change(con, actor, "update", ENTITY, line_id, changed)
    return True
