"""Units of work on retention: a run (scheduled, by the command, or a dry run), the admins'
settings and the legal holds. Each is one transaction with its audit entry: ids and field
names, never content; a run's entry names the kinds it removed, its counts are in
retention_runs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, NotFound, page_on_refusal
from lifeline_pbx.retention import rules, store
from lifeline_pbx.retention.rules import Limits, Removed

log = logging.getLogger(__name__)
Pool = asyncpg.Pool
Source = Literal["schedule", "command"]


class _DryRun(Exception):
    """Raised to roll a dry run back once it has counted."""


async def _remove(con: Conn, cut: rules.Cutoffs) -> Removed:
    """Everything due, in an order that lets each kind go: drafts and voicemails before the
    calls they refer to, a voicemail before its recording (counted once, as a voicemail);
    audit entries last (their chain's lock is then held only briefly)."""
    counts: dict[str, int] = {}
    held = excerpts = 0
    steps = (("drafts", store.remove_drafts), ("narratives", store.remove_narratives),
             ("voicemails", store.remove_voicemails), ("recordings", store.remove_recordings),
             ("call_records", store.remove_calls))
    for name, remove in steps:
        cutoff = getattr(cut, name)
        if cutoff is not None:
            due = await remove(con, cutoff)
            counts[name], held = len(due.ids), held + due.held
            excerpts += due.excerpts
    if cut.audit_entries is not None:
        counts["audit_entries"] = await store.remove_audit_entries(con, cut.audit_entries)
    return Removed(**counts, held=held, excerpts=excerpts)


async def run(con: Conn, source: Source, *, dry_run: bool = False,
              now: datetime | None = None) -> Removed | None:
    """Remove what is due now; None when another run holds the lock. A dry run counts the
    same way and then rolls everything back (its log row and audit entry too)."""
    now = now or datetime.now(UTC)
    try:
        async with con.transaction():
            if not await store.try_run_lock(con):
                return None
            removed = await _remove(con, rules.cutoffs(await store.limits(con), now))
            if dry_run:
                raise _DryRun
            run_id = await store.record_run(con, now, source, removed)
            await audit.record(con, None, "delete", "retention_run", run_id, removed.kinds())
    except _DryRun:
        return removed
    log.info("retention run_id=%d source=%s %s", run_id, source,
             " ".join(f"{k}={v}" for k, v in removed.as_dict().items()))
    return removed


async def run_if_due(pool: Pool, now: datetime | None = None) -> Removed | None:
    """The scheduled run, once a day; None when it was not due (or another node ran it)."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as con:
        if not rules.run_is_due(await store.last_run(con, "schedule"), now):
            return None
        return await run(con, "schedule", now=now)


# The admins' settings page


@dataclass(frozen=True)
class SettingsPage:
    limits: Limits
    runs: list[store.Run]


async def _settings_page(con: Conn) -> SettingsPage:
    return SettingsPage(await store.limits(con), await store.runs(con))


async def settings_page(pool: Pool) -> SettingsPage:
    async with pool.acquire() as con:
        return await _settings_page(con)


async def save_settings(pool: Pool, actor: int, form: Mapping[str, str]) -> None:
    """Invalid (each problem by field, nothing saved) carries the page to show again."""
    async with pool.acquire() as con, page_on_refusal(lambda: _settings_page(con)):
        new = rules.parse_limits(form)
        async with con.transaction():
            changed = rules.changed(await store.limits(con), new)
            if changed:
                await store.save_limits(con, new, actor)
                await audit.change(con, actor, "update", "retention_settings", 1,
                                   [f"{name}_days" for name in changed])


# Legal holds (supervisors and admins)


async def holds(pool: Pool) -> list[store.Hold]:
    async with pool.acquire() as con:
        return await store.holds(con)


async def set_hold(pool: Pool, actor: int, person_id: uuid.UUID, on: bool) -> None:
    """Place or release a hold on a person; audited as a change of the person's
    legal_hold. Placing one twice, or releasing none, is a Conflict."""
    async with pool.acquire() as con, con.transaction():
        if not await store.person_exists(con, person_id):
            raise NotFound("There is no such person.")
        if on and not await store.place_hold(con, person_id, actor):
            raise Conflict("This person is on legal hold already.")
        if not on and not await store.release_hold(con, person_id, actor):
            raise Conflict("This person is not on legal hold.")
        await audit.change(con, actor, "update", "person", person_id, ["legal_hold"])
