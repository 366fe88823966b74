"""An operator looks up the A-number typed for their call (lookup_rules.py decides).

Each allowed lookup is remembered with the call (call_lookups, as the A-number's keyed
hash) and audited like every search; a refused one writes nothing and shows nobody.
"""

from __future__ import annotations

import datetime as dt
import uuid

from lifeline_pbx.cases import lookup_rules, lookup_store, person_work, their_calls
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Forbidden


async def lookup(con: Conn, keys: KeyRing, normalised: str, user_id: int,
                 call_id: uuid.UUID | None, *, bridged_here: bool = False
                 ) -> person_work.History | None:
    """bridged_here: the call is bridged to the user's phone now (see binding.resolve)."""
    if call_id is None:
        raise Forbidden(lookup_rules.NOT_DURING)
    async with con.transaction():
        await lookup_store.lock(con, call_id, user_id)
        call = await their_calls.get(con, call_id, user_id)
        if call is None or not (bridged_here or (call.theirs and lookup_rules.during_call(
                call.started_at, call.ended_at, dt.datetime.now(dt.UTC)))):
            raise Forbidden(lookup_rules.NOT_DURING)
        key = keys.lookup(normalised)
        if reason := lookup_rules.refusal(await lookup_store.seen(con, call_id, user_id), key):
            raise Forbidden(reason)
        history = await person_work.lookup(con, keys, normalised, user_id)
        await lookup_store.remember(con, call_id, user_id, key,
                                    None if history is None else history.person.id)
    return history
