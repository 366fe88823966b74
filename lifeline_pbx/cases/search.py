"""The SQL for finding people: their blind-index tokens, and a search by any part of a name,
A-number, date of birth and facility that opens only the records on the page shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases import people, search_tokens
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.web.paging import Window, capped_count


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


def _tokens(keys: KeyRing, criteria: Criteria) -> list[bytes]:
    tokens = search_tokens.name_query_tokens(keys, criteria.name)
    if criteria.date_of_birth is not None:
        tokens.append(search_tokens.dob_query_token(keys, criteria.date_of_birth))
    return tokens


_MATCHING = """SELECT person_id FROM person_search_tokens WHERE token = ANY($1::bytea[])
               GROUP BY person_id HAVING count(*) = $2"""


def where(keys: KeyRing, criteria: Criteria) -> tuple[str, list[object]]:
    """The WHERE clause (over persons p) and its arguments for these criteria."""
    clauses, args = ["p.merged_into IS NULL"], []
    tokens = _tokens(keys, criteria)
    if tokens:
        args += [tokens, len(tokens)]
        clauses.append(f"p.id IN ({_MATCHING})")
    if criteria.a_number is not None:
        args.append(keys.lookup(criteria.a_number))
        clauses.append(f"p.a_number_key = ${len(args)}")
    if criteria.facility_id is not None:
        args.append(criteria.facility_id)
        clauses.append(f"p.facility_id = ${len(args)}")
    return " AND ".join(clauses), args


async def _matching_ids(con: Conn, keys: KeyRing, criteria: Criteria,
                        at: Window) -> tuple[int, list[uuid.UUID]]:
    if criteria.a_number is None and criteria.facility_id is None:
        # Tokens alone: merged records have none, so persons need not be read at all.
        tokens = _tokens(keys, criteria)
        total = await con.fetchval(capped_count(_MATCHING), tokens, len(tokens))
        rows = await con.fetch(f"{_MATCHING} ORDER BY person_id LIMIT $3 OFFSET $4",
                               tokens, len(tokens), at.per_page, at.offset)
        return total, [r["person_id"] for r in rows]
    clause, args = where(keys, criteria)
    total = await con.fetchval(capped_count(f"SELECT 1 FROM persons p WHERE {clause}"), *args)
    n = len(args)
    rows = await con.fetch(
        f"""SELECT p.id FROM persons p WHERE {clause}
            ORDER BY p.id LIMIT ${n + 1} OFFSET ${n + 2}""", *args, at.per_page, at.offset)
    return total, [r["id"] for r in rows]


async def find(con: Conn, keys: KeyRing, criteria: Criteria,
               at: Window) -> tuple[int, list[people.Person]]:
    """How many people match, and those on the page asked for (in a fixed order: names
    are sealed, so there is no alphabetical one)."""
    total, ids = await _matching_ids(con, keys, criteria, at)
    return total, await people.get_many(con, keys, ids)


def name_given(text: str) -> bool:
    """Whether the typed name holds any word long enough to search by."""
    return bool(search_tokens.query_terms(text))
