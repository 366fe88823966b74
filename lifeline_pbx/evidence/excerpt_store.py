"""The SQL of excerpt release: the report an excerpt is written from (sealed values as
stored), and the excerpt written, changed or withdrawn. excerpts.py opens and seals."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.db import Conn


@dataclass(frozen=True)
class Subject:
    report_id: uuid.UUID
    facility_id: int
    facility: str
    category_label: str
    severity: str
    month: dt.date  # recorded, in the facility's time zone
    housing_unit: str
    person_id: uuid.UUID | None
    narrative: bytes | None  # sealed; None once retention cleared it
    names: bytes | None  # the person's, sealed; None without a person
    partners: tuple[str, ...]  # whom the person consented to share with
    excerpt: bytes | None  # sealed; None: none released
    released_by: str
    released_at: dt.datetime | None


async def subject(con: Conn, report_id: uuid.UUID, *, lock: bool = False) -> Subject | None:
    row = await con.fetchrow(
        f"""SELECT r.id, r.facility_id, f.name AS facility, c.label AS category_label,
                   r.severity, date_trunc('month', r.created_at AT TIME ZONE f.timezone)::date
                   AS month, r.housing_unit, r.person_id, r.narrative, p.names,
                   coalesce((SELECT array_agg(pa.name ORDER BY pa.name)
                               FROM report_consents rc JOIN partners pa ON pa.id = rc.partner_id
                              WHERE rc.report_id = r.id), '{{}}') AS partners,
                   e.excerpt, coalesce(u.display_name, '') AS released_by, e.released_at
              FROM reports r JOIN facilities f ON f.id = r.facility_id
              JOIN report_categories c ON c.code = r.category
              LEFT JOIN persons p ON p.id = r.person_id
              LEFT JOIN report_excerpts e ON e.report_id = r.id
              LEFT JOIN users u ON u.id = e.released_by
             WHERE r.id = $1 {"FOR UPDATE OF r" if lock else ""}""", report_id)
    if row is None:
        return None
    return Subject(row["id"], row["facility_id"], row["facility"], row["category_label"],
                   row["severity"], row["month"], row["housing_unit"], row["person_id"],
                   _bytes(row["narrative"]), _bytes(row["names"]), tuple(row["partners"]),
                   _bytes(row["excerpt"]), row["released_by"], row["released_at"])


def _bytes(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


async def save(con: Conn, report_id: uuid.UUID, sealed: bytes, user_id: int) -> None:
    """Release the excerpt, or replace the one released (who and when are the latest)."""
    await con.execute(
        """INSERT INTO report_excerpts (report_id, excerpt, released_by) VALUES ($1, $2, $3)
           ON CONFLICT (report_id) DO UPDATE SET excerpt = EXCLUDED.excerpt,
               released_by = EXCLUDED.released_by, released_at = now()""",
        report_id, sealed, user_id)


async def withdraw(con: Conn, report_id: uuid.UUID) -> bool:
    """False when no excerpt was released."""
    removed = await con.fetchval(
        "DELETE FROM report_excerpts WHERE report_id = $1 RETURNING report_id", report_id)
    return removed is not None
