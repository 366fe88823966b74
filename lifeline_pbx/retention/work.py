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
from lifeline_pbx.cases import people
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, page_on_refusal
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


# Legal holds (supervisors and admins). The reasons can name people and cases: reading
# them is audited as a view of the person's record, placing and releasing as a change of
# it, by field names only.

REASON = "legal_hold_reason"
RELEASE_REASON = "legal_hold_release_reason"
PLACE_MISSING = ("Give the reason for the hold: the matter (litigation, a subpoena, a "
                 "complaint, a partner's request...) and who asked.")
RELEASE_MISSING = "Give the reason for the release: what ended the matter."


async def holds(pool: Pool, keys: KeyRing, actor: int) -> list[store.Hold]:
    """The list, each reason shown audited: one view entry per person whose hold has one."""
    async with pool.acquire() as con, con.transaction():
        found = await store.holds(con, keys)
        await audit.record_views(con, actor, (
            ("person", h.person_id, _reasons(h)) for h in found if _reasons(h)))
    return found


def _reasons(hold: store.Hold) -> list[str]:
    return ([REASON] if hold.reason is not None else []) + (
        [RELEASE_REASON] if hold.release_reason is not None else [])


@dataclass(frozen=True)
class HoldPage:
    """The form that places a hold, or the one that confirms its release."""

    person_id: uuid.UUID
    a_number: str  # normalised
    hold: store.Hold | None  # the hold in force (releasing)
    after_release: list[str]  # what retention may then remove (rules.after_release)


async def _hold_page(con: Conn, keys: KeyRing, actor: int, person_id: uuid.UUID,
                     release: bool) -> HoldPage:
    async with con.transaction():
        person = await people.get(con, keys, person_id, follow=False)
        if person is None:
            raise NotFound("No such person.")
        hold = await store.hold_in_force(con, keys, person_id)
        if release and hold is None:
            raise Conflict("This person is not on legal hold.")
        if not release and hold is not None:
            raise Conflict("This person is on legal hold already.")
        shown = ["a_number"] + (_reasons(hold) if hold else [])
        await audit.record(con, actor, "view", "person", person_id, shown)
        after = rules.after_release(await store.limits(con)) if release else []
    return HoldPage(person_id, person.a_number, hold, after)


async def hold_page(pool: Pool, keys: KeyRing, actor: int, person_id: uuid.UUID,
                    release: bool) -> HoldPage:
    """The person's A-number (and, releasing, the hold with its reason), audited as read."""
    async with pool.acquire() as con:
        return await _hold_page(con, keys, actor, person_id, release)


async def set_hold(pool: Pool, keys: KeyRing, actor: int, person_id: uuid.UUID, on: bool,
                   form: Mapping[str, str]) -> None:
    """Place or release a hold on a person, with its reason; audited as a change of the
    person's legal_hold and the reason's field. Invalid (no reason, or too long) carries the
    HoldPage to show the form again; placing one twice, or releasing none, is a Conflict."""
    async with pool.acquire() as con:
        try:
            reason = rules.parse_reason(form, "reason", PLACE_MISSING if on else RELEASE_MISSING)
        except Invalid as e:
            e.page = await _hold_page(con, keys, actor, person_id, not on)
            raise
        async with con.transaction():
            if not await store.person_exists(con, person_id):
                raise NotFound("No such person.")
            if on and not await store.place_hold(con, keys, person_id, actor, reason):
                raise Conflict("This person is on legal hold already.")
            if not on and not await store.release_hold(con, keys, person_id, actor, reason):
                raise Conflict("This person is not on legal hold.")
            await audit.change(con, actor, "update", "person", person_id,
                               ["legal_hold", REASON if on else RELEASE_REASON])
