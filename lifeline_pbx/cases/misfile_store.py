"""The SQL of misfiled records put right (migrations/0043): intakes moved between people
(intake_moves), entries of where a person was held struck as mistakes, and what an
intake's save wrote into a person's record, as far as the database tells."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lifeline_pbx.cases import merge_history, misfile_rules
from lifeline_pbx.cases.held_at import Entry
from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Move:
    """An intake moved into or out of a person's record, as their page lists it."""

    intake_id: uuid.UUID
    moved_at: dt.datetime
    moved_by: str
    here: bool  # moved onto this record (False: away from it)
    other_id: uuid.UUID  # the other record (linked, never named)
    removed: tuple[str, ...]  # misfile_rules.Removal.taken

    @property
    def removed_said(self) -> str:
        return misfile_rules.taken_said(self.removed)


@dataclass(frozen=True)
class Struck:
    facility: str
    noted_at: dt.datetime
    struck_at: dt.datetime
    struck_by: str


async def entries(con: Conn, person_id: uuid.UUID) -> list[Entry]:
    """Every entry of where the person was held, struck ones too, oldest first."""
    rows = await con.fetch(
        f"""SELECT id, facility_id, struck_at IS NOT NULL AS struck,
                   {merge_history.ENTRY_MERGED} AS merged
            FROM person_facilities pf WHERE person_id = $1 ORDER BY noted_at, id""",
        person_id)
    return [Entry(r["id"], r["facility_id"], r["struck"], r["merged"]) for r in rows]


async def entry_of_save(con: Conn, person_id: uuid.UUID, at: dt.datetime,
                        user_id: int) -> int | None:
    """The entry noted by the transaction that saved an intake (same instant, same
    author: now() is the transaction's start), if it is still in force."""
    found: int | None = await con.fetchval(
        """SELECT id FROM person_facilities WHERE person_id = $1 AND noted_at = $2
           AND noted_by = $3 AND struck_at IS NULL ORDER BY id DESC LIMIT 1""",
        person_id, at, user_id)
    return found


async def fields_changed_at(con: Conn, person_id: uuid.UUID, at: dt.datetime,
                            user_id: int) -> tuple[str, ...]:
    """The person's fields that an intake's save changed (its audit entries: names only)."""
    rows = await con.fetch(
        """SELECT DISTINCT unnest(fields) AS field FROM audit_log
           WHERE entity = 'person' AND entity_id = $1 AND at = $2 AND user_id = $3
           AND action = 'update' ORDER BY 1""", str(person_id), at, user_id)
    return tuple(r["field"] for r in rows)


async def strike(con: Conn, entry_id: int, user_id: int) -> None:
    await con.execute(
        """UPDATE person_facilities SET struck_at = now(), struck_by = $2
           WHERE id = $1 AND struck_at IS NULL""", entry_id, user_id)


async def struck(con: Conn, person_ids: list[uuid.UUID]) -> list[Struck]:
    rows = await con.fetch(
        """SELECT f.name, pf.noted_at, pf.struck_at, coalesce(u.display_name, '') AS by
           FROM person_facilities pf JOIN facilities f ON f.id = pf.facility_id
                LEFT JOIN users u ON u.id = pf.struck_by
           WHERE pf.person_id = ANY($1::uuid[]) AND pf.struck_at IS NOT NULL
           ORDER BY pf.noted_at, pf.id""", person_ids)
    return [Struck(r["name"], r["noted_at"], r["struck_at"], r["by"]) for r in rows]


async def refile(con: Conn, intake_id: uuid.UUID, report_ids: Sequence[uuid.UUID],
                 to_person: uuid.UUID) -> list[uuid.UUID]:
    """The intake, its follow-ups and its open proposals onto the person (its reports are
    rewritten one by one, as revisions); returns the follow-ups moved."""
    await con.execute("UPDATE intakes SET person_id = $2 WHERE id = $1", intake_id, to_person)
    await con.execute(
        "UPDATE person_proposals SET person_id = $2 WHERE intake_id = $1 AND status = 'open'",
        intake_id, to_person)
    rows = await con.fetch(
        """UPDATE follow_ups SET person_id = $3
           WHERE intake_id = $1 OR report_id = ANY($2::uuid[]) RETURNING id""",
        intake_id, list(report_ids), to_person)
    return [r["id"] for r in rows]


async def record_move(con: Conn, intake_id: uuid.UUID, from_person: uuid.UUID,
                      to_person: uuid.UUID, user_id: int, removed: Sequence[str]) -> None:
    await con.execute(
        """INSERT INTO intake_moves (intake_id, from_person, to_person, moved_by, removed)
           VALUES ($1, $2, $3, $4, $5)""",
        intake_id, from_person, to_person, user_id, list(removed))


async def was_moved(con: Conn, intake_id: uuid.UUID) -> bool:
    moved: bool = await con.fetchval(
        "SELECT EXISTS (SELECT FROM intake_moves WHERE intake_id = $1)", intake_id)
    return moved


async def moves(con: Conn, person_ids: list[uuid.UUID]) -> list[Move]:
    """The intakes moved onto or away from these records, oldest first."""
    rows = await con.fetch(
        """SELECT m.intake_id, m.moved_at, coalesce(u.display_name, '') AS by,
                  m.to_person = ANY($1::uuid[]) AS here,
                  CASE WHEN m.to_person = ANY($1::uuid[]) THEN m.from_person
                       ELSE m.to_person END AS other, m.removed
           FROM intake_moves m LEFT JOIN users u ON u.id = m.moved_by
           WHERE m.from_person = ANY($1::uuid[]) OR m.to_person = ANY($1::uuid[])
           ORDER BY m.moved_at, m.id""", person_ids)
    return [Move(r["intake_id"], r["moved_at"], r["by"], r["here"], r["other"],
                 tuple(r["removed"])) for r in rows]
