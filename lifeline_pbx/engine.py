"""The call engine, opened and closed with the app: the ARI client and everything that
handles calls (dispatcher, distributor, line directory, call-record writer, voicemail
vault, operators' SIP accounts, SIP guard).

`ari_http` and `call_engine` are cleanup_ctx entries of the app (lifeline_pbx/app.py);
each part goes under its own key (lifeline_pbx/resources.py), its loops into the app's
task registry, which cancels them when the app stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.ari.events import HANDLED_TYPES
from lifeline_pbx.ari.stream import run_event_stream
from lifeline_pbx.calls import records
from lifeline_pbx.calls.dispatch import CallDispatcher
from lifeline_pbx.calls.lines import LINE_TABLES, LineDirectory
from lifeline_pbx.calls.session import CallContext
from lifeline_pbx.config import Config
from lifeline_pbx.config_watch import ConfigWatch
from lifeline_pbx.errors import AriError
from lifeline_pbx.escalation.runner import Escalations
from lifeline_pbx.operators.sip_sync import OperatorSync
from lifeline_pbx.outbound.guard import policy_of
from lifeline_pbx.outbound.legs import OutboundLegs
from lifeline_pbx.prompts import phone
from lifeline_pbx.prompts import watch as prompt_watch
from lifeline_pbx.prompts.library import PromptLibrary
from lifeline_pbx.queues import phones
from lifeline_pbx.queues.acd import QUEUE_TABLES, Acd
from lifeline_pbx.queues.operator_state import Store
from lifeline_pbx.queues.picture import Picture, Talk, TalkEnd
from lifeline_pbx.recordings.shelf import CallRecordingShelf
from lifeline_pbx.recordings.vault import Vault
from lifeline_pbx.resources import (
    ACD,
    ARI,
    CONFIG,
    CONFIG_WATCH,
    CONNECTED,
    DISPATCHER,
    ESCALATIONS,
    HTTP,
    KEY_RING,
    LINES,
    LISTEN_IN,
    LISTENER,
    METRICS,
    OPERATOR_SYNC,
    OUTBOUND,
    POOL,
    SIP_GUARD,
    TASKS,
    TRANSFERS,
    VAULT,
    WRITER,
)
from lifeline_pbx.sipguard import bans
from lifeline_pbx.sipguard.guard import Settings as GuardSettings
from lifeline_pbx.sipguard.guard import SipGuard
from lifeline_pbx.supervision.listen_in import ListenIn
from lifeline_pbx.transfers.phone_keys import PhoneKeys
from lifeline_pbx.transfers.service import Transfers
from lifeline_pbx.voicemail.shelf import VoicemailShelf

log = logging.getLogger(__name__)
DRAIN_SECONDS = 5.0  # at stop, how long queued call records may take to reach the database


def sip_guard(cfg: Config, ari: AriClient) -> SipGuard | None:
    if not cfg.ami_secret:
        log.warning("sip guard off: no ami_secret set; SIP password guessing is not limited")
        return None
    policy = bans.Policy(cfg.sip_ban_failures, cfg.sip_ban_window_seconds, cfg.sip_ban_seconds,
                         cfg.sip_ban_exempt)
    return SipGuard(ari, GuardSettings(cfg.ami_port, cfg.ami_user, cfg.ami_secret, policy,
                                      ami_host=cfg.ami_host))


def on_a_call(picture: Picture) -> set[str]:
    """Operators whose phone is on a call now: a queue call, or a leg the distributor did
    not place (a relay call, a transfer to them, an on-call emergency). A disabled
    operator's SIP account is kept until it ends (operators/sip_sync.py)."""
    return {talk.operator for talk in picture.talking.values()} | set(picture.engaged)


class _SignOffAfterCall:
    """A distributor watcher: an operator disabled during a call loses their SIP account
    when the call ends, not before (operators/sip_sync.py)."""

    def __init__(self, sync: OperatorSync, picture: Picture) -> None:
        self.sync = sync
        self.picture = picture

    def talk_started(self, talk: Talk) -> None:
        pass

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        self.sync.call_ended(talk.operator)

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        if username not in on_a_call(self.picture):  # a side call may have ended
            self.sync.call_ended(username)


async def ari_http(app: web.Application) -> AsyncIterator[None]:
    """The HTTP session the ARI client's sockets and its event WebSocket go through."""
    async with ari_http_session() as http:
        app[HTTP] = http
        yield
        if ARI in app:  # closed here, after the tasks that make requests have stopped
            await app[ARI].close()


async def on_connect(app: web.Application) -> None:
    """After every ARI (re)connection: Asterisk may have restarted and forgotten what we
    told it, and calls may have waited for us; rebuild from what it has now."""
    app[METRICS].ari_connected()
    app[OPERATOR_SYNC].request()
    if SIP_GUARD in app:
        app[SIP_GUARD].resync()
    ari = app[ARI]
    await ari.allow_events(HANDLED_TYPES)
    with contextlib.suppress(AriError):  # 4xx: not subscribed (the usual case)
        await ari.unsubscribe([phones.EVERY_ENDPOINT])
    await app[ACD].following.refresh_endpoints(reconnected=True)
    await app[DISPATCHER].adopt(app[POOL])


async def call_engine(app: web.Application) -> AsyncIterator[None]:
    cfg, pool, tasks = app[CONFIG], app[POOL], app[TASKS]
    ari = app[ARI] = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password, cfg.ari_app,
                               app[HTTP])
    writer = app[WRITER] = records.RecordWriter(pool)
    watch = app[CONFIG_WATCH] = ConfigWatch(app[LISTENER])
    lines = app[LINES] = LineDirectory(pool, lambda: watch.current("lines"))
    await lines.refresh()
    watch.on("lines", LINE_TABLES, lines.refresh)
    library = PromptLibrary(cfg.prompts_dir, Path(cfg.prompts_local_dir or cfg.prompts_dir))
    watch.on("prompts", prompt_watch.TABLES, prompt_watch.prompt_reload(pool, library))
    operator_states = Store(pool)
    acd = app[ACD] = Acd(
        ari, operator_states, writer,
        lambda language, name: library.uri(language, name, cfg.default_language), tasks,
    )
    acd.queue_log.waited = app[METRICS].queue_waited
    await acd.reload()
    legs = app[OUTBOUND] = OutboundLegs(ari, pool, app[KEY_RING], policy_of(cfg), acd)
    escalations = app[ESCALATIONS] = Escalations(ari, pool, legs, writer, library.uri,
                                                 cfg.default_language, tasks)
    ctx = CallContext(ari=ari, lines=lines, writer=writer, media_uri=library.uri,
                      default_language=cfg.default_language, queues=acd,
                      escalations=escalations)
    dispatcher = app[DISPATCHER] = CallDispatcher(ctx, acd, tasks)
    listen_in = app[LISTEN_IN] = ListenIn(ari, acd, writer, pool, tasks)
    dispatcher.owners += [listen_in, legs]
    dispatcher.outbound = legs
    app[TRANSFERS] = Transfers(ari, acd, legs, writer, tasks)
    PhoneKeys(app[TRANSFERS], acd, pool, tasks)  # it hooks itself to both
    dispatcher.conversations[phone.CODE] = phone.PhoneRecorder(ari, pool, library.local_dir,
                                                               library.uri)

    async def operators_synced() -> None:
        await acd.reload()
        report = operator_sync.last_report
        rewritten = [*report.created, *report.updated, *report.restored] if report else []
        with contextlib.suppress(AriError):  # a new operator's phone is followed at once
            await acd.following.refresh_endpoints(rewritten=rewritten)  # (else at the next sync)

    operator_sync = app[OPERATOR_SYNC] = OperatorSync(
        pool, app[LISTENER], after_sync=operators_synced,
        on_call=lambda: on_a_call(acd.picture), rtp_timeout=cfg.operator_rtp_timeout_seconds)
    acd.watch.add(_SignOffAfterCall(operator_sync, acd.picture))
    watch.on("queues", QUEUE_TABLES, acd.reload)
    vault = app[VAULT] = Vault(pool, ari, app[KEY_RING],
                               [VoicemailShelf(), CallRecordingShelf()])
    connected = app[CONNECTED] = asyncio.Event()
    tasks.spawn(writer.run(), "record-writer")
    tasks.spawn(operator_states.run(), "operator-states")
    tasks.spawn(vault.run(), "recording-vault")
    tasks.spawn(operator_sync.run(ari), "operator-sync")
    tasks.spawn(acd.rounds.run(), "queues")
    tasks.spawn(acd.following.keep_following(), "phones-check")
    tasks.spawn(watch.run(), "config-watch")
    guard = sip_guard(cfg, ari)
    if guard is not None:
        app[SIP_GUARD] = guard
        tasks.spawn(guard.run(), "sip-guard")
    tasks.spawn(run_event_stream(ari, app[HTTP], dispatcher.on_event,
                                 lambda: on_connect(app), connected), "ari-events")
    yield
    # The tasks stop after this (the registry is closed next); the call records and
    # operators' states held so far reach the database first, if it is there.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            await asyncio.gather(writer.drained(), operator_states.drained())
