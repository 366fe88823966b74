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
from lifeline_pbx.web import form_keys

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
    unreviewed: set[object] = set()  # a message kept, and its audio, count once
    steps = (("drafts", store.remove_drafts), ("narratives", store.remove_narratives),
             ("voicemails", store.remove_voicemails), ("recordings", store.remove_recordings),
             ("call_records", store.remove_calls))
    for name, remove in steps:
        cutoff = getattr(cut, name)
        if cutoff is not None:
            due = await remove(con, cutoff)
            counts[name], held = len(due.ids), held + due.held
            excerpts += due.excerpts
            unreviewed.update(due.unreviewed)
    if cut.audit_entries is not None:
        counts["audit_entries"] = await store.remove_audit_entries(con, cut.audit_entries)
    return Removed(**counts, held=held, excerpts=excerpts,
                   unreviewed=len(unreviewed))


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
    kept_unreviewed: int = 0  # voicemails past their limit that nobody has reviewed


async def settings_page_of(con: Conn, now: datetime | None = None) -> SettingsPage:
    limits = await store.limits(con)
    cutoff = rules.message_cutoff(rules.cutoffs(limits, now or datetime.now(UTC)))
    kept = 0 if cutoff is None else await store.unreviewed_past(con, cutoff)
    return SettingsPage(limits, await store.runs(con), kept)


async def settings_page(pool: Pool) -> SettingsPage:
    async with pool.acquire() as con:
        return await settings_page_of(con)


async def save_settings(pool: Pool, actor: int, form: Mapping[str, str]) -> None:
    """Invalid (each problem by field, nothing saved) carries the page to show again."""
    async with pool.acquire() as con, page_on_refusal(lambda: settings_page_of(con)):
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


async def in_force(con: Conn, keys: KeyRing, actor: int,
                   person_id: uuid.UUID) -> list[store.Hold]:
    """The person's holds in force, as their page lists them with each reason: the reasons
    shown audited as the list audits them (one view entry naming the field)."""
    async with con.transaction():
        found = await store.in_force(con, keys, person_id)
        if any(h.reason is not None for h in found):
            await audit.record(con, actor, "view", "person", person_id, [REASON])
    return found


def _reasons(hold: store.Hold) -> list[str]:
    return ([REASON] if hold.reason is not None else []) + (
        [RELEASE_REASON] if hold.release_reason is not None else [])


NO_SUCH_HOLD = "No such legal hold on this person."
RELEASED = "This legal hold was released already."
MERGED = ("This record was merged into another: its legal holds are on that person's page.")


@dataclass(frozen=True)
class HoldPage:
    """The form that places a hold, or the one that confirms the release of one."""

    person_id: uuid.UUID
    a_number: str  # normalised
    hold: store.Hold | None  # the hold to release (None: placing one)
    after_release: list[str]  # what retention may then remove (rules.after_release)
    others_in_force: int = 0  # the person's other holds in force (releasing)


async def _unmerged(con: Conn, keys: KeyRing, person_id: uuid.UUID) -> people.Person:
    """The person, not one merged into another (their holds moved with the merge)."""
    person = await people.get(con, keys, person_id, follow=False)
    if person is None:
        raise NotFound("No such person.")
    if person.merged_into is not None:
        raise Conflict(MERGED, link=f"/people/{person.merged_into}")
    return person


async def _in_force(con: Conn, keys: KeyRing, person_id: uuid.UUID,
                    hold_id: int) -> store.Hold:
    """The person's hold of that id, still in force."""
    hold = await store.hold(con, keys, hold_id)
    if hold is None or hold.person_id != person_id:
        raise NotFound(NO_SUCH_HOLD)
    if hold.released_at is not None:
        raise Conflict(RELEASED, link=f"/people/{person_id}")
    return hold


async def _hold_page(con: Conn, keys: KeyRing, actor: int, person_id: uuid.UUID,
                     hold_id: int | None) -> HoldPage:
    async with con.transaction():
        person = await _unmerged(con, keys, person_id)
        hold = None if hold_id is None else await _in_force(con, keys, person_id, hold_id)
        shown = ["a_number"] + (_reasons(hold) if hold else [])
        await audit.record(con, actor, "view", "person", person_id, shown)
        if hold is None:
            return HoldPage(person_id, person.a_number, None, [])
        others = await store.others_in_force(con, person_id, hold.id)
        after = rules.after_release(await store.limits(con))
    return HoldPage(person_id, person.a_number, hold, after, others)


async def hold_page(pool: Pool, keys: KeyRing, actor: int, person_id: uuid.UUID,
                    hold_id: int | None) -> HoldPage:
    """The form placing a hold on the person (hold_id None), or releasing that hold of
    theirs (shown with its reason): the A-number and the reason audited as read."""
    async with pool.acquire() as con:
        return await _hold_page(con, keys, actor, person_id, hold_id)


OTHER_PERSON = "This form placed a hold on another person: go back to this person's page."


async def _place(con: Conn, keys: KeyRing, actor: int, person_id: uuid.UUID, reason: str,
                 form_key: uuid.UUID) -> bool:
    """Place the hold; False when that form placed it already (posted again)."""
    if await store.place_hold(con, keys, person_id, actor, reason, form_key) is not None:
        return True
    if await store.person_of_form(con, form_key) != person_id:
        raise Conflict(OTHER_PERSON)
    return False


async def save_hold(pool: Pool, keys: KeyRing, actor: int, person_id: uuid.UUID,
                    hold_id: int | None, form: Mapping[str, str]) -> None:
    """Place a new hold on the person (hold_id None), beside any in force, or release that
    hold of theirs (the others stay in force), with its reason; audited as a change of the
    person's legal_hold and the reason's field. The place form's key (made when it was
    opened) makes a repeat of it place nothing more, and answer as the first did. Invalid
    (no reason, or too long) carries the HoldPage to show the form again; a hold not theirs
    is NotFound, one released already a Conflict."""
    missing = PLACE_MISSING if hold_id is None else RELEASE_MISSING
    async with pool.acquire() as con:
        try:
            reason = rules.parse_reason(form, "reason", missing)
            key = form_keys.posted(form)
        except Invalid as e:
            e.page = await _hold_page(con, keys, actor, person_id, hold_id)
            raise
        async with con.transaction():
            await people.lock(con, person_id)  # against a merge moving holds meanwhile
            await _unmerged(con, keys, person_id)
            if hold_id is None:
                if not await _place(con, keys, actor, person_id, reason, key):
                    return
            else:
                await _in_force(con, keys, person_id, hold_id)
                if not await store.release_hold(con, keys, hold_id, actor, reason):
                    # released by someone else just now
                    raise Conflict(RELEASED, link=f"/people/{person_id}")
            await audit.change(con, actor, "update", "person", person_id,
                               ["legal_hold", REASON if hold_id is None else RELEASE_REASON])
