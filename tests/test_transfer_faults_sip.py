"""A warm transfer that fails never leaves the caller on hold music: they come back to
their operator, and the call's timeline says the transfer failed (transfers/service.py).
Over real SIP; the database really refuses the leg's write (a privilege taken away)."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from lifeline_pbx.resources import TRANSFERS
from lifeline_pbx.transfers import told
from lifeline_pbx.transfers.told import Outcome
from tests.engine import Hotline
from tests.pg_fixtures import connect
from tests.test_supervise_sip import OPERATOR_HZ, heard, live_call, speak
from tests.test_transfers_sip import hold_bridges, operator_on_op_a
from tests.waiting import wait_for


async def back_with_their_operator(hotline: Hotline, call: Any, operator: Any) -> None:
    """The caller hears op-a again (nobody spoke this tone before), no hold left."""
    await speak(hotline, "phones", operator.channel_id, OPERATOR_HZ)
    await wait_for(heard(hotline.carrier.recording_path(call), OPERATOR_HZ),
                   what="the caller hears their operator again")
    await wait_for(lambda: not hotline.app[TRANSFERS].sides, what="the side closed")
    assert await hold_bridges(hotline) == []


async def test_a_transfer_whose_leg_cannot_be_written_brings_the_caller_back(
    hotline_factory: Any, admin_dsn: str,
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Transfer unwritten"
        call, operator, call_id = await live_call(hotline, caller)
        async with connect(admin_dsn) as admin:
            await admin.execute("REVOKE INSERT ON outbound_legs FROM lifeline_app")
        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-b"})
        # The console says so (its feed says the same: tests/test_transfer_endings_browser).
        assert status == 503, body
        assert body["error"] == told.words(Outcome.NOT_PLACED, "Operator op-b"), body
        await hotline.reached(caller, "transfer_failed", {"to": "op-b"})
        await back_with_their_operator(hotline, call, operator)
        assert await hotline.sql("SELECT 1 FROM outbound_legs") == []
        assert (await hotline.call_row(caller))["ended_at"] is None


async def test_a_transfer_step_that_fails_brings_the_caller_back(
    hotline_factory: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step failing once the other party answered (a bug: no real part fails this way on
    demand, so the leg's answer write raises at the store's edge) ends the transfer: their
    leg hung up, the caller back with their operator."""
    hotline: Hotline = await hotline_factory(web=True)
    legs = hotline.app[TRANSFERS].legs

    async def broken(leg_id: uuid.UUID) -> None:
        raise RuntimeError("a bug in writing the answer")

    monkeypatch.setattr(legs, "answered", broken)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Transfer step failed"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-b"})
        assert status == 200, body
        other = await hotline.phones.offer("op-b")
        await hotline.phones.answer(other)
        await hotline.reached(caller, "transfer_failed", {"to": "op-b"})
        await hotline.phones.ended(other)
        await back_with_their_operator(hotline, call, operator)
        assert (await hotline.call_row(caller))["ended_at"] is None
