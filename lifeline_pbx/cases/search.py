"""The SQL for finding people: their blind-index tokens, and a search by any part of a name,
A-number, date of birth and facility that opens only the records on the page shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lifeline_pbx.cases import people, search_tokens
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.web.paging import Window


@dataclass(frozen=True)
class Criteria:
    name: str = ""
    a_number: str | None = None  # normalised
    date_of_birth: dt.date | None = None
    facility_id: int | None = None

    def fields(self) -> list[str]:
        """What was searched by (for the audit entry), never the values."""
        given = {"names": self.name, "a_number": self.a_number,
                 "date_of_birth": self.date_of_birth, "facility_id": self.facility_id}
        return [name for name, value in given.items() if value]


def where(keys: KeyRing, criteria: Criteria) -> tuple[str, list[object]]:
    """The WHERE clause (over persons p) and its arguments for these criteria."""
    clauses, args = ["p.merged_into IS NULL"], []
    tokens = search_tokens.name_query_tokens(keys, criteria.name)
    if criteria.date_of_birth is not None:
        tokens.append(search_tokens.dob_query_token(keys, criteria.date_of_birth))
    if tokens:
        args += [tokens, len(tokens)]
        clauses.append(f"""p.id IN (SELECT person_id FROM person_search_tokens
                                    WHERE token = ANY(${len(args) - 1}::bytea[])
                                    GROUP BY person_id HAVING count(*) = ${len(args)})""")
    if criteria.a_number is not None:
        args.append(keys.lookup(criteria.a_number))
        clauses.append(f"p.a_number_key = ${len(args)}")
    if criteria.facility_id is not None:
        args.append(criteria.facility_id)
        clauses.append(f"p.facility_id = ${len(args)}")
    return " AND ".join(clauses), args


async def find(con: Conn, keys: KeyRing, criteria: Criteria,
               at: Window) -> tuple[int, list[people.Person]]:
    """How many people match, and those on the page asked for (newest changes first)."""
    clause, args = where(keys, criteria)
    total = await con.fetchval(f"SELECT count(*) FROM persons p WHERE {clause}", *args)
    n = len(args)
    ids = await con.fetch(
        f"""SELECT p.id FROM persons p WHERE {clause}
            ORDER BY p.updated_at DESC, p.id LIMIT ${n + 1} OFFSET ${n + 2}""",
        *args, at.per_page, at.offset)
    return total, await people.get_many(con, keys, [r["id"] for r in ids])


def name_given(text: str) -> bool:
    """Whether the typed name holds any word long enough to search by."""
    return bool(search_tokens.query_terms(text))
