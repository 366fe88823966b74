"""The composition root: `create_app(config)` builds the whole app, `serve` runs it.

Each long-lived resource is opened and closed in the app's cleanup_ctx, under its own key
(lifeline_pbx/resources.py), in this order; they close in the reverse order, so the
background tasks stop before the connections they use close:

    database pool -> ARI's HTTP session* -> task registry -> start checks
    -> housekeeping, retention, alerts -> call engine* -> console hub*
    -> metrics endpoint (its own port, when metrics_port is set: monitoring/endpoint.py)
    (* only with calls=True)

The start checks (start_checks.py) refuse a schema this version was not written for, and
look for data keys missing in the background (PROBLEMS: /healthz and admins' pages say it).

`calls=False` builds the web UI alone (no Asterisk): views that need the call engine
answer 503 (lifeline_pbx/web/calls.py). `lifeline serve` always runs with calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from lifeline_pbx import config as config_module
from lifeline_pbx import db, engine, ports, start_checks
from lifeline_pbx.accounts import housekeeping
from lifeline_pbx.alerts.feed import SupervisorFeed
from lifeline_pbx.alerts.mail import MailSettings
from lifeline_pbx.alerts.outbox import Outbox
from lifeline_pbx.alerts.watch import AlertWatch
from lifeline_pbx.config import Config
from lifeline_pbx.console.live import LiveHub
from lifeline_pbx.errors import StartRefused
from lifeline_pbx.monitoring.endpoint import metrics_endpoint
from lifeline_pbx.monitoring.instruments import Metrics
from lifeline_pbx.monitoring.web_timing import timing
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.resources import (
    ACD,
    ALERTS,
    CONFIG,
    FEED,
    HUB,
    KEY_RING,
    LISTENER,
    METRICS,
    POOL,
    PROBLEMS,
    QUEUE_FIGURES,
    TASKS,
    TRANSFERS,
)
from lifeline_pbx.retention import job as retention_job
from lifeline_pbx.statistics import rollup
from lifeline_pbx.supervision import views as queue_view
from lifeline_pbx.supervision.shared_read import SharedRead
from lifeline_pbx.tasks import TaskRegistry
from lifeline_pbx.web import routes
from lifeline_pbx.web.app import MAX_BODY, MIDDLEWARES, AccessLog, on_response_prepare, templates
from lifeline_pbx.web.keys import TEMPLATES

log = logging.getLogger(__name__)


def create_app(config: Config, *, calls: bool = True) -> web.Application:
    app = web.Application(middlewares=(timing, *MIDDLEWARES), client_max_size=MAX_BODY)
    app.on_response_prepare.append(on_response_prepare)
    app[CONFIG] = config
    app[METRICS] = Metrics()
    app[QUEUE_FIGURES] = SharedRead(queue_view.REFRESH_SECONDS)
    app[KEY_RING] = config_module.key_ring(config)
    app[TEMPLATES] = templates()
    app[PROBLEMS] = []
    app.cleanup_ctx.append(database)
    if calls:
        app.cleanup_ctx.append(engine.ari_http)
    app.cleanup_ctx.append(background_tasks)
    app.cleanup_ctx.append(checks)
    app.cleanup_ctx.append(notifications)
    app.cleanup_ctx.append(session_housekeeping)
    app.cleanup_ctx.append(retention_schedule)
    app.cleanup_ctx.append(statistics_rollup)
    app.cleanup_ctx.append(alerts)
    app.on_shutdown.append(_close_supervisor_screens)
    if calls:
        app.cleanup_ctx.append(engine.call_engine)
        app.cleanup_ctx.append(console_hub)
        app.on_shutdown.append(_close_consoles)
    app.cleanup_ctx.append(metrics_endpoint)
    routes.register(app)
    return app


async def database(app: web.Application) -> AsyncIterator[None]:
    try:
        pool = app[POOL] = await db.create_pool(app[CONFIG].database_url)
    except db.DATABASE_ERRORS as exc:
        raise StartRefused(start_checks.database_refusal(exc)) from None
    yield
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pool.close(), 5)


async def background_tasks(app: web.Application) -> AsyncIterator[None]:
    tasks = app[TASKS] = TaskRegistry()
    yield
    await tasks.close()


async def checks(app: web.Application) -> AsyncIterator[None]:
    """Before anything reads a table: the schema (else no start), then the data keys."""
    cfg = app[CONFIG]
    await start_checks.check_schema(app[POOL])
    app[TASKS].spawn(start_checks.check_keys(cfg.database_url, [k for k, _ in cfg.data_keys],
                                             app[PROBLEMS]), "data-keys-check")
    yield


async def notifications(app: web.Application) -> AsyncIterator[None]:
    """One LISTEN connection for every feature that follows a table (pg_listen.py)."""
    listener = app[LISTENER] = Listener(app[CONFIG].database_url)
    app[TASKS].spawn(listener.run(), "listen")
    yield


async def session_housekeeping(app: web.Application) -> AsyncIterator[None]:
    cfg = app[CONFIG]
    app[TASKS].spawn(housekeeping.run(app[POOL], cfg.session_idle, cfg.session_lifetime),
                     "housekeeping")
    yield


async def retention_schedule(app: web.Application) -> AsyncIterator[None]:
    app[TASKS].spawn(retention_job.run(app[POOL]), "retention")
    yield


async def statistics_rollup(app: web.Application) -> AsyncIterator[None]:
    app[TASKS].spawn(rollup.run(app[POOL]), "statistics-rollup")
    yield


async def alerts(app: web.Application) -> AsyncIterator[None]:
    """Spike rules evaluated, alerts and voicemails pushed to supervisors, emails sent."""
    cfg, pool, tasks = app[CONFIG], app[POOL], app[TASKS]
    feed = app[FEED] = SupervisorFeed()
    settings = MailSettings.of(cfg)
    outbox = None
    if settings is None:
        log.info("alert emails off: no smtp_host set")
    else:
        outbox = Outbox(pool, settings)
        tasks.spawn(outbox.run(), "alert-emails")
    watch = app[ALERTS] = AlertWatch(pool, app[LISTENER], feed, outbox)
    tasks.spawn(watch.run(), "alerts")
    yield


async def _close_supervisor_screens(app: web.Application) -> None:
    app[FEED].close_all()


async def console_hub(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB] = LiveHub()
    hub.bind(app[ACD], app[POOL], app[TRANSFERS].free)  # whom calls may be transferred to
    app[TRANSFERS].tell = hub.publish  # where an operator's transfer stands
    app[TASKS].spawn(hub.run(), "console-hub")
    yield
    app[ACD].watch.remove(hub)


async def _close_consoles(app: web.Application) -> None:
    app[HUB].close_all()


@dataclass
class Running:
    """An app with its resources open and, when given a host, serving HTTP there."""

    app: web.Application
    port: int = 0  # the port it listens on, read back (ask for 0 to get a free one)
    _runner: web.AppRunner | None = None

    async def start(self, host: str | None = None, port: int = 0) -> Running:
        self._runner = web.AppRunner(self.app, access_log_class=AccessLog)
        try:
            await self._runner.setup()
            if host is not None:
                await ports.listen(web.TCPSite(self._runner, host, port), "web", host, port)
                self.port = int(self._runner.addresses[0][1])
                log.info("web listening host=%s port=%d", host, self.port)
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def running(app: web.Application, host: str | None = None,
                  port: int = 0) -> AsyncIterator[Running]:
    started = await Running(app).start(host, port)
    try:
        yield started
    finally:
        await started.stop()


async def serve(config: Config) -> None:
    """Run until Ctrl-C or SIGTERM, then stop cleanly (pending call records are flushed)."""
    await ports.ensure_free("web", config.web_host, config.web_port)
    if config.metrics_port:
        await ports.ensure_free("metrics", config.metrics_host, config.metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running(create_app(config), config.web_host, config.web_port):
        # What start-up made (modules, templates, prompts, the app) lives as long as the
        # process: left out of the garbage collector's full passes, which otherwise walk
        # it all and held the event loop for 135-260 ms under load (docs/capacity.md).
        gc.freeze()
        await stop.wait()
        log.info("stopping")
