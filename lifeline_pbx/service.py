"""The Lifeline process: one ARI application and the web server, for one Asterisk.

Both live in one asyncio process because they share the database pool and the live call
state (the operator console will show calls as the engine moves them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from aiohttp import web

from lifeline_pbx import config as config_module
from lifeline_pbx import db
from lifeline_pbx.accounts import housekeeping
from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.ari.stream import run_event_stream
from lifeline_pbx.calls import records
from lifeline_pbx.calls.dispatch import CallDispatcher
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.calls.session import CallContext
from lifeline_pbx.config import Config
from lifeline_pbx.operators.sip_sync import OperatorSync
from lifeline_pbx.prompts.library import PromptLibrary
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.operator_state import Store
from lifeline_pbx.sipguard import bans
from lifeline_pbx.sipguard.guard import Settings as GuardSettings
from lifeline_pbx.sipguard.guard import SipGuard
from lifeline_pbx.voicemail.vault import Vault
from lifeline_pbx.web.app import AccessLog, create_app

log = logging.getLogger(__name__)


def sip_guard(cfg: Config, ari: AriClient) -> SipGuard | None:
    if not cfg.ami_secret:
        log.warning("sip guard off: no ami_secret set; SIP password guessing is not limited")
        return None
    policy = bans.Policy(cfg.sip_ban_failures, cfg.sip_ban_window_seconds, cfg.sip_ban_seconds,
                         cfg.sip_ban_exempt)
    return SipGuard(ari, GuardSettings(cfg.ami_port, cfg.ami_user, cfg.ami_secret, policy))


class Lifeline:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.connected = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None

    async def start(self, *, web_enabled: bool = True) -> None:
        cfg = self.config
        self.pool = await db.create_pool(cfg.database_url)
        self.http = ari_http_session()
        self.ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password, cfg.ari_app, self.http)
        self.writer = records.RecordWriter(self.pool)
        self.lines = LineDirectory(self.pool)
        await self.lines.refresh()
        library = PromptLibrary(cfg.prompts_dir, Path(cfg.prompts_local_dir or cfg.prompts_dir))
        self.acd = Acd(
            self.ari, Store(self.pool), self.writer,
            lambda language, name: library.uri(language, name, cfg.default_language),
        )
        await self.acd.reload()
        ctx = CallContext(
            ari=self.ari,
            lines=self.lines,
            writer=self.writer,
            media_uri=library.uri,
            default_language=cfg.default_language,
            queues=self.acd,
        )
        self.dispatcher = CallDispatcher(ctx, self.acd)
        self.operator_sync = OperatorSync(self.pool, after_sync=self.acd.reload)
        self.vault = Vault(self.pool, self.ari, config_module.key_ring(cfg))
        self.sip_guard = sip_guard(cfg, self.ari)
        self._tasks = [
            asyncio.create_task(self.writer.run(), name="record-writer"),
            asyncio.create_task(self.vault.run(), name="voicemail-vault"),
            asyncio.create_task(
                self.operator_sync.run(cfg.database_url, self.ari), name="operator-sync"
            ),
            asyncio.create_task(self.acd.run(), name="queues"),
            asyncio.create_task(housekeeping.run(
                self.pool, cfg.session_idle, cfg.session_lifetime), name="housekeeping"),
            asyncio.create_task(
                run_event_stream(
                    self.ari, self.http, self.dispatcher.on_event, self._on_connect, self.connected
                ),
                name="ari-events",
            ),
        ]
        if self.sip_guard is not None:
            self._tasks.append(asyncio.create_task(self.sip_guard.run(), name="sip-guard"))
        if web_enabled:
            self._runner = web.AppRunner(create_app(self), access_log_class=AccessLog)
            await self._runner.setup()
            await web.TCPSite(self._runner, cfg.web_host, cfg.web_port).start()
            log.info("web listening host=%s port=%d", cfg.web_host, cfg.web_port)

    async def _on_connect(self) -> None:
        self.operator_sync.request()
        if self.sip_guard is not None:
            self.sip_guard.resync()
        await self.ari.subscribe("endpoint:PJSIP")
        await self.acd.refresh_endpoints()
        await self.dispatcher.adopt(self.pool)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.writer.drained()
        for task in self._tasks:
            task.cancel()
        _, pending = await asyncio.wait(self._tasks, timeout=10)
        if pending:
            log.error("tasks did not stop: %s", ", ".join(t.get_name() for t in pending))
        await self.dispatcher.close()
        await self.http.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pool.close(), 5)


async def serve(config: Config) -> None:
    """Run until Ctrl-C or SIGTERM, then stop cleanly (pending call records are flushed)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = Lifeline(config)
    await app.start()
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        await app.stop()
