"""Drive the carrier Asterisk (the facility's phone contractor) over its own ARI."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field

from devstack.asterisk import Instance
from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from tests.ari_peer import AriPeer
from tests.waiting import wait_for

# The PBX's outbound trunk account on the carrier (tests/asterisk/carrier/pjsip.conf).
TRUNK_USER = "lifeline-trunk"
TRUNK_PASSWORD = "trunk-Secret-2024-x7"


@dataclass
class CarrierCall:
    channel_id: str
    events: list[ari.Event] = field(default_factory=list)
    number: str = ""  # an outbound leg from the PBX: the number it dialled

    @property
    def answered(self) -> bool:
        return any(isinstance(e, ari.StasisStart) for e in self.events)

    @property
    def ended(self) -> bool:
        # A leg from the PBX came in through the dialplan: followed only until StasisEnd.
        gone = ari.ChannelDestroyed | ari.StasisEnd if self.number else ari.ChannelDestroyed
        return any(isinstance(e, gone) for e in self.events)

    def recording(self) -> ari.RecordingFinished | None:
        return next((e for e in self.events if isinstance(e, ari.RecordingFinished)), None)


class Carrier(AriPeer):
    """Places SIP calls from the carrier instance to the PBX and watches what happens."""

    app = "carrier"

    def __init__(self, instance: Instance, pbx_sip: str) -> None:
        super().__init__(instance)
        self.pbx_sip = pbx_sip
        self.calls: dict[str, CarrierCall] = {}
        self._recordings: dict[str, str] = {}

    def _on_event(self, event: ari.Event) -> None:
        channel_id = ari.channel_id_of(event)
        if isinstance(event, ari.RecordingFinished):
            channel_id = self._recordings.get(event.name)
        if (isinstance(event, ari.StasisStart) and event.args[:1] == ("outbound",)
                and channel_id not in self.calls):
            self.calls[event.channel.id] = CarrierCall(event.channel.id, number=event.channel.exten)
        if channel_id in self.calls:
            self.calls[channel_id].events.append(event)

    async def call(
        self, did: str, caller_id: str = '"Facility Phone" <5550100>', *, record: bool = True,
        uri: str | None = None,
    ) -> CarrierCall:
        channel_id = f"carrier-{uuid.uuid4().hex[:12]}"
        call = CarrierCall(channel_id)
        self.calls[channel_id] = call
        endpoint = f"PJSIP/pbx/{uri}" if uri else f"PJSIP/{did}@pbx"
        await self.ari.originate(endpoint, channel_id=channel_id, caller_id=caller_id,
                                 app_args="test", timeout=15)
        if record:
            await wait_for(lambda: call.answered or call.ended, what="carrier call answered")
            if call.answered and not call.ended:
                self._recordings[channel_id] = channel_id
                try:
                    await self.record_snoop(channel_id, channel_id)
                except AriError:  # the PBX may hang up first
                    self._recordings.pop(channel_id)
        return call

    async def record(self, call: CarrierCall) -> None:
        """Record what this call hears from now on (recording_path), as `call` does."""
        self._recordings[call.channel_id] = call.channel_id
        await self.record_snoop(call.channel_id, call.channel_id)

    def recording_path(self, call: CarrierCall) -> str:
        return str(self.recording_file(call.channel_id))

    async def send_dtmf(self, call: CarrierCall, digits: str) -> None:
        await self.ari.send_dtmf(call.channel_id, digits)

    async def hang_up(self, call: CarrierCall) -> None:
        if call.channel_id in self._recordings and call.recording() is None:
            with contextlib.suppress(AriError):  # closes the file before the channel goes
                await self.ari.stop_recording(call.channel_id)
        await self.ari.hangup(call.channel_id)

    async def ended(self, call: CarrierCall, timeout: float = 30) -> CarrierCall:
        await wait_for(lambda: call.ended, timeout=timeout, what="carrier call ended")
        return call

    # Calls the PBX places out through its trunk (they reach us authenticated)
    def incoming(self) -> list[CarrierCall]:
        return [c for c in self.calls.values() if c.number]

    async def offered(self, number: str, timeout: float = 20) -> CarrierCall:
        def probe() -> CarrierCall | None:
            return next((c for c in self.incoming() if c.number == number), None)

        found: CarrierCall = await wait_for(probe, timeout=timeout,
                                            what=f"the PBX calling {number} out")
        return found

    async def answer(self, call: CarrierCall) -> None:
        await self.ari.answer(call.channel_id)
