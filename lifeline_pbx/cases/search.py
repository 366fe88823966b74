"""The SQL for finding people: their blind-index tokens, and a search by whole words of a
name, A-number, date of birth and facility that opens only the records on the page shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases import people, search_tokens
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.web.paging import Window, capped_count, clamped


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


def _matching(n_tokens: int) -> str:
    """The people holding every one of the tokens $1..$n, in person_id order. Each token's
    rows come out of the primary key (token, person_id) already in that order, so the
    planner merge-joins them and stops as soon as the page or the count's cap is reached,
    where grouping all the rows of two common names took ~70 ms each time."""
    joins = "".join(f"""
        JOIN person_search_tokens t{i} ON t{i}.person_id = t1.person_id AND t{i}.token = ${i}"""
                    for i in range(2, n_tokens + 1))
    return f"SELECT t1.person_id FROM person_search_tokens t1{joins} WHERE t1.token = $1"


def where(keys: KeyRing, criteria: Criteria) -> tuple[str, list[object]]:
    """The WHERE clause (over persons p) and its arguments for these criteria."""
    clauses = ["p.merged_into IS NULL"]
    tokens = _tokens(keys, criteria)
    args: list[object] = list(tokens)  # $1..$n, as _matching numbers them
    if tokens:
        clauses.append(f"p.id IN ({_matching(len(tokens))})")
    if criteria.a_number is not None:
        args.append(keys.lookup(criteria.a_number))
        clauses.append(f"p.id IN ({people.kept_for_a_number(len(args))})")
    if criteria.facility_id is not None:
        args.append(criteria.facility_id)
        clauses.append(f"p.facility_id = ${len(args)}")
    return " AND ".join(clauses), args


async def _matching_ids(con: Conn, keys: KeyRing, criteria: Criteria,
                        at: Window) -> tuple[int, Window, list[uuid.UUID]]:
    if criteria.a_number is None and criteria.facility_id is None:
        # Tokens alone: merged records have none, so persons need not be read at all.
        tokens = _tokens(keys, criteria)
        if not tokens:
            return 0, clamped(at, 0), []
        n = len(tokens)
        total = await con.fetchval(capped_count(_matching(n)), *tokens)
        at = clamped(at, total)
        rows = await con.fetch(
            f"{_matching(n)} ORDER BY t1.person_id LIMIT ${n + 1} OFFSET ${n + 2}",
            *tokens, at.per_page, at.offset)
        return total, at, [r["person_id"] for r in rows]
    clause, args = where(keys, criteria)
    total = await con.fetchval(capped_count(f"SELECT 1 FROM persons p WHERE {clause}"), *args)
    at = clamped(at, total)
    n = len(args)
    rows = await con.fetch(
        f"""SELECT p.id FROM persons p WHERE {clause}
            ORDER BY p.id LIMIT ${n + 1} OFFSET ${n + 2}""", *args, at.per_page, at.offset)
    return total, at, [r["id"] for r in rows]


async def find(con: Conn, keys: KeyRing, criteria: Criteria,
               at: Window) -> tuple[int, Window, list[people.Person]]:
    """How many people match, the page shown (past the end: the last) and those on it (in
    a fixed order: names are sealed, so there is no alphabetical one)."""
    total, at, ids = await _matching_ids(con, keys, criteria, at)
    return total, at, await people.get_many(con, keys, ids)


def name_given(text: str) -> bool:
    """Whether the typed name holds any word long enough to search by."""
    return bool(search_tokens.query_terms(text))
