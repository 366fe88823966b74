"""An operator looks up the A-number typed for their call (lookup_rules.py decides).

Each allowed lookup is remembered with the call (call_lookups, as the A-number's keyed
hash) and audited like every search; a refused one writes nothing and shows nobody.
"""

from __future__ import annotations

import datetime as dt
import uuid

from lifeline_pbx.cases import lookup_rules, person_work
from lifeline_pbx.cases.person_work import Forbidden
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn


async def _seen(con: Conn, call_id: uuid.UUID, user_id: int) -> list[tuple[bytes, bool]]:
    """The A-numbers looked up for the call, and the person its saved intake is about (a
    person found is compared by their record's key, which key rotation keeps current)."""
    rows = await con.fetch(
        """SELECT coalesce(p.a_number_key, l.a_number_key) AS a_number_key,
                  l.person_id IS NOT NULL AS found
           FROM call_lookups l LEFT JOIN persons p ON p.id = l.person_id
           WHERE l.call_id = $1 AND l.user_id = $2
           UNION ALL
           SELECT p.a_number_key, true FROM intakes i JOIN persons p ON p.id = i.person_id
           WHERE i.call_id = $1 AND i.user_id = $2""",
        call_id, user_id)
    return [(bytes(r["a_number_key"]), r["found"]) for r in rows]


async def lookup(con: Conn, keys: KeyRing, normalised: str, user_id: int,
                 call_id: uuid.UUID | None, *, bridged_here: bool = False
                 ) -> person_work.History | None:
    """bridged_here: the call is bridged to the user's phone now (see binding.resolve)."""
    if call_id is None:
        raise Forbidden(lookup_rules.NOT_DURING)
    async with con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 2))",
                          f"lookup:{call_id}:{user_id}")
        call = await con.fetchrow(
            """SELECT c.started_at, c.ended_at,
                      EXISTS (SELECT 1 FROM users u
                              WHERE u.id = $2 AND u.operator_id = c.operator_id) AS theirs
               FROM calls c WHERE c.id = $1""", call_id, user_id)
        if call is None or not (bridged_here or (
                call["theirs"] and lookup_rules.during_call(
                    call["started_at"], call["ended_at"], dt.datetime.now(dt.UTC)))):
            raise Forbidden(lookup_rules.NOT_DURING)
        key = keys.lookup(normalised)
        if reason := lookup_rules.refusal(await _seen(con, call_id, user_id), key):
            raise Forbidden(reason)
        history = await person_work.lookup(con, keys, normalised, user_id)
        await con.execute(
            """INSERT INTO call_lookups (call_id, user_id, a_number_key, person_id)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (call_id, user_id, a_number_key)
               DO UPDATE SET person_id = EXCLUDED.person_id, looked_up_at = now()""",
            call_id, user_id, key, None if history is None else history.person.id)
    return history
