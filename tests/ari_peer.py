"""The part every simulated SIP peer shares: its own Asterisk's ARI, events, clean-up."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, Protocol, Self

from devstack.asterisk import Instance
from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.ari.rest_sockets import socket_app
from lifeline_pbx.ari.stream import run_event_stream
from lifeline_pbx.errors import AriError
from tests.waiting import wait_for

# What a peer records a call in: 16 kHz raw samples, not 8 kHz WAV. Asterisk writes a
# recording to disk in 32 KiB blocks: 2 s of 8 kHz audio, 1 s of this, so a test waiting
# to hear something hears it a second sooner (tests/audio.py reads both). Not higher: at
# 24 and 48 kHz a phone's recording after a transfer was silent at times.
RECORD_FORMAT = "sln16"


class PeerCall(Protocol):
    channel_id: str

    @property
    def ended(self) -> bool: ...


class AriPeer:
    """Connects to `instance` as ARI app `app`; subclasses keep `calls` and `_on_event`."""

    app = ""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.calls: dict[str, Any] = {}  # channel id -> the subclass's call record

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _on_event(self, event: ari.Event) -> None:
        raise NotImplementedError

    async def connect(self) -> None:
        self.http = ari_http_session()
        inst = self.instance
        self.ari = AriClient(inst.ari_url, inst.ari_user, inst.ari_password, self.app, self.http)
        self.connected = asyncio.Event()
        self._task = asyncio.create_task(
            run_event_stream(self.ari, self.http, self._on_event, self._nothing, self.connected)
        )
        async with asyncio.timeout(10):
            await self.connected.wait()

    async def close(self) -> None:
        call: PeerCall
        for call in self.calls.values():
            if not call.ended:
                with contextlib.suppress(AriError):  # already gone is fine
                    await self.ari.hangup(call.channel_id)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.ari.close()
        await self.http.close()

    async def _nothing(self) -> None:
        return None

    def recording_file(self, name: str) -> Path:
        """Where this peer's recording `name` is (being) written."""
        return self.instance.host_base / "spool" / "recording" / f"{name}.{RECORD_FORMAT}"

    async def record_snoop(self, channel_id: str, name: str) -> None:
        """Record what channel_id hears, through a snoop channel (the channel itself stays
        free for DTMF: ARI runs one operation at a time per channel). The snoop joins the
        app a moment after the request returns; until then recording it answers 409."""
        snoop_id = f"snoop-{channel_id}"
        await self.ari.snoop(channel_id, snoop_id)

        async def started() -> bool:
            try:
                await self.ari.record(snoop_id, name, max_seconds=300, fmt=RECORD_FORMAT)
            except AriError as exc:
                if exc.status != 409 or "Stasis" not in exc.message:
                    raise
                return False
            return True

        await wait_for(started, timeout=5, what=f"recording of {channel_id} started")


LISTING_TRIES = 5


async def rest_apps(client: AriClient, owner: str) -> list[str]:
    """The request sockets `owner` has open, as Asterisk lists them.

    Asterisk answers the listing 500 ("Allocation failed") when an application it named at
    the start is gone by the time it is read: a request socket closing meanwhile, as the
    socket tests make happen. The next listing no longer names it."""
    for attempt in range(LISTING_TRIES):
        try:
            apps = await client.request("GET", "/applications")
            break
        except AriError as exc:
            if exc.status != 500 or attempt == LISTING_TRIES - 1:
                raise
    return [a["name"] for a in apps if a["name"].startswith(socket_app(owner))]
