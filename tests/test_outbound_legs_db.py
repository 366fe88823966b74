"""Outbound legs against a real PostgreSQL: the limits count under one lock (requests at
once cannot both take the last leg), every request is recorded with its audit entry and the
number sealed, refused ones too. Asterisk is unreachable here (a real connection refused):
an allowed leg is then recorded as failed, and the caller of `place` told it was not placed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from lifeline_pbx import crypto
from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.operators import store as operators
from lifeline_pbx.outbound.guard import Policy, Refusal
from lifeline_pbx.outbound.legs import NotPlaced, OutboundLegs, Request, Target
from lifeline_pbx.prompts import LANGUAGES
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
POLICY = Policy(trunk="carrier-out", per_operator_hour=2, per_hour=3)
NUMBER = "+12025550143"


@pytest.fixture
async def legs(app_dsn: str) -> AsyncIterator[tuple[OutboundLegs, asyncpg.Pool]]:
    pool = await asyncpg.create_pool(app_dsn, min_size=4, max_size=8)
    assert pool is not None
    async with ari_http_session() as http:
        ari = AriClient("http://127.0.0.1:9", "none", "none", "lifeline", http, timeout=2)
        yield OutboundLegs(ari, pool, KEYS, POLICY), pool
    await pool.close()


async def _operator(pool: asyncpg.Pool, username: str) -> int:
    async with pool.acquire() as con:
        op = await operators.add(con, operators.validate(
            f"Operator {username}", username, "a-Secret-for-tests-1", ("en",), LANGUAGES))
    return op.id


def request(operator: int | None, number: str = NUMBER) -> Request:
    return Request("callback", None, Target(number=number), 20, '"Lifeline" <15550100101>',
                   requested_by=operator)


async def test_limits_hold_when_requests_come_at_once(
    legs: tuple[OutboundLegs, asyncpg.Pool],
) -> None:
    service, pool = legs
    first, second = await _operator(pool, "op-lim-1"), await _operator(pool, "op-lim-2")
    placed = await asyncio.gather(*(service.place(request(first), print) for _ in range(3)))
    assert sorted(type(p).__name__ if not isinstance(p, Refusal) else p.value
                  for p in placed) == ["NotPlaced", "NotPlaced", "operator_limit"]
    later = await asyncio.gather(*(service.place(request(second), print) for _ in range(2)))
    assert sorted(type(p).__name__ if not isinstance(p, Refusal) else p.value
                  for p in later) == ["NotPlaced", "hourly_limit"]
    # A leg asked for by the engine (no operator) counts to the hotline's limit alone.
    assert await service.place(request(None), print) is Refusal.HOURLY_LIMIT

    async with pool.acquire() as con:
        rows = await con.fetch("SELECT * FROM outbound_legs ORDER BY created_at")
        audit = await con.fetchval(
            "SELECT count(*) FROM audit_log WHERE entity = 'outbound_leg'")
    assert len(rows) == 6 and audit == 6
    assert sorted((r["refusal"] or "", r["outcome"]) for r in rows) == [
        ("", "failed"), ("", "failed"), ("", "failed"), ("hourly_limit", "refused"),
        ("hourly_limit", "refused"), ("operator_limit", "refused")]
    for row in rows:
        assert NUMBER.encode() not in bytes(row["number"])
        where = crypto.place("outbound_legs", "number", row["id"])
        assert KEYS.open(bytes(row["number"]), where) == NUMBER


async def test_a_refused_number_is_kept_sealed_as_typed(
    legs: tuple[OutboundLegs, asyncpg.Pool],
) -> None:
    service, pool = legs
    assert await service.place(request(None, "011 44 20 7946 0958"), print) is \
        Refusal.NOT_ALLOWED
    assert await service.place(request(None, "*72 2025550143"), print) is Refusal.NOT_A_NUMBER
    async with pool.acquire() as con:
        rows = await con.fetch("SELECT id, number FROM outbound_legs ORDER BY created_at")
    opened = [KEYS.open(bytes(r["number"]), crypto.place("outbound_legs", "number", r["id"]))
              for r in rows]
    assert opened == ["011 44 20 7946 0958", "*72 2025550143"]


async def test_a_leg_to_an_operators_phone_passes_no_guard(
    legs: tuple[OutboundLegs, asyncpg.Pool],
) -> None:
    service, pool = legs
    op = await _operator(pool, "op-sip-1")
    off = OutboundLegs(service.ari, pool, KEYS, Policy(trunk="", per_hour=0))
    sip = Request("oncall", None, Target(operator="op-sip-1", operator_id=op), 10, "x")
    assert isinstance(await off.place(sip, print), NotPlaced)
    async with pool.acquire() as con:
        row = await con.fetchrow("SELECT * FROM outbound_legs")
    assert row is not None
    assert (row["through_trunk"], row["number"], row["target_operator"]) == (False, None, op)
