"""Faults the real parts can be made to produce: the database goes away, Asterisk restarts."""

from __future__ import annotations

from aiohttp import web

from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import demo
from lifeline_pbx.app import create_app, running
from lifeline_pbx.resources import CONFIG, CONNECTED, DISPATCHER
from tests.carrier import Carrier
from tests.conftest import app_config
from tests.pg_fixtures import as_app_role, connect
from tests.phones import enlist
from tests.test_calls_sip import DEMO_DID, ended_call, heard, prompt_seconds, reached
from tests.waiting import wait_for


async def test_a_call_during_a_database_outage_is_answered_and_recorded_later(
    own_cluster: Cluster, pbx: asterisk.Instance, prompts_dir: str, carrier: Carrier,
    asterisk_runtime: asterisk.Runtime,
) -> None:
    await demo.install(own_cluster.dsn())
    async with connect(own_cluster.dsn()) as con:
        await enlist(con)  # as every database on the PBX has them (tests/phones.py)
    dsn = await as_app_role(own_cluster.dsn())
    async with running(create_app(app_config(pbx, dsn, prompts_dir))) as started:
        app = started.app
        await wait_for(app[CONNECTED].is_set, what="ARI connected")
        own_cluster.halt()
        call = await carrier.call(DEMO_DID, '"Outage" <333>')
        # The line came from the app's copy: the greeting plays, then the language menu.
        await wait_for(
            lambda: any(s.state.plays >= 2 for s in app[DISPATCHER].sessions.values()),
            what="greeting played, menu started",
        )
        await carrier.hang_up(call)
        greeting = prompt_seconds(asterisk_runtime, "en", "greeting")
        assert await heard(carrier, call) >= greeting - 0.5
        own_cluster.resume()
        row = await ended_call(dsn, caller_name="Outage")
        assert row["disposition"] == "abandoned"
        assert row["facility_id"] is not None


async def test_asterisk_restart_the_app_reconnects_and_takes_calls(
    lifeline: web.Application, pbx: asterisk.Instance, carrier: Carrier
) -> None:
    pbx.stop()
    await wait_for(lambda: not lifeline[CONNECTED].is_set(), what="app notices Asterisk is gone")
    pbx.start()
    await wait_for(lifeline[CONNECTED].is_set, timeout=40, what="app reconnected")
    call = await carrier.call(DEMO_DID, '"After Asterisk restart" <444>')
    await reached(lifeline[CONFIG].database_url, "prompt_finished", "After Asterisk restart")
    await carrier.hang_up(call)
    row = await ended_call(lifeline[CONFIG].database_url, caller_name="After Asterisk restart")
    assert row["line_id"] is not None
