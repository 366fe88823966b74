"""An Asterisk started with the repo's configuration says nothing at start but that it is
ready: no warning in its log or on its console (the journal, on a server), where an operator
would learn to skip past noise. And the NAT settings of a server behind 1:1 NAT reach the
SIP transport a real Asterisk runs."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import shutil
from collections.abc import Iterator, Mapping

import pytest

from devstack import asterisk
from lifeline_pbx import asterisk_config
from lifeline_pbx.paths import HOME
from tests.test_asterisk_config import NAT
from tests.waiting import wait_for

HOST = asterisk.own_loopback(6)  # this process's: no other Asterisk listens there
# Asterisk's own, whatever stasis.conf says (22.7 and later): it registers the stasis pool's
# minimum_size under the type 'threadpool', its documentation lists it under 'taskpool' only.
UPSTREAM = "Could not find option 'minimum_size' with type 'threadpool' in module 'stasis'"


@contextlib.contextmanager
def started(rt: asterisk.Runtime, extra: Mapping[str, str]) -> Iterator[asterisk.Instance]:
    instance = asterisk.make_instance(
        rt, "quiet", [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
        sip_bind=HOST, sip_port=asterisk.usual_port(HOST, asterisk.SIP_PORT, 2),
        http_bind=HOST, http_port=asterisk.usual_port(HOST, asterisk.HTTP_PORT),
        rtp_start=asterisk_config.RTP_RANGE[0],
        extra={"demo_caller_password": "pw", **extra})
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        shutil.rmtree(instance.host_base, ignore_errors=True)


async def said_at_start(instance: asterisk.Instance) -> list[str]:
    """What Asterisk printed on its console before it was ready (warnings and errors, and
    what it prints before its logger starts), and the warnings and errors in its log."""
    console = instance.host_base / "log" / "console.log"
    await wait_for(lambda: "Asterisk Ready." in console.read_text(errors="replace") or None,
             what="Asterisk ready")
    printed = console.read_text(errors="replace").splitlines()
    logged = [line for line in instance.log_path.read_text(errors="replace").splitlines()
              if " WARNING[" in line or " ERROR[" in line]
    return [line for line in printed + logged if line != UPSTREAM
            and not line.startswith(("PBX UUID:", "Asterisk Ready."))]


@pytest.mark.parametrize("extra", [{}, NAT], ids=["shipped", "behind NAT"])
async def test_asterisk_starts_without_a_warning(
        asterisk_runtime: asterisk.Runtime, extra: dict[str, str]) -> None:
    with started(asterisk_runtime, extra) as instance:
        assert await said_at_start(instance) == []
        transport = await asyncio.to_thread(instance.cli, "pjsip show transport transport-udp")
    shown = {(line.split(":", 1)[0].strip(), line.split(":", 1)[1].strip())
             for line in transport.splitlines() if ":" in line}
    wanted = {(name, item.strip()) for name, value in extra.items() for item in value.split(",")
              if name != "local_net"}  # shown with its netmask spelled out
    wanted |= {("local_net", ipaddress.ip_network(net.strip()).with_netmask)
               for net in extra.get("local_net", "").split(",") if net.strip()}
    assert wanted <= shown, transport
