"""The ARI WebSocket drops while PostgreSQL is down: the app reconnects and takes its calls
back from Asterisk alone. Nobody hears the apology; the records are complete afterwards.

The database is this test's own cluster (it is shut down). The WebSocket is cut by a small
TCP relay between the app and Asterisk's HTTP port: Asterisk cannot be told to drop one
client's WebSocket, and restarting its HTTP server keeps established connections.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pytest

from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import demo
from lifeline_pbx.service import Lifeline
from tests.carrier import Carrier
from tests.conftest import app_config
from tests.engine import OPERATORS, Hotline, staff
from tests.pg_fixtures import as_app_role
from tests.phones import Phones
from tests.waiting import wait_for


@dataclass
class Relay:
    """Relays TCP connections to target; cut() closes the open ones (new ones still pass)."""

    target: tuple[str, int]
    port: int = 0
    websockets: int = 0  # event WebSockets opened through the relay so far
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._open |= {writer, up_writer}
        first = await reader.read(65536)
        if first.startswith(b"GET /ari/events"):
            self.websockets += 1
        up_writer.write(first)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._open -= {writer, up_writer}

    def cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()


@contextlib.asynccontextmanager
async def relay_to(url: str) -> AsyncIterator[Relay]:
    parts = urlsplit(url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 80))
    server = await asyncio.start_server(relay._client, "127.0.0.1", 0)
    relay.port = server.sockets[0].getsockname()[1]
    try:
        yield relay
    finally:
        relay.cut()
        server.close()


@pytest.fixture
async def app_dsn(own_cluster: Cluster) -> str:
    """The hotline's database on this test's own cluster (replaces conftest's app_dsn)."""
    await demo.install(own_cluster.dsn())
    return await as_app_role(own_cluster.dsn())


async def test_a_websocket_blip_during_a_database_outage_drops_nobody(
    own_cluster: Cluster, app_dsn: str, pbx: asterisk.Instance, short_prompts_dir: str,
    carrier: Carrier, phones: Phones,
) -> None:
    await staff(app_dsn)
    async with relay_to(pbx.ari_url) as relay:
        config = replace(app_config(pbx, app_dsn, short_prompts_dir), ari_url=relay.url)
        app = Lifeline(config)
        await app.start(web_enabled=False)
        try:
            await wait_for(app.connected.is_set, what="ARI connected")
            for operator in OPERATORS:
                phones.register_now(operator)
            await wait_for(lambda: set(OPERATORS) <= app.acd.picture.online, timeout=20,
                           what="operators' phones registered")
            hotline = Hotline(app, app_dsn, carrier, phones, pbx)
            await hotline.login("op-a")
            talking = await hotline.to_queue("Talking")
            operator_leg = await phones.offer("op-a")
            await phones.answer(operator_leg, record=False)
            await hotline.reached("Talking", "connected", {"operator": "op-a"})
            waiting = await hotline.to_queue("Waiting")  # op-a is busy, nobody else is in
            rows = [await hotline.call_row(c) for c in ("Talking", "Waiting")]
            (talking_id, waiting_id), legs = zip(*[(r["id"], r["channel_id"]) for r in rows],
                                                 strict=True)

            own_cluster.halt()
            before = relay.websockets
            relay.cut()
            await wait_for(lambda: relay.websockets > before, timeout=30,
                           what="the app opens a new WebSocket")
            await wait_for(app.connected.is_set, timeout=30,
                           what="reconnected while the database is down")

            # Nobody went to the dialplan's apology: both callers are still on the line,
            # one still queued, one still bridged with op-a.
            picture = app.acd.picture
            assert not talking.ended and not waiting.ended
            in_app = {c["id"]: c["dialplan"] for c in await app.ari.channels()}
            for leg in legs:
                assert in_app[leg]["app_name"] == "Stasis", in_app[leg]
                assert in_app[leg]["app_data"].startswith(f"{app.ari.app},inbound")
            assert waiting_id in picture.waiting
            assert picture.talking[talking_id].operator == "op-a"
            # The waiting caller gets the next free operator, with the database still down.
            assert await app.acd.operator_action("op-c", "login")
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
        finally:
            await app.stop()
