"""The operators' phones as the queues follow them: the app's subscriptions to their
endpoints (queues/phones.py says which), and which are online, from Asterisk's events and
from listings asked after a sync, a reconnection and every FOLLOW_CHECK seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.queues import phones, staff_events
from lifeline_pbx.queues.picture import Picture
from lifeline_pbx.queues.staff_shell import StaffShell

log = logging.getLogger(__name__)
FOLLOW_CHECK = 30.0  # seconds between two checks of the phones' subscriptions and states


class Following:
    def __init__(self, ari_client: AriClient, picture: Picture, shell: StaffShell) -> None:
        self.ari = ari_client
        self.picture = picture
        self.shell = shell
        self._followed: set[str] = set()  # operators' endpoints subscribed to
        # Phones' state events heard so far, and for each endpoint the count at its last:
        # a listing asked before an event must not undo what the event said.
        self._heard = 0
        self._heard_at: dict[str, int] = {}

    def endpoint_changed(self, event: ari.EndpointState) -> None:
        if event.technology != phones.TECHNOLOGY:
            return
        self._heard += 1
        self._heard_at[event.resource] = self._heard
        # Sent too as a channel comes to or leaves the phone (twice a call): no new round.
        if event.online != (event.resource in self.picture.online):
            self.shell.step(staff_events.Registration(event.resource, event.online))

    async def refresh_endpoints(self, *, reconnected: bool = False,
                                rewritten: Collection[str] = ()) -> None:
        """Follow every operator's phone (queues/phones.py) and read which are online.

        reconnected: Asterisk may have restarted and forgotten the app's subscriptions.
        rewritten: endpoints the SIP sync just wrote; one deleted and written again since
        the last refresh is a new endpoint in Asterisk, without the old subscription."""
        if reconnected:
            self._followed.clear()
        self._followed.difference_update(rewritten)
        asked = self._heard
        listed = await self._endpoints()
        self._followed = phones.still_there(listed, self._followed)
        new = phones.to_follow(listed, self.picture.operators, self._followed)
        if new:
            await self._follow(new)
            asked = self._heard
            listed = await self._endpoints()  # a phone may have registered meanwhile
        heard_since = frozenset(name for name, at in self._heard_at.items() if at > asked)
        self.shell.step(staff_events.Registrations(phones.online(listed), heard_since))

    async def keep_following(self) -> None:
        """Check the phones' subscriptions and states every FOLLOW_CHECK seconds, until
        cancelled: a state event lost would leave an operator offline to the queues."""
        while True:
            await asyncio.sleep(FOLLOW_CHECK)
            try:
                await self.check_following()
            except AriError as exc:
                log.warning("phones' states not checked status=%s", exc.status)

    async def check_following(self) -> None:
        """Subscribe again where Asterisk no longer has the app subscribed (an endpoint
        written again is a new one, without the old subscription), then read the states."""
        subscribed = await self.ari.subscribed_endpoints()
        self._followed &= phones.names(subscribed)
        await self.refresh_endpoints()

    async def _follow(self, names: list[str]) -> None:
        try:
            await self.ari.subscribe([phones.source(name) for name in names])
        except AriError as exc:
            if not 400 <= exc.status < 500:
                raise
            # One endpoint went away since the list was read (Asterisk then refuses all):
            # the others one by one; the missing one at the next refresh, if it is back.
            for name in names:
                with contextlib.suppress(AriError):
                    await self.ari.subscribe([phones.source(name)])
                    self._followed.add(name)
            return
        self._followed.update(names)

    async def _endpoints(self) -> list[ari.EndpointState]:
        return [ari.parse_endpoint(e) for e in await self.ari.endpoints(phones.TECHNOLOGY)]
