"""The append-only audit log: who viewed or changed which record, and which fields.

Never the values. The table refuses UPDATE, DELETE and TRUNCATE (migrations/0004); it
belongs to a role the application does not log in as, and each entry carries the hash of
the one before, linked as the transaction commits (migrations/0008 and 0017, chain.py).
Write the entry in the same transaction as the change it describes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)
Action = Literal["view", "create", "update", "merge", "export", "delete", "supervise"]


_INSERT = """INSERT INTO audit_log (user_id, action, entity, entity_id, fields)
              VALUES ($1, $2, $3, $4, $5)"""


async def record(
    con: Conn, user_id: int | None, action: Action, entity: str, entity_id: object,
    fields: Iterable[str] = (),
) -> None:
    await con.execute(_INSERT, user_id, action, entity, str(entity_id), sorted(set(fields)))


async def change(con: Conn, actor: int | None, action: Action, entity: str, entity_id: object,
                 fields: Sequence[str]) -> None:
    """The entry of an admin's change (configuration, users, reference lists), and one log
    line for whoever runs the system (ids and field names only). No actor: the `lifeline`
    command, run by whoever holds the server."""
    await record(con, actor, action, entity, entity_id, fields)
    log.info("change %s by %s entity=%s id=%s fields=%s", action,
             "command" if actor is None else f"user_id={actor}", entity, entity_id,
             ",".join(sorted(fields)))


async def record_views(
    con: Conn, user_id: int, shown: Iterable[tuple[str, object, Iterable[str]]],
) -> None:
    """One "view" entry for each (entity, id, fields) a page shows, in one round trip."""
    await con.executemany(_INSERT, [(user_id, "view", entity, str(entity_id),
                                     sorted(set(fields))) for entity, entity_id, fields in shown])
