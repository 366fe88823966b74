"""The SQL of what a merge leaves to show: the records merged into a kept one, the
reports that moved with them, each with when and by whom, and which "Held at" entries came
from a merged record.

A merge has no table of its own: the merged record's row keeps `merged_into`, and the
audit entries the merge wrote (action "merge", person_merge.confirm) say when and who.
Audit entries older than the audit's retention may be gone: then the date is not known.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases import anumber
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

ENTRY = "person_facility"  # audit entity of a "Held at" entry a merge brought over
# Whether the person_facilities row `pf` came from a record merged into its person's.
ENTRY_MERGED = f"""EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'merge'
                   AND a.entity = '{ENTRY}' AND a.entity_id = pf.id::text)"""


@dataclass(frozen=True)
class Merged:
    """A record merged into another (its A-number shown, never its names: they are the
    kept record's now)."""

    person_id: uuid.UUID
    a_number: str  # normalised
    at: dt.datetime | None  # None: the audit entry is gone
    by: str

    @property
    def a_number_shown(self) -> str:
        return anumber.display(self.a_number)


@dataclass(frozen=True)
class Moved:
    """A merge that moved a report with its person's record."""

    at: dt.datetime
    by: str


async def merged_into(con: Conn, keys: KeyRing, keep_id: uuid.UUID) -> list[Merged]:
    """The records merged into keep_id (earlier merges into those lead here too), oldest
    merge first."""
    rows = await con.fetch(
        """SELECT p.id, p.a_number, m.at, coalesce(u.display_name, '') AS by
           FROM persons p
                LEFT JOIN LATERAL (
                    SELECT a.at, a.user_id FROM audit_log a
                    WHERE a.action = 'merge' AND a.entity = 'person'
                    AND a.entity_id = p.id::text
                    ORDER BY a.at DESC, a.id DESC LIMIT 1) m ON true
                LEFT JOIN users u ON u.id = m.user_id
           WHERE p.merged_into = $1 ORDER BY m.at NULLS FIRST, p.id""", keep_id)
    return [Merged(r["id"], keys.open(r["a_number"], place("persons", "a_number", r["id"])),
                   r["at"], r["by"]) for r in rows]


async def report_ids(con: Conn, person_id: uuid.UUID) -> list[uuid.UUID]:
    """The reports filed under the person (those a merge of their record moves)."""
    rows = await con.fetch("SELECT id FROM reports WHERE person_id = $1 ORDER BY id", person_id)
    return [r["id"] for r in rows]


async def entry_ids(con: Conn, person_id: uuid.UUID) -> list[int]:
    """The person's "Held at" entries, struck ones too (those a merge of their record
    brings over)."""
    rows = await con.fetch(
        "SELECT id FROM person_facilities WHERE person_id = $1 ORDER BY id", person_id)
    return [r["id"] for r in rows]


async def report_moves(con: Conn, report_id: uuid.UUID) -> list[Moved]:
    """The merges that moved the report with its person's record, oldest first."""
    rows = await con.fetch(
        """SELECT a.at, coalesce(u.display_name, '') AS by
           FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
           WHERE a.action = 'merge' AND a.entity = 'report' AND a.entity_id = $1
           ORDER BY a.at, a.id""", str(report_id))
    return [Moved(r["at"], r["by"]) for r in rows]
