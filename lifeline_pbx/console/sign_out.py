"""Signing out of the web, and the operator's queues: an operator who signs out of their
last browser is logged out of the queues too, so no call is put through to a phone whose
operator has no console and no intake form. Another browser still signed in keeps them in
(its console is still open)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from lifeline_pbx.accounts import sessions
from lifeline_pbx.cases import unsaved
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.queues.acd import Acd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedOut:
    left_queues: bool  # the operator was logged out of the queues with it


@dataclass(frozen=True)
class Leaving:
    """Who signs out: their user, the SIP account linked to it, this session."""
    user_id: int | None
    operator: str | None
    token_hash: bytes


def leaves_queues(linked: bool, logged_in: bool, other_sessions: int) -> bool:
    """Whether signing out of the web logs the operator out of the queues."""
    return linked and logged_in and other_sessions == 0


async def sign_out(pool: asyncpg.Pool[asyncpg.Record], keys: KeyRing, distributor: Acd | None,
                   leaving: Leaving, anyway: bool, idle: timedelta, lifetime: timedelta
                   ) -> unsaved.Unsaved | SignedOut:
    """Ends the session (unless unsaved intakes hold it: then those), then logs the
    operator out of the queues if this was their last session. distributor: None when the
    app runs without the call engine."""
    held = await unsaved.sign_out(pool, keys, leaving.user_id, leaving.token_hash, anyway)
    if held is not None:
        return held
    if distributor is None or leaving.user_id is None:
        return SignedOut(left_queues=False)  # no queues here, or not fully signed in
    operator = leaving.operator or ""
    known = distributor.picture.operators.get(operator)
    async with pool.acquire() as con:
        others = await sessions.count_alive(con, leaving.user_id, idle, lifetime)
    if not leaves_queues(bool(operator), known is not None and known.logged_in, others):
        return SignedOut(left_queues=False)
    left = await distributor.operator_action(operator, "logout")
    if left:
        log.info("signed out of the web: logged out of the queues operator=%s", operator)
    return SignedOut(left_queues=left)
