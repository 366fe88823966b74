"""When the PBX has no RTP port left, a new call is refused at once with a clean SIP error
(488 Not Acceptable Here: the carrier sees cause 58) and Asterisk logs why; the next call
after ports free up is answered. Asterisk cannot play anything to a call it has no media
port for, so the carrier's own tone is what the caller hears. The ports are taken here by
real sockets, the only way to fill the range on demand."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiohttp import web

from devstack import asterisk
from lifeline_pbx.ari import events as ari
from tests.carrier import Carrier
from tests.waiting import wait_for

DEMO_DID = "15550100101"
SIP_488_CAUSE = 58  # "Bearer capability not available", Asterisk's cause for a SIP 488


class RtpPorts:
    """Holds every free port of the PBX's RTP range (take) until release."""

    def __init__(self, pbx: asterisk.Instance) -> None:
        self.pbx = pbx
        self.held: list[socket.socket] = []

    def take(self) -> int:
        values = self.pbx.values
        for port in range(int(values["rtp_start"]), int(values["rtp_end"]) + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((values["sip_bind"], port))
            except OSError:  # in use by a live call of the PBX: taken already
                sock.close()
                continue
            self.held.append(sock)
        return len(self.held)

    def release(self) -> None:
        for sock in self.held:
            sock.close()
        self.held.clear()


@pytest.fixture
def rtp_ports(pbx: asterisk.Instance) -> Iterator[RtpPorts]:
    ports = RtpPorts(pbx)
    try:
        yield ports
    finally:
        ports.release()


async def test_no_rtp_port_left_is_a_clean_refusal_then_calls_resume(
    lifeline: web.Application, carrier: Carrier, pbx: asterisk.Instance, rtp_ports: RtpPorts
) -> None:
    assert rtp_ports.take() > 900  # the test range is 999 ports
    log_start = pbx.log_path.stat().st_size
    refused = await carrier.call(DEMO_DID, record=False)
    await carrier.ended(refused, timeout=15)
    assert not refused.answered
    destroyed = next(e for e in refused.events if isinstance(e, ari.ChannelDestroyed))
    assert destroyed.cause == SIP_488_CAUSE, destroyed.cause_text
    with pbx.log_path.open(errors="replace") as log:
        log.seek(log_start)
        assert "couldn't allocate a port for RTP" in log.read()

    rtp_ports.release()  # the refusal left nothing behind: the same DID answers again
    answered = await carrier.call(DEMO_DID, record=False)
    await wait_for(lambda: answered.answered or answered.ended, what="second call answered")
    assert answered.answered and not answered.ended
    await carrier.hang_up(answered)
    await carrier.ended(answered)
