"""The ARI WebSocket drops while PostgreSQL is down: the app reconnects and takes its calls
back from Asterisk alone. Nobody hears the apology; the records are complete afterwards.

The database is this test's own cluster (it is shut down); the WebSocket is cut by the
relay of tests/ari_relay.py.
"""

from __future__ import annotations

import pytest

from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import demo
from lifeline_pbx.resources import ACD, ARI, CONNECTED
from tests.ari_relay import relayed_hotline
from tests.carrier import Carrier
from tests.pg_fixtures import as_app_role
from tests.phones import Phones
from tests.waiting import wait_for


@pytest.fixture
async def app_dsn(own_cluster: Cluster) -> str:
    """The hotline's database on this test's own cluster (replaces conftest's app_dsn)."""
    await demo.install(own_cluster.dsn())
    return await as_app_role(own_cluster.dsn())


async def test_a_websocket_blip_during_a_database_outage_drops_nobody(
    own_cluster: Cluster, app_dsn: str, pbx: asterisk.Instance, short_prompts_dir: str,
    carrier: Carrier, phones: Phones,
) -> None:
    async with relayed_hotline(app_dsn, pbx, short_prompts_dir, carrier, phones) as (
            hotline, relay):
        app = hotline.app
        await hotline.login("op-a")
        talking = await hotline.to_queue("Talking")
        operator_leg = await phones.offer("op-a")
        await phones.answer(operator_leg, record=False)
        await hotline.reached("Talking", "connected", {"operator": "op-a"})
        waiting = await hotline.to_queue("Waiting")  # op-a is busy, nobody else is in
        rows = [await hotline.call_row(c) for c in ("Talking", "Waiting")]
        talking_id, waiting_id = (r["id"] for r in rows)

        own_cluster.halt()
        before = relay.websockets
        relay.cut()
        await wait_for(lambda: relay.websockets > before, timeout=30,
                       what="the app opens a new WebSocket")
        await wait_for(app[CONNECTED].is_set, timeout=30,
                       what="reconnected while the database is down")

        # Nobody went to the dialplan's apology: both callers are on the line, still in
        # our app, one still queued, one still bridged with op-a.
        picture = app[ACD].picture
        assert not talking.ended and not waiting.ended
        in_app = {c["id"]: c["dialplan"] for c in await app[ARI].channels()}
        for row in rows:
            assert in_app[row["channel_id"]]["app_data"].startswith(f"{app[ARI].app},inbound")
        assert waiting_id in picture.waiting
        assert picture.talking[talking_id].operator == "op-a"
        # The waiting caller gets the next free operator, with the database still down.
        assert await app[ACD].operator_action("op-c", "login")
        await phones.answer(await phones.offer("op-c", timeout=20), record=False)
        await wait_for(lambda: waiting_id in picture.talking, what="Waiting connected")
        assert picture.talking[waiting_id].operator == "op-c"
        # The talking call kept talking: when op-a hangs up, the caller is released.
        await phones.hang_up(operator_leg)
        await wait_for(lambda: talking.ended, what="Talking released")
        await carrier.hang_up(waiting)

        own_cluster.resume()
        talked = await hotline.closed("Talking", timeout=60)
        assert (talked["disposition"], talked["hangup_by"]) == ("answered", "operator")
        waited = await hotline.closed("Waiting", timeout=60)
        assert (waited["disposition"], waited["hangup_by"]) == ("answered", "caller")
        assert waited["connected_at"] is not None
        assert await hotline.value(
            """SELECT o.sip_username FROM calls c JOIN operators o ON o.id = c.operator_id
               WHERE c.id = $1""", waiting_id) == "op-c"
        kinds = [r["kind"] for r in await hotline.sql(
            "SELECT kind FROM queue_events WHERE call_id = $1 ORDER BY id", waiting_id)]
        assert kinds == ["entered", "connected"]
