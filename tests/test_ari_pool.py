"""The app's connections to Asterisk stay under Asterisk's HTTP session limit (issue 11: the
pool's 100 connections plus the event WebSocket passed http.conf's 100, and requests failed
with ServerDisconnectedError). Its request sockets and its HTTP pool count together."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from devstack import asterisk
from lifeline_pbx import asterisk_config
from lifeline_pbx.ari.client import (
    ARI_KEEPALIVE_SECONDS,
    ARI_POOL_LIMIT,
    ARI_SOCKETS_LIMIT,
    ASTERISK_HTTP_SESSIONS_LEFT,
    ari_http_session,
)
from lifeline_pbx.resources import ARI
from tests.ari_peer import rest_apps
from tests.test_asterisk_config import sections, values


def http_general(tmp_path: Path) -> dict[str, str]:
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path, values())
    return dict(sections((tmp_path / "http.conf").read_text()))["general"]


def test_the_pool_leaves_room_under_the_rendered_session_limit(tmp_path: Path) -> None:
    http = http_general(tmp_path)
    limit = int(http["sessionlimit"])
    # The pool holds the request sockets and the event WebSocket; what is left serves a
    # second WebSocket while one reconnects, and people's tools (curl, a monitoring probe).
    assert ASTERISK_HTTP_SESSIONS_LEFT >= 8
    assert limit >= ARI_POOL_LIMIT + ASTERISK_HTTP_SESSIONS_LEFT
    assert ARI_POOL_LIMIT - ARI_SOCKETS_LIMIT >= 8  # the event WebSocket, recordings' audio
    # An idle connection is dropped by the app before Asterisk closes it.
    assert int(http["session_keep_alive"]) / 1000 > ARI_KEEPALIVE_SECONDS


async def test_the_session_is_built_with_the_pool_limit() -> None:
    async with ari_http_session() as http:
        assert http.connector is not None
        assert http.connector.limit == ARI_POOL_LIMIT


async def test_a_burst_of_requests_waits_for_a_connection_instead_of_failing(
    lifeline: web.Application, pbx: asterisk.Instance
) -> None:
    """Three times the sockets' limit at once, with the event WebSocket open: every request
    is answered, no more sockets than the limit were open, and Asterisk refused no
    session."""
    log_start = pbx.log_path.stat().st_size
    ari = lifeline[ARI]
    answers = await asyncio.gather(*(ari.request("GET", "/asterisk/info")
                                     for _ in range(3 * ARI_SOCKETS_LIMIT)))
    assert all("system" in answer for answer in answers)
    sockets = await rest_apps(ari, ari.app)
    assert 1 < len(sockets) <= ARI_SOCKETS_LIMIT
    with pbx.log_path.open(errors="replace") as log:
        log.seek(log_start)
        assert "HTTP session count exceeded" not in log.read()
