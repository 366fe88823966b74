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
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bench.capacity import app_ready, load_average, operators_online
from bench.capacity_stack import (
    DID,
    Stack,
    add_operators,
    operator_names,
    scratch_folder,
    start_stack,
    wait_until,
)
from bench.carrier import Carrier
from devstack import asterisk
from lifeline_pbx import db_roles, demo
from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from tests.ari_peer import AriPeer

KINDS = {"at-once": "2", "nothing": ""}  # kind -> the keys pressed on answer
GOALS = {"at-once": 12.0, "nothing": 30.0}  # answer -> queued, issue 14
CALL_LIMIT = 180.0  # seconds: a call still up then is hung up and counted as lost


async def call(carrier: Carrier, name: str, number: int, keys: str) -> None:
    """One call: `keys` pressed once the PBX answers, then held until the PBX ends it."""
    placed = await carrier.place(DID, number, name)
    try:
        async with asyncio.timeout(CALL_LIMIT):
            await placed.until(lambda: placed.answered or placed.ended)
            if keys and not placed.ended:
                await carrier.ari.send_dtmf(placed.channel_id, keys)
            await placed.until(lambda: placed.ended)
    except (AriError, TimeoutError):
        await carrier.hang_up(placed)


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
        await add_operators(con, names, queue_id, ["en", "es"])
    finally:
        await con.close()
    return await db_roles.set_app_password(admin_dsn, "bench-app-Secret-2024")


async def build(operators: int) -> Stack:
    names = operator_names(operators)
    return await start_stack(
        "path", scratch_folder(None, "lifeline-path-"), names,
        staff=lambda dsn: staff(dsn, names),
        prompts=asterisk.shipped_prompts)  # as the tests make them


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
    async with Carrier(stack.carrier) as carrier, Phones(stack.phones) as phones:
        async def one(number: int) -> None:
            async with gate:
                await call(carrier, names[number], number, KINDS[kind])

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
