"""The queues' bridges in Asterisk: callers held in their queue's holding bridge with
music, taken off it, put back after a call bridge that failed; call bridges made and
dropped. Their ids are fixed (queues/bridges.py), so they outlive the app."""

from __future__ import annotations

import contextlib
import logging

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.queues.bridges import holding_bridge
from lifeline_pbx.queues.picture import Waiter

log = logging.getLogger(__name__)


class Holding:
    def __init__(self, ari_client: AriClient) -> None:
        self.ari = ari_client
        self._held: set[str] = set()  # holding bridges made, their music on

    async def hold(self, queue_id: int, channel_id: str) -> None:
        """Into the queue's holding bridge; AriError when it could not be done."""
        bridge = holding_bridge(queue_id)
        await self._holding(bridge)
        try:
            await self.ari.add_to_bridge(bridge, channel_id)
        except AriError as exc:
            if exc.status != 404:  # 404: the bridge is gone (Asterisk restarted)
                raise
            self._held.discard(bridge)
            await self._holding(bridge)
            await self.ari.add_to_bridge(bridge, channel_id)

    async def _holding(self, bridge_id: str) -> None:
        """The queue's holding bridge, with its music, made once (not once per caller)."""
        if bridge_id not in self._held:
            await self.ensure_bridge(bridge_id, "holding")
            await self.ari.bridge_moh(bridge_id)
            self._held.add(bridge_id)

    async def ensure_bridge(self, bridge_id: str, kind: str) -> None:
        """Queue bridges outlive the app (that is how waiting callers survive a restart)."""
        try:
            await self.ari.create_bridge(bridge_id, kind, bridge_id)
        except AriError as exc:
            if exc.status != 409:  # 409: it exists already
                raise

    async def unhold(self, waiter: Waiter) -> None:
        with contextlib.suppress(AriError):
            await self.ari.remove_from_bridge(holding_bridge(waiter.queue_id),
                                              waiter.call.channel_id)

    async def back_on_hold(self, bridge_id: str, waiter: Waiter) -> None:
        """Undo a bridge that failed: an error may come after Asterisk did add the legs
        (a request that timed out), and the caller then leaves it with no music; so the
        bridge goes and the caller is put back in the holding bridge unless still there."""
        await self.drop_bridge(bridge_id)
        holding = holding_bridge(waiter.queue_id)
        try:
            if waiter.call.channel_id not in (await self.ari.bridge(holding))["channels"]:
                await self.ari.add_to_bridge(holding, waiter.call.channel_id)
        except AriError as exc:  # the caller gone: their session closes the call
            log.warning("caller not put back on hold call=%s status=%d", waiter.call.call_id,
                        exc.status)

    async def drop_bridge(self, bridge_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(bridge_id)
