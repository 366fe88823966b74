"""The SIP guard: Asterisk's security events in (AMI), bans out (a PJSIP acl through ARI).

Wiring (lifeline_pbx/engine.py): `guard = SipGuard(ari, settings)`, a task running
`guard.run()`, and `guard.resync()` on every ARI (re)connection (Asterisk may have
restarted and lost the acl, which lives in its memory). Nothing here touches a call: a
failure to read events or to write the acl is logged and retried with a growing wait,
never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from lifeline_pbx import backoff
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.sipguard import ami, bans
from lifeline_pbx.sipguard.acl import AclWriter

log = logging.getLogger(__name__)

CARRIER_IDENTIFY = "/asterisk/config/dynamic/res_pjsip/identify/carrier"


@dataclass(frozen=True)
class Settings:
    ami_port: int
    ami_user: str
    ami_secret: str
    policy: bans.Policy  # its `never` holds the configured exemptions; the carrier is added
    ami_host: str = "127.0.0.1"


async def _wait(event: asyncio.Event, seconds: float | None) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def carrier_networks(fields: list[dict[str, Any]]) -> tuple[bans.Network, ...]:
    """The carrier identify's `match` (Asterisk echoes `127.0.0.2/255.255.255.255,...`)."""
    match = next((str(f["value"]) for f in fields if f.get("attribute") == "match"), "")
    found: list[bans.Network] = []
    for part in filter(None, (p.strip() for p in match.split(","))):
        try:
            found.extend(bans.networks(part))
        except ValueError:
            log.warning("sip guard: carrier match %r is not an address; not exempted", part)
    return tuple(found)


class SipGuard:
    def __init__(self, ari: AriClient, settings: Settings) -> None:
        self._ari = ari
        self._settings = settings
        self._writer = AclWriter(ari)
        self._carrier: tuple[bans.Network, ...] = ()
        self._changed = asyncio.Event()
        self._resync = True
        self._written: frozenset[str] | None = None
        self.state = bans.State()
        self.ami_connected = asyncio.Event()

    @property
    def policy(self) -> bans.Policy:
        base = self._settings.policy
        return bans.Policy(base.failures, base.window, base.ban_for, base.never + self._carrier)

    def banned(self) -> list[str]:
        """The addresses Asterisk has been told to refuse (after the write went through)."""
        return sorted(self._written or ())

    def resync(self) -> None:
        """Write the acl again from scratch soon (after an ARI reconnection). Never blocks."""
        self._resync = True
        self._changed.set()

    def on_event(self, message: ami.Message) -> None:
        failure = bans.failure_of(message)
        if failure is None:
            return
        self.state, ban = bans.on_failure(self.state, self.policy, failure, time.monotonic())
        if ban is not None:
            log.warning(
                "sip address banned address=%s failures=%d window=%gs ban=%gs accounts_tried=%d",
                ban.address, ban.failures, self.policy.window, self.policy.ban_for, ban.accounts)
            self._changed.set()

    async def run(self) -> None:
        """Read events and keep the acl right until cancelled."""
        s = self._settings
        async with asyncio.TaskGroup() as group:
            group.create_task(ami.run(s.ami_host, s.ami_port, s.ami_user, s.ami_secret,
                                      self.on_event, self.ami_connected), name="sip-guard-ami")
            group.create_task(self._apply(), name="sip-guard-acl")

    async def _apply(self) -> None:
        failures = 0
        while True:
            due = bans.next_change(self.state, self.policy)
            await _wait(self._changed, None if due is None else max(0.0, due - time.monotonic()))
            self._changed.clear()
            try:
                await self._apply_once()
                failures = 0
            except Exception as exc:  # the guard must outlive any one failure
                if not isinstance(exc, AriError | OSError | TimeoutError):
                    log.exception("sip guard failed")
                failures += 1
                wait = backoff.delay(failures)
                log.warning("sip guard: %s; retrying in %.1fs", exc, wait)
                await _wait(self._changed, wait)
                self._changed.set()

    async def _apply_once(self) -> None:
        if self._resync:
            self._carrier = await self._read_carrier()
            self._writer.forget()
            self._written = None
        self.state, lifted = bans.expire(self.state, self.policy, time.monotonic())
        for address in lifted:
            log.info("sip ban lifted address=%s", address)
        wanted = frozenset(self.state.bans)
        if wanted != self._written:
            await self._writer.write(wanted)
            self._written = wanted
        self._resync = False

    async def _read_carrier(self) -> tuple[bans.Network, ...]:
        try:
            fields: list[dict[str, Any]] = await self._ari.request("GET", CARRIER_IDENTIFY)
        except AriError as exc:
            if exc.status == 404:
                return ()
            raise
        return carrier_networks(fields)
