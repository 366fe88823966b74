"""Units of work on proposed corrections of a person: list them, show them on the person's
page, accept (the record changes through people.save, which keeps the search tokens in
step) or reject. Each one transaction with its audit entries (field names only)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from lifeline_pbx import audit
from lifeline_pbx.cases import identity_rules, people, proposals
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound

MAX_LISTED = 200
DECISIONS = {"accept": "accepted", "reject": "rejected"}


async def listing(con: Conn) -> list[proposals.Proposed]:
    """The oldest open proposals, field names only (no values, so no view to audit)."""
    return await proposals.open_listing(con, MAX_LISTED)


async def for_person(con: Conn, keys: KeyRing, person: people.Person, ids: list[uuid.UUID],
                     user_id: int) -> list[proposals.Opened]:
    """The open proposals about the person (and records merged into theirs: ids, their
    merged_ids), audited as viewed, each showing only what the record does not already say
    (none left: the page says so, and accepting it changes nothing)."""
    async with con.transaction():
        found = await proposals.open_for_persons(con, keys, ids)
        await audit.record_views(con, user_id, (
            ("person_proposal", item.proposed.id, item.proposed.fields) for item in found))
    return [replace(item, proposal=identity_rules.still_proposed(person, item.proposal))
            for item in found]


async def decide(con: Conn, keys: KeyRing, proposal_id: uuid.UUID, decision: str,
                 user_id: int) -> tuple[uuid.UUID, list[str]]:
    """Accept or reject; returns the person (the kept record, if theirs was merged) and the
    fields of their record that changed."""
    if decision not in DECISIONS:
        raise Invalid("Accept or reject?", "decision")
    async with con.transaction():
        item = await proposals.lock(con, keys, proposal_id)
        if item is None:
            raise NotFound("No such proposed correction.")
        if item.proposed.status != "open":
            raise Conflict(f"This correction was already {item.proposed.status}.")
        person = await people.get(con, keys, item.proposed.person_id)
        if person is None:
            raise NotFound("No such person.")
        changed: list[str] = []
        if decision == "accept":
            person = await people.locked(con, keys, person)
            changed = await people.save(con, keys, person,
                                        identity_rules.accepted(person, item.proposal),
                                        user_id)
            if changed:
                await audit.record(con, user_id, "update", "person", person.id, changed)
        await proposals.decide(con, proposal_id, DECISIONS[decision], user_id)
        await audit.record(con, user_id, "update", "person_proposal", proposal_id, ("status",))
    return person.id, changed
