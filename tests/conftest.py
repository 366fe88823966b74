"""Fixtures for the tiers that need real parts: PostgreSQL, Asterisk (PBX and carrier), the app.

Asterisk instances are started once per session from the repo's own asterisk-conf/ and
dialplan/; each test gets a fresh database and its own run of the Lifeline app.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiohttp import web

from devstack import asterisk
from devstack.stack import DEMO_CALLER_PASSWORD
from lifeline_pbx import asterisk_config
from lifeline_pbx.app import create_app, running
from lifeline_pbx.config import Config
from lifeline_pbx.paths import HOME
from lifeline_pbx.resources import CONNECTED
from tests import scheduling
from tests.carrier import TRUNK_PASSWORD, TRUNK_USER, Carrier
from tests.hashing import use_light_hashing
from tests.waiting import wait_for

pytest_plugins = ["tests.pg_fixtures", "tests.engine", "tests.web_fixtures", "tests.browser",
                  "tests.privacy"]

# RTP port ranges: each xdist worker has a block of its own (1000 ports per Asterisk, 100
# per softphone), so that no two workers send media into each other's calls, and a run's
# blocks are one of three sets by its process id, so that two runs at once on one machine
# (a developer's and a helper's) mostly do not either. The base was once each worker's
# process id modulo 10: two of four workers shared their ranges in half the runs.
RTP_BLOCK = 3500  # a worker's: three Asterisks and up to five softphones


def _rtp_base() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    run = os.getppid() if "PYTEST_XDIST_WORKER" in os.environ else os.getpid()
    return 20000 + ((run % 3) * 4 + int(worker) % 4) * RTP_BLOCK


RTP_BASE = _rtp_base()
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Each pytest-xdist worker runs its own Asterisks: their logs are kept apart.
WORKER = f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
CARRIER_CONF = Path(__file__).resolve().parent / "asterisk" / "carrier"


@dataclass(frozen=True)
class SipNet:
    """Where the test Asterisks listen: each on a loopback address of this run's own
    (devstack/asterisk.py own_loopback), SIP on the usual port and ARI's HTTP on 8088, or the
    next free ones when a PBX on this machine holds those on every address (usual_port)."""

    pbx_host: str = asterisk.own_loopback(1)
    carrier_host: str = asterisk.own_loopback(2)
    phones_host: str = asterisk.own_loopback(3)
    pbx_port: int = asterisk.SIP_PORT
    carrier_port: int = asterisk.SIP_PORT
    phones_port: int = asterisk.SIP_PORT
    http_port: int = asterisk.HTTP_PORT

    @classmethod
    def here(cls) -> SipNet:
        net = cls()
        hosts = (net.pbx_host, net.carrier_host, net.phones_host)
        pbx, carrier, phones = (asterisk.usual_port(host, asterisk.SIP_PORT, socket.SOCK_DGRAM)
                                for host in hosts)
        return replace(net, pbx_port=pbx, carrier_port=carrier, phones_port=phones,
                       http_port=max(asterisk.usual_port(host, asterisk.HTTP_PORT)
                                     for host in hosts))

    @property
    def pbx(self) -> str:
        return f"{self.pbx_host}:{self.pbx_port}"


def pytest_configure(config: pytest.Config) -> None:
    use_light_hashing()  # before any hash is made: tests/hashing.py


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order xdist's workers are handed the tests in (tests/scheduling.py)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = scheduling.dealt(items, workers, lambda item: scheduling.weight(
            {*getattr(item, "fixturenames", ()), *(mark.name for mark in item.iter_markers())}))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core, at most four (each runs a PostgreSQL and three
    Asterisks; `-n 0` runs the tests in this process). The suite mostly waits (on calls
    through Asterisk, SIP timers, the database), so a worker per core left the CPU half
    idle: on 2 cores, 4 workers took 285 s where 2 took 380 s, and 6 took longer again
    (docs/decisions.md)."""
    return min(4, 2 * len(os.sched_getaffinity(0)))


@pytest.fixture(scope="session")
def asterisk_runtime() -> asterisk.Runtime:
    return asterisk.runtime()


@pytest.fixture(scope="session")
def prompts_dir(asterisk_runtime: asterisk.Runtime) -> str:
    return asterisk.shipped_prompts(asterisk_runtime)


@pytest.fixture(scope="session")
def sip_net() -> SipNet:
    return SipNet.here()


def _run(instance: asterisk.Instance) -> Iterator[asterisk.Instance]:
    instance.start()
    try:
        yield instance
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"asterisk-{instance.name}{WORKER}-channels-at-end.txt").write_text(
            instance.cli("core show channels"))
        instance.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        if instance.log_path.exists():
            shutil.copy(instance.log_path, ARTIFACTS / f"asterisk-{instance.name}{WORKER}.log")
        shutil.rmtree(instance.host_base, ignore_errors=True)


@pytest.fixture(scope="session")
def pbx(
    asterisk_runtime: asterisk.Runtime, prompts_dir: str, sip_net: SipNet
) -> Iterator[asterisk.Instance]:
    instance = asterisk.make_instance(
        asterisk_runtime,
        "pbx",
        [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
        sip_bind=sip_net.pbx_host,
        sip_port=sip_net.pbx_port,
        http_bind=sip_net.pbx_host,
        http_port=sip_net.http_port,
        rtp_start=RTP_BASE,
        extra={
            "carrier_host": f"{sip_net.carrier_host}:{sip_net.carrier_port}",
            "carrier_match": sip_net.carrier_host,
            "prompts_dir": prompts_dir,
            "moh_dir": f"{prompts_dir}/moh",
            "demo_caller_password": DEMO_CALLER_PASSWORD,
            "trunk_user": TRUNK_USER,
            "trunk_password": TRUNK_PASSWORD,
        },
    )
    yield from _run(instance)


@pytest.fixture(autouse=True)
def _pbx_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that stops the shared PBX and fails before starting it again would fail every
    test after it: start it again here."""
    yield
    if "pbx" in request.fixturenames:
        instance: asterisk.Instance = request.getfixturevalue("pbx")
        if instance.process is None or instance.process.poll() is not None:
            instance.start()


@pytest.fixture(scope="session")
def carrier_instance(
    asterisk_runtime: asterisk.Runtime, sip_net: SipNet
) -> Iterator[asterisk.Instance]:
    instance = asterisk.make_instance(
        asterisk_runtime,
        "carrier",
        [HOME / "asterisk-conf", CARRIER_CONF],
        sip_bind=sip_net.carrier_host,
        sip_port=sip_net.carrier_port,
        http_bind=sip_net.carrier_host,
        http_port=sip_net.http_port,
        rtp_start=RTP_BASE + 1000,
        extra={"pbx_host": sip_net.pbx, "pbx_match": sip_net.pbx_host,
               "trunk_password": TRUNK_PASSWORD},
    )
    yield from _run(instance)


@pytest.fixture
async def carrier(carrier_instance: asterisk.Instance, sip_net: SipNet) -> AsyncIterator[Carrier]:
    async with Carrier(carrier_instance, sip_net.pbx) as c:
        yield c


# Keys for one test run: real keys, made fresh, so nothing sealed outlives the run.
TEST_DATA_KEYS = (("t1", os.urandom(32)),)
TEST_LOOKUP_KEY = os.urandom(32)


def app_config(pbx: asterisk.Instance | None, dsn: str, prompts_dir: str = "",
               **extra: object) -> Config:
    """Settings for the app on this run's PBX; without one, for the web UI alone (calls=False:
    the ARI settings are then never used). `extra` may give other data_keys."""
    extra = {"data_keys": TEST_DATA_KEYS, **extra}
    return Config(
        database_url=dsn,
        lookup_key=TEST_LOOKUP_KEY,
        ari_url=pbx.ari_url if pbx else "http://127.0.0.1:9",
        ari_user=pbx.ari_user if pbx else "none",
        ari_password=pbx.ari_password if pbx else "none",
        prompts_dir=prompts_dir,
        prompts_local_dir=str(pbx.runtime.host_path(prompts_dir)) if pbx else "",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def lifeline(
    pbx: asterisk.Instance, app_dsn: str, prompts_dir: str
) -> AsyncIterator[web.Application]:
    """The app with its call engine (no web server)."""
    async with running(create_app(app_config(pbx, app_dsn, prompts_dir))) as started:
        await wait_for(started.app[CONNECTED].is_set, what="ARI connected")
        yield started.app


# --- Operators' phones: a third Asterisk playing three desk phones, and a real softphone.
# (Imported here, not at the top, because these fixtures were appended as one block.)
from collections.abc import Callable  # noqa: E402

from tests.phones import Phones, config_values  # noqa: E402
from tests.softphone import Softphone  # noqa: E402

PHONES_CONF = Path(__file__).resolve().parent / "asterisk" / "phones"


@pytest.fixture(scope="session")
def phones_instance(
    asterisk_runtime: asterisk.Runtime, sip_net: SipNet
) -> Iterator[asterisk.Instance]:
    """Phones op-a, op-b, op-c at sip_net.phones_host, registering to the PBX (tests/phones.py)."""
    instance = asterisk.make_instance(
        asterisk_runtime,
        "phones",
        [HOME / "asterisk-conf", PHONES_CONF],
        sip_bind=sip_net.phones_host,
        sip_port=sip_net.phones_port,
        http_bind=sip_net.phones_host,
        http_port=sip_net.http_port,
        rtp_start=RTP_BASE + 2000,
        extra={"pbx_host": sip_net.pbx, **config_values()},
    )
    yield from _run(instance)


@pytest.fixture
async def phones(
    phones_instance: asterisk.Instance, pbx: asterisk.Instance
) -> AsyncIterator[Phones]:
    async with Phones(phones_instance, pbx) as p:
        yield p


@pytest.fixture
def softphone(tmp_path: Path, sip_net: SipNet) -> Iterator[Callable[..., Softphone]]:
    """Start baresip softphones: softphone(username, password, *commands) -> a Softphone."""
    started: list[Softphone] = []

    def start(username: str, password: str, *commands: str) -> Softphone:
        phone = Softphone(tmp_path / f"baresip-{len(started)}", username, password, sip_net.pbx,
                          rtp_start=RTP_BASE + 3000 + 100 * len(started), commands=commands)
        started.append(phone)
        phone.start()
        return phone

    try:
        yield start
    finally:
        for phone in started:
            phone.stop()
            ARTIFACTS.mkdir(exist_ok=True)
            if phone.log_path.exists():
                shutil.copy(phone.log_path, ARTIFACTS / f"baresip-{phone.username}{WORKER}.log")
