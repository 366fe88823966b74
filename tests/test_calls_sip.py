"""Real SIP calls from the carrier Asterisk into the PBX running the repo's own config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from devstack import asterisk
from lifeline_pbx.app import create_app, running
from lifeline_pbx.resources import CONFIG, CONNECTED
from tests import audio
from tests.carrier import Carrier, CarrierCall
from tests.conftest import app_config
from tests.db_reads import Statements
from tests.waiting import wait_for

DEMO_DID = "15550100101"
SPANISH_DID = "15550100201"


async def ended_call(dsn: str, **where: str) -> dict[str, Any]:
    """Wait until exactly one call matching `where` has been closed; return it."""
    clause = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, 1))

    async with Statements(dsn).opened() as statements:
        async def probe() -> dict[str, Any] | None:
            rows = await statements.fetch(f"SELECT * FROM calls WHERE {clause}",
                                          *where.values())
            if len(rows) == 1 and rows[0]["ended_at"] is not None:
                return dict(rows[0])
            return None

        found: dict[str, Any] = await wait_for(probe, timeout=30, what=f"closed call {where}")
        return found


async def timeline(dsn: str, call_id: object) -> list[tuple[str, dict[str, str]]]:
    con = await asyncpg.connect(dsn)
    try:
        await con.set_type_codec("jsonb", encoder=str, decoder=json.loads, schema="pg_catalog")
        rows = await con.fetch(
            "SELECT kind, detail FROM call_events WHERE call_id = $1 ORDER BY id", call_id
        )
    finally:
        await con.close()
    return [(r["kind"], r["detail"]) for r in rows]


async def reached(dsn: str, kind: str, caller_name: str, detail: dict[str, str] | None = None
                  ) -> None:
    """Wait until the call from caller_name has a timeline entry of this kind."""

    async with Statements(dsn).opened() as statements:
        async def probe() -> bool:
            return bool(await statements.fetch(
                """SELECT 1 FROM call_events e JOIN calls c ON c.id = e.call_id
                   WHERE c.caller_name = $1 AND e.kind = $2 AND e.detail @> $3::jsonb""",
                caller_name, kind, json.dumps(detail or {})))

        await wait_for(probe, timeout=30, what=f"{kind} {detail or ''} for {caller_name}")


async def heard(carrier: Carrier, call: CarrierCall) -> float:
    """Seconds of audio the carrier recorded from the PBX on this call."""
    await wait_for(call.recording, what="carrier recording finished")
    return audio.seconds(Path(carrier.recording_path(call)))


def prompt_seconds(rt: asterisk.Runtime, language: str, name: str) -> float:
    return audio.seconds(
        rt.host_path(f"{asterisk.catalogue_prompts_dir()}/{language}/{name}.wav"))


async def test_greeting_plays_to_the_end_and_the_call_is_recorded(
    lifeline: web.Application, carrier: Carrier, asterisk_runtime: asterisk.Runtime
) -> None:
    dsn = lifeline[CONFIG].database_url
    call = await carrier.call(DEMO_DID, '"Facility Phone" <7065550100>')
    await reached(dsn, "prompt_finished", "Facility Phone", {"ok": "yes"})
    await carrier.hang_up(call)
    await carrier.ended(call)

    row = await ended_call(dsn, did=DEMO_DID)
    con = await asyncpg.connect(dsn)
    facility = await con.fetchval(
        "SELECT f.name FROM lines l JOIN facilities f ON f.id = l.facility_id WHERE l.did = $1",
        DEMO_DID,
    )
    await con.close()
    assert facility == "Demo County Processing Center"
    assert row["facility_id"] is not None and row["line_id"] is not None
    assert row["caller_number"] == "7065550100"
    assert row["caller_name"] == "Facility Phone"
    assert row["started_at"] <= row["answered_at"] <= row["ended_at"]
    assert row["disposition"] == "abandoned"
    assert row["hangup_by"] == "caller"
    assert row["hangup_cause"] == 16  # normal clearing

    kinds = await timeline(dsn, row["id"])
    assert kinds[:3] == [("answered", {}), ("prompt", {"name": "greeting"}),
                         ("prompt_finished", {"ok": "yes"})]
    assert kinds[-1] == ("ended", {"by": "caller"})
    # What crossed the wire: the carrier heard (at least) the whole greeting.
    greeting = prompt_seconds(asterisk_runtime, "en", "greeting")
    assert await heard(carrier, call) >= greeting - 0.5


async def test_the_line_language_chooses_the_greeting(
    lifeline: web.Application, carrier: Carrier, asterisk_runtime: asterisk.Runtime
) -> None:
    dsn = lifeline[CONFIG].database_url
    call = await carrier.call(SPANISH_DID, '"Spanish line" <1>')
    await reached(dsn, "prompt_finished", "Spanish line")
    await carrier.hang_up(call)
    await carrier.ended(call)
    greeting = prompt_seconds(asterisk_runtime, "es", "greeting")
    assert await heard(carrier, call) >= greeting - 0.5


async def test_caller_hangs_up_mid_greeting(lifeline: web.Application, carrier: Carrier) -> None:
    dsn = lifeline[CONFIG].database_url
    call = await carrier.call(DEMO_DID, record=False)
    await wait_for(lambda: call.answered, what="answered")
    await carrier.hang_up(call)
    row = await ended_call(dsn, did=DEMO_DID)
    assert row["disposition"] == "abandoned"
    assert row["hangup_by"] == "caller"
    assert row["ended_at"] is not None
    kinds = [k for k, _ in await timeline(dsn, row["id"])]
    assert "prompt_finished" not in kinds
    assert "caller_hangup" in kinds


async def test_unknown_did_hears_not_in_service(
    lifeline: web.Application, carrier: Carrier, asterisk_runtime: asterisk.Runtime
) -> None:
    call = await carrier.call("15559990000")
    await carrier.ended(call)
    row = await ended_call(lifeline[CONFIG].database_url, did="15559990000")
    assert row["line_id"] is None and row["facility_id"] is None
    assert row["disposition"] == "not_in_service"
    assert row["hangup_by"] == "system"
    message = prompt_seconds(asterisk_runtime, "en", "not-in-service")
    assert await heard(carrier, call) >= message - 0.5


async def test_app_restart_keeps_asterisk_and_takes_the_next_call(
    pbx: asterisk.Instance, app_dsn: str, short_prompts_dir: str, carrier: Carrier,
    asterisk_runtime: asterisk.Runtime,
) -> None:
    """The apology is the dialplan's own (the real prompt); the app plays the short test
    prompts, so the call after the restart is answered and greeted in a moment."""
    dsn = app_dsn
    async with running(create_app(app_config(pbx, dsn, short_prompts_dir))) as first:
        await wait_for(first.app[CONNECTED].is_set, what="ARI connected")

    # While the app is away, the dialplan apologises: nobody is left in silence.
    during = await carrier.call(DEMO_DID, '"During restart" <111>')
    await carrier.ended(during)
    apology = prompt_seconds(asterisk_runtime, "en", "technical-difficulty")
    assert await heard(carrier, during) >= apology - 0.5

    async with running(create_app(app_config(pbx, dsn, short_prompts_dir))) as restarted:
        await wait_for(restarted.app[CONNECTED].is_set, what="ARI reconnected")
        call = await carrier.call(DEMO_DID, '"After restart" <222>')
        await reached(dsn, "prompt_finished", "After restart")
        await carrier.hang_up(call)
        row = await ended_call(dsn, caller_name="After restart")
        assert row["line_id"] is not None


async def test_odd_did_and_hostile_caller_id_are_stored_as_received(
    lifeline: web.Application, carrier: Carrier, sip_net: Any
) -> None:
    dsn = lifeline[CONFIG].database_url
    hostile = "Robert'); DROP TABLE calls;-- " + "x" * 270
    odd_did = "12%2A3ab-_.!~"
    call = await carrier.call(
        odd_did,
        f'"{hostile}" <5551234>',
        uri=f"sip:{odd_did}@{sip_net.pbx}",
    )
    await carrier.ended(call)
    row = await ended_call(dsn, caller_number="5551234")
    assert row["did"] == "12*3ab-_.!~"
    assert row["disposition"] == "not_in_service"
    assert row["caller_name"].startswith("Robert'); DROP TABLE calls;--")
    con = await asyncpg.connect(dsn)
    assert await con.fetchval("SELECT count(*) FROM calls") >= 1
    await con.close()
