"""The SIP guard against a real password-guessing tool (sipvicious svcrack) and the real PBX."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from devstack import asterisk
from lifeline_pbx.app import Running, create_app
from lifeline_pbx.errors import AriError
from lifeline_pbx.operators import sip_sync, store
from lifeline_pbx.prompts import LANGUAGES
from lifeline_pbx.resources import ARI, CONNECTED, POOL, SIP_GUARD
from lifeline_pbx.sipguard.acl import SLOTS
from lifeline_pbx.sipguard.guard import SipGuard
from tests.conftest import SipNet, app_config
from tests.phones import Phones, put_back
from tests.waiting import wait_for

SCANNER = "127.0.0.9"  # not the PBX, the carrier or the phones (tests/conftest.py SipNet)
FAILURES = 10
BAN_SECONDS = 6
# sipvicious 0.3.8's svcrack parses -b/--bindingip but never hands it to its scanner, which
# then sends from 127.0.0.1. This runs the same tool with the binding put back.
SVCRACK = """
import sys
import sipvicious.svcrack as svcrack
bind = sys.argv.pop(1)
class Bound(svcrack.ASipOfRedWine):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, bindingip=bind, **kwargs)
svcrack.ASipOfRedWine = Bound
sys.argv[0] = "sipvicious_svcrack"
svcrack.main()
"""


@pytest.fixture
async def guarded(
    pbx: asterisk.Instance, app_dsn: str, prompts_dir: str, sip_net: SipNet
) -> AsyncIterator[web.Application]:
    """The app with its SIP guard on, a short ban; the shared PBX keeps no ban after."""
    started = Running(create_app(app_config(
        pbx, app_dsn, prompts_dir, ami_host=pbx.values["ami_host"],
        ami_port=int(pbx.values["ami_port"]),
        ami_user=pbx.values["ami_user"], ami_secret=pbx.values["ami_secret"],
        sip_ban_failures=FAILURES, sip_ban_window_seconds=60, sip_ban_seconds=BAN_SECONDS,
        # The test phones share one address like an office behind NAT, and one whose
        # account a test changed keeps failing to register, as a misconfigured office
        # phone would: exempt them, as docs/operations.md advises.
        sip_ban_exempt=(ipaddress.ip_network("127.0.0.1/32"),
                        ipaddress.ip_network(f"{sip_net.phones_host}/32")))))
    app = (await started.start()).app
    await wait_for(app[CONNECTED].is_set, what="ARI connected")
    assert SIP_GUARD in app
    await wait_for(app[SIP_GUARD].ami_connected.is_set, what="AMI logged in")
    try:
        yield app
    finally:
        for slot in SLOTS:
            try:
                await app[ARI].delete_dynamic_object("res_pjsip", "acl", slot)
            except AriError as exc:
                assert exc.status == 404
        async with app[POOL].acquire() as con:
            await put_back(con)
        await sip_sync.sync(app[POOL], app[ARI])
        await started.stop()


def register_status(source: str, pbx: tuple[str, int], user: str) -> int:
    """Send one REGISTER without credentials from source; the PBX's answer: 401 (a
    challenge: go on) or 403 (refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(3)
        port, tag = sock.getsockname()[1], uuid.uuid4().hex
        sock.sendto((
            f"REGISTER sip:{pbx[0]}:{pbx[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source}:{port};rport;branch=z9hG4bK{tag}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@{pbx[0]}>;tag={tag}\r\n"
            f"To: <sip:{user}@{pbx[0]}>\r\nCall-ID: {tag}\r\nCSeq: 1 REGISTER\r\n"
            f"Contact: <sip:{user}@{source}:{port}>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n"
        ).encode(), pbx)
        return int(sock.recv(4096).split()[1])


async def status_is(source: str, pbx: asterisk.Instance, user: str, wanted: int) -> bool:
    address = (pbx.values["sip_bind"], int(pbx.values["sip_port"]))
    return await asyncio.to_thread(register_status, source, address, user) == wanted


async def svcrack(pbx: asterisk.Instance, user: str, words: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", SVCRACK, SCANNER, "-u", user, "-d", str(words),
        "-p", pbx.values["sip_port"], pbx.values["sip_bind"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


def failed_auth_lines(pbx: asterisk.Instance, offset: int) -> int:
    """How many failed authentications from the scanner Asterisk logged after offset."""
    with open(pbx.log_path, "rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return sum(1 for line in text.splitlines()
               if f"failed for '{SCANNER}:" in line and "Failed to authenticate" in line)


async def add_operator(app: web.Application, username: str, password: str) -> None:
    async with app[POOL].acquire() as con:
        await store.add(con, store.validate(f"Test {username}", username, password, ["en"],
                                                LANGUAGES))

    async def exists() -> bool:
        return any(e["resource"] == username for e in await app[ARI].endpoints())

    await wait_for(exists, what=f"{username} in Asterisk")


async def test_a_password_guesser_is_stopped_refused_and_let_back_after_the_ban(
    guarded: web.Application, pbx: asterisk.Instance, phones: Phones, tmp_path: Path
) -> None:
    guard = guarded[SIP_GUARD]
    assert isinstance(guard, SipGuard)
    secret = store.generate_password()
    await add_operator(guarded, "scan-target", secret)
    words = tmp_path / "words.txt"
    words.write_text("".join(f"guess-{n:04d}\n" for n in range(1000)) + f"{secret}\n")
    offset = pbx.log_path.stat().st_size

    scan = await svcrack(pbx, "scan-target", words)
    try:
        await wait_for(lambda: SCANNER in guard.banned(), timeout=30, what="the scanner banned")
        await wait_for(lambda: status_is(SCANNER, pbx, "scan-target", 403),
                       what="the scanner's address refused")
    finally:
        scan.send_signal(signal.SIGINT)  # svcrack goes on sending into the 403s until told
        output = (await asyncio.wait_for(scan.communicate(), 15))[0].decode(errors="replace")
    assert secret not in output
    assert "found nothing" in output, output[-2000:]
    tried = failed_auth_lines(pbx, offset)
    print(f"failed authentications Asterisk saw from the scanner: {tried}")
    assert FAILURES <= tried <= 2 * FAILURES, tried

    # Another address is not refused: an operator's phone registers.
    phones.register_now("op-a")
    await wait_for(lambda: phones.registration_status("op-a") == "Registered",
                   what="op-a registered from the phones' address")

    # The ban ends by itself, and the address is heard again.
    await wait_for(lambda: status_is(SCANNER, pbx, "scan-target", 401),
                   timeout=BAN_SECONDS + 10, what="the ban lifted")
    assert guard.banned() == []
    # The scan was stopped by the ban, not by its word list: three words find the secret.
    words.write_text(f"guess-a\nguess-b\n{secret}\n")
    again = await svcrack(pbx, "scan-target", words)
    output = (await asyncio.wait_for(again.communicate(), 30))[0].decode(errors="replace")
    assert secret in output, output[-2000:]
