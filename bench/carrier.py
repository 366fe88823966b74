"""The carrier's side of a bench run: calls placed into the PBX's line, each one noted as
the PBX answers it and as it ends."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from devstack import asterisk
from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from tests.ari_peer import AriPeer


@dataclass
class Placed:
    channel_id: str
    placed_at: float
    answered: bool = False
    ended: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, *, answered: bool = False, ended: bool = False) -> None:
        self.answered |= answered
        self.ended |= ended
        self._changed.set()

    async def until(self, holds: Callable[[], bool]) -> None:
        """Wait until `holds()` is true; it is checked each time the call changes."""
        while not holds():
            self._changed.clear()
            await self._changed.wait()


class Carrier(AriPeer):
    app = "carrier"

    def __init__(self, instance: asterisk.Instance) -> None:
        super().__init__(instance)
        self.calls: dict[str, Placed] = {}

    def _on_event(self, event: ari.Event) -> None:
        call = self.calls.get(ari.channel_id_of(event) or "")
        if call is None:
            return
        if isinstance(event, ari.StasisStart):
            call.note(answered=True)
        elif isinstance(event, ari.ChannelDestroyed):
            call.note(ended=True)

    async def place(self, did: str, number: int, name: str = "Bench") -> Placed:
        """A call to `did` from caller `number`; one Asterisk refused is over at once."""
        channel_id = f"bench-{uuid.uuid4().hex[:12]}"
        placed = self.calls[channel_id] = Placed(channel_id, time.time())
        try:
            await self.ari.originate(f"PJSIP/{did}@pbx", channel_id=channel_id,
                                     caller_id=f'"{name}" <{5550000 + number}>',
                                     app_args="bench", timeout=30)
        except AriError:
            placed.note(ended=True)
        return placed

    async def hang_up(self, call: Placed) -> None:
        try:
            await self.ari.hangup(call.channel_id)
        except AriError:  # already gone
            call.note(ended=True)

    async def hang_up_all(self) -> None:
        for call in list(self.calls.values()):
            if not call.ended:
                await self.hang_up(call)
