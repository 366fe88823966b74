"""A user's unsaved intakes (drafts with anything typed), as signing out names them: their
unfinished intakes on calls and their draft not on any call. Signing out with any of them
shows them first, with "Sign out anyway"; they stay in the user's list either way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.accounts import signin
from lifeline_pbx.cases import drafts
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.retention import store as retention


@dataclass(frozen=True)
class Unsaved:
    on_calls: tuple[drafts.OnCall, ...]
    standalone_at: dt.datetime | None  # their draft not on any call, last saved then
    standalone_goes_on: dt.datetime | None = None  # when retention removes that one

    @property
    def count(self) -> int:
        return len(self.on_calls) + (self.standalone_at is not None)


def hold_sign_out(unsaved: Unsaved, anyway: bool) -> bool:
    """Whether signing out stops to show the unsaved intakes first."""
    return unsaved.count > 0 and not anyway


async def of_user(con: Conn, keys: KeyRing, user_id: int) -> Unsaved:
    keep_days = (await retention.limits(con)).drafts
    standalone = await drafts.get(con, keys, user_id, None)
    at = standalone.updated_at if standalone and drafts.typed(standalone.body) else None
    return Unsaved(tuple(await drafts.mine_on_calls(con, keys, user_id, keep_days)), at,
                   None if at is None else drafts.goes_on(at, keep_days))


async def sign_out(pool: asyncpg.Pool[asyncpg.Record], keys: KeyRing, user_id: int | None,
                   token_hash: bytes, anyway: bool) -> Unsaved | None:
    """Ends the session, unless the user has unsaved intakes and did not say "anyway": then
    those, and the session goes on."""
    if user_id is not None:
        async with pool.acquire() as con:
            unsaved = await of_user(con, keys, user_id)
        if hold_sign_out(unsaved, anyway):
            return unsaved
    await signin.sign_out(pool, token_hash)
    return None
