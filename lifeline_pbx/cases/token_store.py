"""The SQL for the blind-index tokens a person is found under (search_tokens.py makes them).

Kept in step by people.py whenever names or the date of birth change, dropped when a
record is merged into another, and rebuilt under new keys by rotation.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from lifeline_pbx.cases import search_tokens
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn


async def set_tokens(con: Conn, keys: KeyRing, person_id: uuid.UUID, names: Iterable[str],
                     dob: dt.date | None) -> None:
    """Make the person's tokens those of these names and date of birth."""
    tokens = list(search_tokens.person_tokens(keys, names, dob))
    await con.execute(
        """DELETE FROM person_search_tokens
           WHERE person_id = $1 AND NOT (token = ANY($2::bytea[]))""",
        person_id, tokens)
    await con.execute(
        """INSERT INTO person_search_tokens (token, person_id)
           SELECT unnest($2::bytea[]), $1 ON CONFLICT DO NOTHING""",
        person_id, tokens)


async def drop_tokens(con: Conn, person_id: uuid.UUID) -> None:
    await con.execute("DELETE FROM person_search_tokens WHERE person_id = $1", person_id)
