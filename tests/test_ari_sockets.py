"""ARI requests over WebSockets (lifeline_pbx/ari/rest_sockets.py), against the PBX's real
Asterisk: Asterisk answers one socket's requests in order, so one request waiting for a
busy channel must not hold the others, and a request that times out must not leave its
socket to carry the next one's answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from devstack import asterisk
from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari import rest_sockets
from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.errors import AriError
from tests.ari_peer import AriPeer, rest_apps
from tests.waiting import wait_for


@dataclass
class Held:
    channel_id: str
    ended: bool = False  # hung up when the peer closes


class Peer(AriPeer):
    app = "sockets-test"

    def __init__(self, instance: asterisk.Instance) -> None:
        super().__init__(instance)
        self.started: set[str] = set()

    def _on_event(self, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart):
            self.started.add(event.channel.id)


@pytest.fixture
async def peer(pbx: asterisk.Instance) -> AsyncIterator[Peer]:
    async with Peer(pbx) as peer:
        yield peer


async def busy_channel(peer: Peer, channel_id: str) -> None:
    """A channel in the peer's app whose ARI operations wait several seconds: the PBX's
    dialplan answers it (no app is connected to take the call, so its apology plays), and
    ten DTMF digits half a second apart keep its command queue busy."""
    await peer.ari.originate("Local/100@from-carrier", channel_id=channel_id)
    peer.calls[channel_id] = Held(channel_id)
    await wait_for(lambda: channel_id in peer.started, timeout=10, what="the channel in Stasis")
    await peer.ari.send_dtmf(channel_id, "1234567890", between_ms=500)


async def test_a_request_waiting_for_a_busy_channel_holds_no_other(peer: Peer) -> None:
    await busy_channel(peer, "sockets-busy-1")
    held = asyncio.create_task(peer.ari.answer("sockets-busy-1"))
    await wait_for(lambda: peer.ari._sockets.busy == 1, timeout=5, what="the answer sent")
    info = await peer.ari.request("GET", "/asterisk/info")
    assert "system" in info
    assert not held.done(), "the answer came before the DTMF ended: the test proves nothing"
    await asyncio.wait_for(held, timeout=15)


async def test_a_request_timed_out_closes_its_socket_and_the_next_is_answered(
    pbx: asterisk.Instance, peer: Peer
) -> None:
    await busy_channel(peer, "sockets-busy-2")
    async with ari_http_session() as http:
        client = AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "sockets-timeout",
                           http, timeout=1)
        with pytest.raises(AriError) as failed:
            await client.answer("sockets-busy-2")
        assert failed.value.status == 0 and "TimeoutError" in failed.value.message
        opened = client._sockets.opened
        # The late answer to the first request must not be read as this one's.
        info = await client.request("GET", "/asterisk/info")
        assert "system" in info
        assert client._sockets.opened == opened + 1
        await client.close()


async def test_sockets_idle_too_long_are_closed(
    pbx: asterisk.Instance, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ari_http_session() as http:
        client = AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "sockets-idle", http)
        await asyncio.gather(*(client.request("GET", "/asterisk/info") for _ in range(6)))
        assert len(await rest_apps(peer.ari, "sockets-idle")) > 1
        monkeypatch.setattr(rest_sockets, "IDLE_SECONDS", 0.2)

        async def down_to_one() -> bool:
            # Each request first closes the sockets idle past the limit.
            await client.request("GET", "/asterisk/info")
            return len(await rest_apps(peer.ari, "sockets-idle")) == 1

        await wait_for(down_to_one, timeout=10, what="the burst's sockets closed")
        await client.close()

        async def none_left() -> bool:
            return not await rest_apps(peer.ari, "sockets-idle")

        await wait_for(none_left, timeout=10, what="no socket left once closed")


@pytest.mark.parametrize(("version", "sockets"), [
    ("22.10.1+dfsg+~cs6.17.60671434-1", True),  # the root the tests run
    ("22.4.0", True),
    ("22.3.1", False),
    ("21.9.0", True),
    ("21.8.2", False),
    ("20.14.0", True),
    ("20.13.5", False),
    ("23.0.0-rc1", True),
    ("18.26.0", False),
    ("certified-20.7-cert5", False),
    ("GIT-master-0a1b2c3", False),
    ("", False),
])
def test_which_asterisk_takes_requests_on_its_websocket(version: str, sockets: bool) -> None:
    assert rest_sockets.sockets_supported(version) is sockets


async def test_the_client_asks_asterisk_first_and_talks_http_when_told(
    pbx: asterisk.Instance, peer: Peer
) -> None:
    async with ari_http_session() as http:
        auto = AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "sockets-auto", http)
        plain = AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "sockets-http", http,
                          sockets=False)
        for client in (auto, plain):
            await client.create_bridge(f"{client.app}-bridge", "mixing")
            assert (await client.bridge(f"{client.app}-bridge"))["bridge_type"] == "mixing"
            await client.destroy_bridge(f"{client.app}-bridge")
            with pytest.raises(AriError) as gone:  # (a bridge is destroyed a moment later)
                await client.bridge(f"{client.app}-never-made")
            assert (gone.value.status, gone.value.message) == (404, "Bridge not found")
        assert (auto.sockets, plain.sockets) == (True, False)
        assert await rest_apps(peer.ari, "sockets-auto")
        assert not await rest_apps(peer.ari, "sockets-http")
        await auto.close()
