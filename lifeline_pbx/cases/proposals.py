"""The SQL for proposed corrections of a person's identity (migrations/0014): what an
operator's intake said that differs from the record, until a supervisor decides."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.cases import correction_words
from lifeline_pbx.cases.identity_rules import Proposal
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Proposed:
    id: uuid.UUID
    person_id: uuid.UUID
    intake_id: uuid.UUID | None
    proposed_by: str
    proposed_at: dt.datetime
    fields: tuple[str, ...]
    status: str

    @property
    def said(self) -> str:
        """Its fields in words, as corrections say them ("Names, Date of birth")."""
        return correction_words.labels(self.fields)


@dataclass(frozen=True)
class Opened:
    proposed: Proposed
    proposal: Proposal


_SELECT = """SELECT pp.id, pp.person_id, pp.intake_id, u.display_name AS proposed_by,
                    pp.proposed_at, pp.fields, pp.status, pp.content
             FROM person_proposals pp JOIN users u ON u.id = pp.proposed_by"""


def _proposed(r: asyncpg.Record) -> Proposed:
    return Proposed(r["id"], r["person_id"], r["intake_id"], r["proposed_by"],
                    r["proposed_at"], tuple(r["fields"]), r["status"])


def _opened(r: asyncpg.Record, keys: KeyRing) -> Opened:
    value = keys.open_json(r["content"], place("person_proposals", "content", r["id"]))
    return Opened(_proposed(r), Proposal.from_json(value))


async def insert(con: Conn, keys: KeyRing, person_id: uuid.UUID, intake_id: uuid.UUID,
                 user_id: int, proposal: Proposal) -> uuid.UUID:
    pid = uuid.uuid4()
    await con.execute(
        """INSERT INTO person_proposals (id, person_id, intake_id, proposed_by, fields, content)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        pid, person_id, intake_id, user_id, proposal.fields(),
        keys.seal_json(proposal.to_json(), place("person_proposals", "content", pid)))
    return pid


async def open_of_intake(con: Conn, keys: KeyRing, intake_id: uuid.UUID) -> list[Proposal]:
    """What an intake already proposes (so that saving it again proposes nothing twice)."""
    rows = await con.fetch(f"{_SELECT} WHERE pp.intake_id = $1 AND pp.status = 'open'",
                           intake_id)
    return [_opened(r, keys).proposal for r in rows]


async def open_ids_of_intake(con: Conn, intake_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await con.fetch("""SELECT id FROM person_proposals WHERE intake_id = $1
                              AND status = 'open' ORDER BY id""", intake_id)
    return [r["id"] for r in rows]


async def rewrite(con: Conn, keys: KeyRing, proposal_id: uuid.UUID,
                  proposal: Proposal) -> None:
    """What an open proposal proposes, narrowed (its fields too)."""
    await con.execute(
        "UPDATE person_proposals SET fields = $2, content = $3 WHERE id = $1",
        proposal_id, proposal.fields(),
        keys.seal_json(proposal.to_json(), place("person_proposals", "content", proposal_id)))


async def open_for_persons(con: Conn, keys: KeyRing,
                           person_ids: list[uuid.UUID]) -> list[Opened]:
    rows = await con.fetch(
        f"""{_SELECT} WHERE pp.person_id = ANY($1::uuid[]) AND pp.status = 'open'
            ORDER BY pp.proposed_at, pp.id""", person_ids)
    return [_opened(r, keys) for r in rows]


async def open_listing(con: Conn, limit: int) -> list[Proposed]:
    """The oldest open proposals (field names only: nothing sealed is opened)."""
    rows = await con.fetch(
        f"{_SELECT} WHERE pp.status = 'open' ORDER BY pp.proposed_at, pp.id LIMIT $1", limit)
    return [_proposed(r) for r in rows]


async def lock(con: Conn, keys: KeyRing, proposal_id: uuid.UUID) -> Opened | None:
    row = await con.fetchrow(f"{_SELECT} WHERE pp.id = $1 FOR UPDATE OF pp", proposal_id)
    return None if row is None else _opened(row, keys)


async def decide(con: Conn, proposal_id: uuid.UUID, status: str, user_id: int) -> None:
    await con.execute(
        """UPDATE person_proposals SET status = $2, decided_by = $3, decided_at = now()
           WHERE id = $1""", proposal_id, status, user_id)
