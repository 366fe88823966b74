"""Operators' SIP accounts in Asterisk follow the operators table, without a restart.

For every enabled operator the app writes three PJSIP objects through ARI's dynamic
configuration (`PUT /asterisk/config/dynamic/res_pjsip/{auth,aor,endpoint}/<username>`),
kept by Asterisk in its astdb (asterisk-conf/sorcery.conf), so a softphone registers as
user `<username>`, realm `lifeline`. `sync` makes Asterisk match the table: it creates or
updates the objects of enabled operators (only when a field differs: a sync with nothing
to do writes nothing), and deletes those of disabled or removed operators, except that
an operator disabled on a call keeps their account until that call ends (their phone's
call goes on; `call_ended` asks for the sync that removes it).

An operator whose objects Asterisk keeps in astdb but does not list as an endpoint is
written again: stored but not loaded, an endpoint's state is not followed (no
PeerStatusChange: the queues would never see the phone online). Asterisk loads every
stored endpoint when it starts (asterisk-conf/sorcery.conf says why the order there
matters); this covers what it did not.

Which objects are ours: operator endpoints, and nothing else, have `context=operators`.
ARI cannot list dynamic objects but lists endpoints (`GET /endpoints/PJSIP`): one there
with that context that is not an enabled operator is deleted, auth and aor first, so a
half-finished delete leaves the endpoint listed for the next sync to finish. No table of
pushed ids is kept: it could drift from Asterisk's astdb (wiped, restored); this cannot.

Wiring (lifeline_pbx/engine.py): `OperatorSync(pool, listener, after_sync=acd.reload,
on_call=<operators bridged now>, rtp_timeout=<the setting>)`, `call_ended` from the
distributor's watchers, a task running `run(ari)`, and `request()` on every ARI
(re)connection (returns at once, never raises).

It follows 'lifeline_operators' on the app's listener (pg_listen.Listener: reconnecting
with a growing wait, and syncing after each reconnection: notifications may have been
missed); `run` syncs after each notification; requests made during a sync are merged into
one more. A failed sync is retried with a growing wait, or at once on the next request.
Cancel the task to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError
from lifeline_pbx.operators import store
from lifeline_pbx.operators.pjsip import OPERATOR_CONTEXT, RTP_TIMEOUT, pjsip_objects, same_fields
from lifeline_pbx.pg_listen import Listener

log = logging.getLogger(__name__)

CHANNEL = "lifeline_operators"
CONFIG_CLASS = "res_pjsip"

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Whether event was set within seconds. Not asyncio.wait_for: on Python 3.11 it can
    swallow a cancellation that arrives as the event is set, and the task never stops."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  # stored, but not loaded (restarted)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # disabled, but on a call: removed after
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.restored or self.deleted)


def _raise_if_unreachable(exc: AriError) -> None:
    if exc.status == 0:
        raise exc


async def _get(ari: AriClient, object_type: str, object_id: str) -> dict[str, str] | None:
    try:
        fields: list[dict[str, Any]] = await ari.request(
            "GET", f"/asterisk/config/dynamic/{CONFIG_CLASS}/{object_type}/{object_id}"
        )
    except AriError as exc:
        if exc.status == 404:
            return None
        raise
    return {str(f["attribute"]): str(f["value"]) for f in fields}


async def _push(ari: AriClient, op: store.Operator, report: SyncReport, listed: bool,
                rtp_timeout: int) -> None:
    """listed: Asterisk lists the endpoint (it has it loaded, not only stored)."""
    user = op.sip_username
    try:
        endpoint = await _get(ari, "endpoint", user)
        if endpoint is not None and endpoint.get("context") != OPERATOR_CONTEXT:
            report.failed[user] = "an endpoint of that name exists outside Lifeline (pjsip.conf)"
            return
        written = False
        for object_type, object_id, fields in pjsip_objects(op, rtp_timeout):
            current = endpoint if object_type == "endpoint" else await _get(
                ari, object_type, object_id)
            if current is None or not same_fields(fields, current) or not listed:
                await ari.set_dynamic_object(CONFIG_CLASS, object_type, object_id, fields)
                written = True
    except AriError as exc:
        _raise_if_unreachable(exc)
        report.failed[user] = str(exc)
        return
    if endpoint is None:
        target = report.created
    elif not written:
        target = report.unchanged
    else:
        target = report.updated if listed else report.restored
    target.append(user)


async def _listed(ari: AriClient) -> set[str]:
    endpoints: list[dict[str, Any]] = await ari.request("GET", "/endpoints/PJSIP")
    return {str(e["resource"]) for e in endpoints}


async def _stale(ari: AriClient, listed: set[str], wanted: set[str]) -> list[str]:
    """Endpoints Asterisk has with context=operators that are not enabled operators."""
    stale = []
    for resource in sorted(listed):
        if resource in wanted:
            continue
        endpoint = await _get(ari, "endpoint", resource)
        if endpoint is not None and endpoint.get("context") == OPERATOR_CONTEXT:
            stale.append(resource)
    return stale


async def _delete(ari: AriClient, object_type: str, user: str) -> None:
    try:
        await ari.delete_dynamic_object(CONFIG_CLASS, object_type, user)
    except AriError as exc:
        if exc.status != 404:  # already gone is what we want
            raise


async def _remove(ari: AriClient, user: str, report: SyncReport) -> None:
    try:
        for object_type in ("auth", "aor", "endpoint"):
            await _delete(ari, object_type, user)
    except AriError as exc:
        _raise_if_unreachable(exc)
        report.failed[user] = str(exc)
        return
    report.deleted.append(user)


async def sync(pool: Pool, ari: AriClient, on_call: Collection[str] = (),
               rtp_timeout: int = RTP_TIMEOUT) -> SyncReport:
    """Make Asterisk's operator accounts match the enabled operators in PostgreSQL.

    An account no longer wanted whose operator is on a call (`on_call`) is kept until a
    sync after that call: Asterisk must not lose the endpoint of a live call.
    rtp_timeout: operators/pjsip.pjsip_objects.
    Per-operator refusals are collected in report.failed; AriError with status 0 (Asterisk
    unreachable) and database errors are raised.
    """
    async with pool.acquire() as con:
        operators = await store.list_enabled(con)
    report = SyncReport()
    listed = await _listed(ari)
    for op in operators:
        await _push(ari, op, report, op.sip_username in listed, rtp_timeout)
    for user in await _stale(ari, listed, {op.sip_username for op in operators}):
        if user in on_call:
            report.kept.append(user)
        else:
            await _remove(ari, user, report)
    return report


class OperatorSync:
    """Keeps Asterisk's operator accounts in step with PostgreSQL for the app's lifetime."""

    def __init__(
        self, pool: Pool, listener: Listener,
        after_sync: Callable[[], Awaitable[None]] | None = None,
        on_call: Callable[[], Collection[str]] = frozenset,
        rtp_timeout: int = RTP_TIMEOUT,
    ) -> None:
        self._pool = pool
        self._rtp_timeout = rtp_timeout
        self._after_sync = after_sync  # e.g. the queues re-reading who the operators are
        self._on_call = on_call  # the operators bridged with a caller now
        self._wanted = asyncio.Event()
        listener.on(CHANNEL, self._notified, on_listen=self.request)
        self.listening = listener.listening  # set while the LISTEN connection is up
        self.last_report: SyncReport | None = None
        self.syncs = 0  # syncs completed without an error
        self._syncing = False

    def request(self) -> None:
        """Ask for a sync soon (merged with any already asked for). Never blocks."""
        self._wanted.set()

    def settled(self) -> bool:
        """No sync running (with its after_sync) nor asked for: what Asterisk and the
        queues hold follows the table as last read."""
        return not self._syncing and not self._wanted.is_set()

    def call_ended(self, username: str) -> None:
        """An operator's call ended: if their account was kept for it, remove it now."""
        if self.last_report is not None and username in self.last_report.kept:
            self.request()

    async def run(self, ari: AriClient) -> None:
        """Sync when asked, until cancelled."""
        failures = 0
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            self._syncing = True
            try:
                ok = await self._sync_once(ari)
            except Exception:  # the loop must outlive any one bad sync
                log.exception("operator sync failed")
                ok = False
            finally:
                self._syncing = False
            if ok:
                failures = 0
                continue
            failures += 1
            wait = backoff.delay(failures)
            log.warning("operator sync failed; retrying in %.1fs", wait)
            await _wait(self._wanted, wait)
            self._wanted.set()

    async def _sync_once(self, ari: AriClient) -> bool:
        try:
            report = await sync(self._pool, ari, self._on_call(), self._rtp_timeout)
        except (AriError, OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as exc:
            log.warning("operator sync: %s", exc)
            return False
        self.last_report = report
        if report.changed or report.failed or report.kept:
            log.info(
                "operator sync created=%s updated=%s restored=%s deleted=%s kept=%s failed=%s",
                report.created, report.updated, report.restored, report.deleted, report.kept,
                report.failed,
            )
        self.syncs += 1
        if self._after_sync is not None:
            try:
                await self._after_sync()
            except DATABASE_ERRORS as exc:
                log.warning("after operator sync: %s", exc)
                return False
        return not report.failed

    def _notified(self, payload: str) -> None:
        log.debug("operator changed: %r", payload)
        self.request()
