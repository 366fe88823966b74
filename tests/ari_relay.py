"""A TCP relay between the app and Asterisk's HTTP port, for network faults on demand.

Asterisk cannot be told to drop one client's WebSocket (restarting its HTTP server keeps
established connections), nor to answer one request slowly: the relay can. cut() closes
every open connection (new ones still pass); hold(marker) keeps any request whose bytes
contain marker from reaching Asterisk until release(). The app's requests travel in its
request WebSockets (lifeline_pbx/ari/rest_sockets.py): the relay reads their frames, which
a client masks, to find a marker in a request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from devstack import asterisk
from lifeline_pbx.app import create_app, running
from lifeline_pbx.resources import CONNECTED
from tests.carrier import Carrier
from tests.conftest import app_config
from tests.engine import Hotline, queues_see_the_phones, staff
from tests.phones import Phones
from tests.waiting import wait_for


@dataclass
class Relay:
    target: tuple[str, int]
    port: int = 0
    websockets: int = 0  # event WebSockets opened through the relay so far
    held: int = 0  # requests being held now
    refusing: bool = False  # event WebSockets are closed as they open (cut_events)
    _markers: tuple[bytes, ...] = ()
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _events: set[asyncio.StreamWriter] = field(default_factory=set)  # toward Asterisk

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hold(self, *markers: bytes) -> None:
        self._markers = markers
        self._released.clear()

    def release(self) -> None:
        self._markers = ()
        self._released.set()

    def cut_events(self) -> None:
        """Cut the event WebSocket and refuse new ones until restore_events(); REST passes."""
        self.refusing = True
        for writer in list(self._events):
            writer.transport.abort()

    def restore_events(self) -> None:
        self.refusing = False

    def cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _upstream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = b""  # a WebSocket's bytes not yet relayed: a frame comes whole or not at all
        websocket = False
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if not websocket and data.startswith(b"GET /ari/events"):
                    websocket = True
                    if b"-rest-" not in data.partition(b"\r\n")[0]:  # the event WebSocket
                        if self.refusing:
                            break
                        self.websockets += 1
                        self._events.add(writer)
                    writer.write(data)
                elif websocket:
                    frames += data
                    while (frame := _frame(frames)) is not None:
                        size, payload = frame
                        await self._pass(payload)
                        writer.write(frames[:size])
                        frames = frames[size:]
                else:
                    await self._pass(data)
                    writer.write(data)
                await writer.drain()
        self._events.discard(writer)
        writer.close()

    async def _pass(self, request: bytes) -> None:
        """Return once `request` may go on: at once, or at release() if it holds a marker."""
        if any(m in request for m in self._markers):
            self.held += 1
            await self._released.wait()
            self.held -= 1

    async def _downstream(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._open |= {writer, up_writer}
        await asyncio.gather(self._upstream(reader, up_writer),
                             self._downstream(up_reader, writer))
        self._open -= {writer, up_writer}


def _frame(data: bytes) -> tuple[int, bytes] | None:
    """The first WebSocket frame in data as (its size, its payload unmasked); None while
    it is not all there (RFC 6455, section 5.2)."""
    if len(data) < 2:
        return None
    length, at = data[1] & 0x7F, 2
    if length >= 126:
        width = 2 if length == 126 else 8
        if len(data) < at + width:
            return None
        length, at = int.from_bytes(data[at:at + width], "big"), at + width
    mask = b""
    if data[1] & 0x80:
        if len(data) < at + 4:
            return None
        mask, at = data[at:at + 4], at + 4
    if len(data) < at + length:
        return None
    payload = data[at:at + length]
    if mask:
        payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return at + length, payload


@contextlib.asynccontextmanager
async def relay_to(url: str) -> AsyncIterator[Relay]:
    parts = urlsplit(url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 80))
    server = await asyncio.start_server(relay._client, "127.0.0.1", 0)
    relay.port = server.sockets[0].getsockname()[1]
    try:
        yield relay
    finally:
        relay.release()
        relay.cut()
        server.close()


@contextlib.asynccontextmanager
async def relayed_hotline(dsn: str, pbx: asterisk.Instance, prompts_dir: str, carrier: Carrier,
                          phones: Phones,
                          **settings: object) -> AsyncIterator[tuple[Hotline, Relay]]:
    """The staffed hotline (tests/engine.py), its ARI traffic through a relay; settings: more
    of the app's settings (lifeline_pbx/config.py)."""
    await staff(dsn)
    async with relay_to(pbx.ari_url) as relay:
        config = replace(app_config(pbx, dsn, prompts_dir, **settings), ari_url=relay.url)
        async with running(create_app(config)) as started:
            app = started.app
            await wait_for(app[CONNECTED].is_set, what="ARI connected")
            await queues_see_the_phones(app, phones)
            hotline = Hotline(app, dsn, carrier, phones, pbx, running=started)
            try:
                yield hotline, relay
            finally:
                await hotline.close()
