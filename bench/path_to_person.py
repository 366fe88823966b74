"""How soon a caller reaches a person: from the PBX's answer to the queue, and to an
operator's phone ringing, with the shipped prompts, over real SIP. Prints median and maximum.

The demo line as shipped (English first, a menu of four languages, 5 s menu timeout, calls
not recorded); the prompts the synthesiser makes from prompts/*.toml. Three Asterisk
instances as the suite runs them (carrier, the PBX with the repo's config, operators'
phones), PostgreSQL, and `lifeline serve` in its own process (bench/capacity_stack.py).

Callers, each kind in turn, --parallel at a time:
- at-once: presses the language digit (2, Spanish) as soon as the call is answered, and
  nothing after (the triage question says to press a key only in danger);
- nothing: presses no key at all.
Every phone answers as it rings and hangs up a second later; the PBX then ends the call.

Run:  .venv/bin/python -m bench.path_to_person               (20 calls of each kind)
      .venv/bin/python -m bench.path_to_person --calls 5 --parallel 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import asyncpg

from bench.capacity import app_ready, load_average, operators_online
from bench.capacity_stack import (
    CARRIER_RTP,
    DID,
    PBX_RTP,
    PHONES_RTP,
    TESTS_ASTERISK,
    Stack,
    operator_names,
    phone_password,
    phones_overlay,
    wait_until,
)
from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import asterisk_config, db_roles, demo
from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from lifeline_pbx.operators.sip_credentials import sip_md5_cred
from lifeline_pbx.paths import HOME
from tests.ari_peer import AriPeer

KINDS = {"at-once": "2", "nothing": ""}  # kind -> the keys pressed on answer
GOALS = {"at-once": 12.0, "nothing": 30.0}  # answer -> queued, issue 14
CALL_LIMIT = 180.0  # seconds: a call still up then is hung up and counted as lost


@dataclass
class Placed:
    name: str
    channel_id: str
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class Callers(AriPeer):
    app = "carrier"

    def __init__(self, instance: asterisk.Instance) -> None:
        super().__init__(instance)
        self.calls: dict[str, Placed] = {}

    def _on_event(self, event: ari.Event) -> None:
        call = self.calls.get(ari.channel_id_of(event) or "")
        if call is None:
            return
        if isinstance(event, ari.StasisStart):
            call.answered.set()
        elif isinstance(event, ari.ChannelDestroyed):
            call.answered.set()
            call.ended.set()

    async def call(self, name: str, number: int, keys: str) -> None:
        channel_id = f"bench-{uuid.uuid4().hex[:12]}"
        placed = self.calls[channel_id] = Placed(name, channel_id)
        try:
            await self.ari.originate(f"PJSIP/{DID}@pbx", channel_id=channel_id,
                                     caller_id=f'"{name}" <{5550000 + number}>',
                                     app_args="bench", timeout=30)
            async with asyncio.timeout(CALL_LIMIT):
                await placed.answered.wait()
                if keys and not placed.ended.is_set():
                    await self.ari.send_dtmf(channel_id, keys)
                await placed.ended.wait()
        except (AriError, TimeoutError):
            with contextlib.suppress(AriError):
                await self.ari.hangup(channel_id)


class Phones(AriPeer):
    """Every operator's phone: answers as it rings, hangs up a second later."""

    app = "phones"

    def __init__(self, instance: asterisk.Instance) -> None:
        super().__init__(instance)
        self.rings: dict[str, list[float]] = {}  # operator -> when each call rang
        self._jobs: set[asyncio.Task[None]] = set()

    def _on_event(self, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart):
            operator = event.args[0] if event.args else event.channel.exten
            self.rings.setdefault(operator, []).append(time.time())
            job = asyncio.create_task(self._take(event.channel.id))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    async def _take(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.answer(channel_id)
            await asyncio.sleep(1.0)
            await self.ari.hangup(channel_id)


async def staff(admin_dsn: str, names: list[str]) -> str:
    """The demo data as shipped, plus N operators (English and Spanish) logged in."""
    await demo.install(admin_dsn)
    con = await asyncpg.connect(admin_dsn)
    try:
        queue_id = await con.fetchval("SELECT queue_id FROM lines WHERE did = $1", DID)
        assert queue_id is not None, "the demo line has no queue"
        await con.execute("UPDATE queues SET wrapup_seconds = 0 WHERE id = $1", queue_id)
        ids = await con.fetch(
            """INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
               SELECT 'Bench ' || u, u, c, '{en,es}'
               FROM unnest($1::text[], $2::text[]) AS t(u, c) RETURNING id""",
            names, [sip_md5_cred(n, phone_password(n)) for n in names])
        await con.executemany("INSERT INTO operator_queues VALUES ($1, $2)",
                              [(r["id"], queue_id) for r in ids])
        await con.executemany(
            """INSERT INTO operator_status (operator_id, logged_in, paused, idle_since)
               VALUES ($1, true, false, now())""", [(r["id"],) for r in ids])
    finally:
        await con.close()
    return await db_roles.set_app_password(admin_dsn, "bench-app-Secret-2024")


async def build(operators: int) -> Stack:
    scratch = Path(tempfile.mkdtemp(prefix="lifeline-path-"))
    names = operator_names(operators)
    cluster = Cluster()
    cluster.start()
    admin_dsn = cluster.dsn()
    app_dsn = await staff(admin_dsn, names)
    rt = asterisk.runtime()
    prompts = asterisk.shipped_prompts(rt)  # as the tests make them
    pbx_port = asterisk.free_port("127.0.0.1", kind=2)
    carrier_port = asterisk.free_port("127.0.0.2", kind=2)
    pbx = asterisk.make_instance(
        rt, "path-pbx", [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
        sip_bind="127.0.0.1", sip_port=pbx_port, http_port=asterisk.free_port(),
        rtp_start=PBX_RTP[0],
        extra={"rtp_end": str(PBX_RTP[1]), "carrier_host": f"127.0.0.2:{carrier_port}",
               "carrier_match": "127.0.0.2", "prompts_dir": prompts,
               "moh_dir": f"{prompts}/moh",
               "demo_caller_password": "bench-demo-caller"})
    carrier = asterisk.make_instance(
        rt, "path-carrier", [HOME / "asterisk-conf", TESTS_ASTERISK / "carrier"],
        sip_bind="127.0.0.2", sip_port=carrier_port, http_port=asterisk.free_port(),
        rtp_start=CARRIER_RTP[0],
        extra={"rtp_end": str(CARRIER_RTP[1]), "pbx_host": f"127.0.0.1:{pbx_port}",
               "pbx_match": "127.0.0.1"})
    phones = asterisk.make_instance(
        rt, "path-phones", [HOME / "asterisk-conf", phones_overlay(scratch / "phones", names)],
        sip_bind="127.0.0.3", sip_port=asterisk.free_port("127.0.0.3", kind=2),
        http_port=asterisk.free_port(), rtp_start=PHONES_RTP[0],
        extra={"rtp_end": str(PHONES_RTP[1]), "pbx_host": f"127.0.0.1:{pbx_port}"})
    stack = Stack(scratch, cluster, admin_dsn, app_dsn, pbx, carrier, phones,
                  prompts, names)
    try:
        for instance in stack.instances:
            instance.start()
    except BaseException:
        stack.close()
        raise
    return stack


@dataclass
class Timing:
    queued: float | None  # seconds from the PBX's answer
    ring: float | None


async def timings(dsn: str, names: list[str], phones: Phones) -> dict[str, Timing]:
    """Each call's answer -> queued (the call record) and answer -> its operator's phone
    ringing (the last ring of the operator who took it, before they answered)."""
    con = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the call records are written in batches
            rows = await con.fetch(
                """SELECT c.caller_name, c.answered_at, c.queued_at, c.connected_at,
                          c.ended_at, o.sip_username
                   FROM calls c LEFT JOIN operators o ON o.id = c.operator_id
                   WHERE c.caller_name = ANY($1)""", names)
            if len(rows) == len(names) and all(r["ended_at"] for r in rows):
                break
            await asyncio.sleep(0.5)
    finally:
        await con.close()
    found = {}
    for row in rows:
        answered: datetime | None = row["answered_at"]
        if answered is None:
            continue
        queued = row["queued_at"]
        ring = None
        if row["connected_at"] is not None and row["sip_username"] in phones.rings:
            before = [at for at in phones.rings[row["sip_username"]]
                      if at <= row["connected_at"].timestamp() + 0.5]
            ring = before[-1] - answered.timestamp() if before else None
        found[row["caller_name"]] = Timing(
            (queued - answered).total_seconds() if queued else None, ring)
    return found


async def drive(stack: Stack, kind: str, calls: int, parallel: int) -> dict[str, Timing]:
    names = [f"Bench {kind} {n}" for n in range(calls)]
    gate = asyncio.Semaphore(parallel)
    async with Callers(stack.carrier) as callers, Phones(stack.phones) as phones:
        async def one(number: int) -> None:
            async with gate:
                await callers.call(names[number], number, KINDS[kind])

        await asyncio.gather(*(one(n) for n in range(calls)))
        return await timings(stack.app_dsn, names, phones)


async def slowest_timeline(dsn: str, found: dict[str, Timing]) -> str:
    """The timeline of the call slowest to the queue: seconds after answer, kind, detail."""
    timed = [(t.queued, name) for name, t in found.items() if t.queued is not None]
    if not timed:
        return ""
    _, name = max(timed)
    con = await asyncpg.connect(dsn)
    try:
        rows = await con.fetch(
            """SELECT extract(epoch FROM e.at - c.answered_at) AS after, e.kind, e.detail::text
               FROM call_events e JOIN calls c ON c.id = e.call_id
               WHERE c.caller_name = $1 ORDER BY e.id""", name)
    finally:
        await con.close()
    return "  ".join(f"{float(r['after']):.2f} {r['kind']}"
                     + ("" if r["detail"] == "{}" else r["detail"]) for r in rows)


def summary(values: list[float | None], calls: int) -> str:
    got = sorted(v for v in values if v is not None)
    if not got:
        return "none"
    lost = f", {calls - len(got)} missing" if len(got) < calls else ""
    return f"median {statistics.median(got):5.1f} s, max {got[-1]:5.1f} s{lost}"


async def run(args: argparse.Namespace) -> None:
    stack = await build(args.parallel)
    try:
        stack.start_app()
        wait_until(lambda: app_ready(stack), 120, "the app connected to ARI")
        wait_until(lambda: operators_online(stack) >= args.parallel, 300, "phones registered")
        for kind in KINDS:
            load = load_average()
            began = time.monotonic()
            found = await drive(stack, kind, args.calls, args.parallel)
            queued = [t.queued for t in found.values()]
            worst = max((q for q in queued if q is not None), default=float("inf"))
            print(f"{kind:8} {args.calls} calls ({time.monotonic() - began:.0f} s, load before "
                  f"{load}): answer -> queued {summary(queued, args.calls)}; answer -> ring "
                  f"{summary([t.ring for t in found.values()], args.calls)}; goal "
                  f"{GOALS[kind]:.0f} s {'met' if worst <= GOALS[kind] else 'MISSED'}",
                  flush=True)
            if args.explain:
                print("  slowest:", await slowest_timeline(stack.app_dsn, found), flush=True)
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20, help="calls of each kind")
    parser.add_argument("--parallel", type=int, default=4,
                        help="calls at a time (as many operators' phones)")
    parser.add_argument("--explain", action="store_true",
                        help="print the timeline of each kind's slowest call")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
