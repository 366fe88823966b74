"""A relay call placed for a follow-up: who may place it, and the note its end writes in
that follow-up's thread (cases/followup_work.py: the assignee or a supervisor may work a
follow-up; the note is sealed and audited there)."""

from __future__ import annotations

import uuid

import asyncpg

from lifeline_pbx.cases import followup_rules, followup_work, followups
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.errors import Forbidden, NotFound

NO_FOLLOW_UP = "No such follow-up."
NOT_YOURS = "Only the assignee or a supervisor can call for this follow-up."


def text(answered: bool, seconds: int) -> str:
    if answered:
        return f"Relay call answered ({seconds} s): relay message delivered."
    return "Relay call placed, not answered: the message is not delivered yet."


async def check(pool: asyncpg.Pool, follow_up_id: uuid.UUID, user_id: int,
                supervisor: bool) -> None:
    async with pool.acquire() as con, con.transaction():
        current = await followups.lock(con, follow_up_id)
    if current is None:
        raise NotFound(NO_FOLLOW_UP)
    if not followup_rules.may_work(user_id, supervisor, current.assignee_id):
        raise Forbidden(NOT_YOURS)


async def write(pool: asyncpg.Pool, keys: KeyRing, follow_up_id: uuid.UUID, user_id: int,
                supervisor: bool, answered: bool, seconds: int) -> None:
    async with pool.acquire() as con:
        await followup_work.add_note(con, keys, follow_up_id, user_id, supervisor,
                                     text(answered, seconds))
