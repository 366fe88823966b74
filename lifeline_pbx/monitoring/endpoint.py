"""The metrics endpoint: a web server of its own, apart from the web UI's, opened and closed
in the app's cleanup_ctx (lifeline_pbx/app.py).

It has one route, GET /metrics, and no login: it is for the monitoring system on the same
host or a private network. It is off unless metrics_port is set, and listens on loopback
unless metrics_host says otherwise (docs/operations.md, "Monitoring"). The web UI's port
has no /metrics, and this one serves nothing else.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from lifeline_pbx import ports
from lifeline_pbx.monitoring import live
from lifeline_pbx.resources import CONFIG, METRICS

log = logging.getLogger(__name__)


def metrics_app(app: web.Application) -> web.Application:
    """The endpoint's own aiohttp app, reading the main app's parts at each scrape."""

    async def scrape(request: web.Request) -> web.Response:
        body = app[METRICS].render(await live.read(app))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    endpoint = web.Application()
    endpoint.router.add_get("/metrics", scrape, name="metrics")
    return endpoint


async def metrics_endpoint(app: web.Application) -> AsyncIterator[None]:
    cfg = app[CONFIG]
    if not cfg.metrics_port:
        yield
        return
    runner = web.AppRunner(metrics_app(app), access_log=None)  # a scrape every few seconds
    await runner.setup()
    try:
        await ports.listen(web.TCPSite(runner, cfg.metrics_host, cfg.metrics_port), "metrics",
                           cfg.metrics_host, cfg.metrics_port)
        app[METRICS].port = int(runner.addresses[0][1])
        log.info("metrics listening host=%s port=%d", cfg.metrics_host, app[METRICS].port)
        if not _loopback(cfg.metrics_host):
            log.warning("metrics served beyond this host host=%s: allow only the monitoring "
                        "system to reach this port (docs/operations.md)", cfg.metrics_host)
        yield
    finally:
        app[METRICS].port = 0
        await runner.cleanup()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
