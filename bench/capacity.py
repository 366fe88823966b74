"""How many calls the hotline carries, against Asterisk's own app_queue: prints figures.

Three Asterisk instances as the suite runs them (carrier, the PBX with the repo's config,
operators' phones), PostgreSQL, and `lifeline serve` in its own process. N operators
registered and ready; calls placed at R per second through the same short IVR (the same
prompts and wait in both flows) into a queue; each phone answers at once and hangs up T
seconds later. The same load runs twice: through our engine, then through a dialplan
Queue() (strategy leastrecent, the same members, media kept in the PBX as ours is).

This VM's speed drifts by 10-30% within minutes, as much as the gap being measured.
`--rounds N` runs the pair N times on the same stack, in the order ours, app_queue, then
app_queue, ours, and so on (a drift that is steady over the run weighs on both flows
alike), and prints each round, the median of the rounds' ratios, and over all rounds the
CPU ratio and the p99 gap with 90% bootstrap intervals (how far each could move by chance).

Run:  .venv/bin/python -m bench.capacity --quick
      .venv/bin/python -m bench.capacity --rate 20 --operators 220 --calls 400 --rounds 4
      .venv/bin/python -m bench.capacity --rate 40 --operators 500 --calls 800 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import pstats
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import asyncpg

from bench import app_probe, capacity_stack
from bench.capacity_stack import DID, REFERENCE_DID, Stack, tree_cpu_ms, wait_until
from bench.carrier import Carrier
from devstack import asterisk
from lifeline_pbx.ari import events as ari
from lifeline_pbx.errors import AriError
from tests.ari_peer import AriPeer

QUEUED_HEADER = "PJSIP_HEADER(read,X-Bench-Queued)"
T = TypeVar("T")


# --- the load: the carrier calls in (bench/carrier.py), phones answer ---------------------
@dataclass
class Ring:
    channel_id: str
    operator: str
    at: float
    queued_at: float | None  # from the reference flow's SIP header
    answered: bool = False
    ended: bool = False


def created_at(channel: object, otherwise: float) -> float:
    """When the phones' Asterisk made the channel (its `creationtime`, to the millisecond):
    the ring as the phone saw it, without the time this process took to read the event."""
    stamp = channel.get("creationtime") if isinstance(channel, dict) else None
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return otherwise


class Operators(AriPeer):
    app = "phones"

    def __init__(self, instance: asterisk.Instance, talk_seconds: float) -> None:
        super().__init__(instance)
        self.talk_seconds = talk_seconds
        self.rings: list[Ring] = []
        self.calls: dict[str, Ring] = {}
        self._jobs: set[asyncio.Task[None]] = set()

    def _on_event(self, event: ari.Event) -> None:
        if isinstance(event, ari.StasisStart) and event.channel.id not in self.calls:
            operator = event.args[0] if event.args else event.channel.exten
            ring = Ring(event.channel.id, operator, time.time(), None)
            self.calls[event.channel.id] = ring
            self.rings.append(ring)
            job = asyncio.create_task(self._take(event.channel.id, ring))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)
        elif isinstance(event, ari.StasisEnd | ari.ChannelDestroyed) and (
                gone := self.calls.get(ari.channel_id_of(event) or "")) is not None:
            gone.ended = True

    async def _take(self, channel_id: str, ring: Ring) -> None:
        with contextlib.suppress(AriError):  # no such header: our engine's calls
            value = await self.ari.variable(channel_id, QUEUED_HEADER)
            ring.queued_at = float(value) if value else None
        try:
            await self.ari.answer(channel_id)
            ring.answered = True
            channel = await self.ari.request("GET", f"/channels/{channel_id}")
            ring.at = created_at(channel, ring.at)
            await asyncio.sleep(self.talk_seconds)  # the conversation itself
            await self.ari.hangup(channel_id)
        except AriError:
            return


SLOWEST = 6  # calls listed per flow (the p99 of 400 calls is about the 4th slowest)


# --- one flow ------------------------------------------------------------------------------
class Wait(NamedTuple):
    """One bridged call's wait, epoch seconds: when the caller entered the queue, how long
    until the phone rang, and (ours) until the app sent its originate. When the slowest
    calls entered tells a stall of one moment from a tail spread over the run."""

    entered: float
    to_ring: float
    to_originate: float | None = None


@dataclass
class Figures:
    name: str
    placed: int = 0
    bridged: int = 0
    answered_at_phones: int = 0
    waits: list[Wait] = field(default_factory=list)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    load_before: str = ""
    since: float = 0.0  # epoch seconds: this flow's first call (rounds share the stack)
    notes: str = ""  # what the calls' timelines hold, to explain a shortfall
    probe: dict[str, int] = field(default_factory=dict)  # the app's ARI requests and events
    idle_ms_per_s: dict[str, float] = field(default_factory=dict)  # CPU with no call live

    @property
    def queue_to_ring(self) -> list[float]:
        return [w.to_ring for w in self.waits]

    # Ours: queue to ring in two parts, the app's (entry to its originate sent) and
    # Asterisk's (the originate to the phone's channel), seconds.
    @property
    def to_originate(self) -> list[float]:
        return [w.to_originate for w in self.waits if w.to_originate is not None]

    @property
    def originate_to_ring(self) -> list[float]:
        return [w.to_ring - w.to_originate for w in self.waits if w.to_originate is not None]

    def per_call(self, part: str) -> float:
        """Per call answered by the PBX (a call refused at once costs next to nothing)."""
        return self.cpu_ms.get(part, 0.0) / max(1, self.placed)

    @property
    def whole_per_call(self) -> float:
        return sum(self.cpu_ms.values()) / max(1, self.placed)


def load_average() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


class CpuMeter:
    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.start = {name: tree_cpu_ms(pid) for name, pid in roots.items()}

    def used(self) -> dict[str, float]:
        return {name: tree_cpu_ms(pid) - self.start[name] for name, pid in self.roots.items()}


async def drive(stack: Stack, did: str, args: argparse.Namespace,
                roots: dict[str, int], name: str) -> tuple[Figures, Operators]:
    figures = Figures(name, load_before=load_average(), since=time.time())
    async with Carrier(stack.carrier) as callers, \
            Operators(stack.phones, args.talk) as phones:
        if args.idle > 0:
            idle = CpuMeter(roots)
            await asyncio.sleep(args.idle)  # measuring a span with nothing to do
            figures.idle_ms_per_s = {part: ms / args.idle for part, ms in idle.used().items()}
        meter = CpuMeter(roots)
        if name == "lifeline":
            probe_signal(stack, signal.SIGUSR1)  # counts (and profile) from here
        began = time.monotonic()
        placing = []
        for number in range(args.calls):
            due = began + number / args.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            placing.append(asyncio.create_task(callers.place(did, number)))
        await asyncio.gather(*placing)
        deadline = time.monotonic() + args.talk + args.max_wait
        while not all(c.ended for c in callers.calls.values()):
            if time.monotonic() > deadline:
                await callers.hang_up_all()
                break
            await asyncio.sleep(0.5)
        figures.seconds = time.monotonic() - began
        if name == "lifeline":
            await records_written(stack.app_dsn, args.calls, figures.since)
        figures.cpu_ms = meter.used()
        if name == "lifeline":
            figures.probe = await probe_read(stack)
        figures.placed = sum(1 for c in callers.calls.values() if c.answered)
        figures.answered_at_phones = sum(1 for r in phones.rings if r.answered)
        return figures, phones


def probe_signal(stack: Stack, signum: int) -> None:
    assert stack.app is not None
    stack.app.send_signal(signum)


async def probe_read(stack: Stack, timeout: float = 60) -> dict[str, int]:
    """The app's counts since SIGUSR1 (bench/app_probe.py writes them on SIGUSR2)."""
    counts = stack.scratch / app_probe.COUNTS
    counts.unlink(missing_ok=True)
    probe_signal(stack, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not counts.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the app's probe wrote no counts")
        await asyncio.sleep(0.2)
    found: dict[str, int] = json.loads(counts.read_text())
    return found


async def records_written(dsn: str, calls: int, since: float, timeout: float = 60) -> None:
    """The call records reach PostgreSQL after the calls end; their cost is the call's."""
    con = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            closed = await con.fetchval(
                "SELECT count(*) FROM calls WHERE ended_at IS NOT NULL"
                " AND started_at >= to_timestamp($1)", since)
            if closed >= calls:
                return
            await asyncio.sleep(0.5)
    finally:
        await con.close()


async def lifeline_timings(dsn: str, phones: Operators, figures: Figures,
                           originates: list[tuple[float, str]]) -> None:
    """Bridged calls and queue-to-ring from the app's queue log and the phones' rings;
    originates: when the app sent each (epoch seconds) and to which endpoint."""
    con = await asyncpg.connect(dsn)
    try:
        rows = await con.fetch(
            """SELECT extract(epoch FROM e.at)::float8 AS entered,
                      extract(epoch FROM c.at)::float8 AS connected, o.sip_username
               FROM queue_events c JOIN operators o ON o.id = c.operator_id
               JOIN queue_events e ON e.call_id = c.call_id AND e.kind = 'entered'
               WHERE c.kind = 'connected' AND e.at >= to_timestamp($1)""", figures.since)
        kinds = await con.fetch(
            "SELECT kind, count(*) AS n FROM call_events WHERE at >= to_timestamp($1)"
            " GROUP BY kind ORDER BY kind", figures.since)
        figures.notes = ", ".join(f"{k['kind']} {k['n']}" for k in kinds)
    finally:
        await con.close()
    rings: dict[str, list[float]] = {}
    for ring in phones.rings:
        rings.setdefault(ring.operator, []).append(ring.at)
    sent_to: dict[str, list[float]] = {}
    for at, endpoint in originates:
        sent_to.setdefault(endpoint.removeprefix("PJSIP/"), []).append(at)
    figures.bridged = len(rows)
    for row in rows:
        # The ring that led to this connection: the operator's last before it.
        before = [t for t in rings.get(row["sip_username"], []) if t <= row["connected"]]
        if not before:
            continue
        rang = max(before)
        sent = [at for at in sent_to.get(row["sip_username"], [])
                if row["entered"] <= at <= rang]
        figures.waits.append(Wait(row["entered"], rang - row["entered"],
                                  max(sent) - row["entered"] if sent else None))


def reference_timings(stack: Stack, phones: Operators, figures: Figures) -> None:
    queue_log = stack.pbx.host_base / "log" / "queue_log"
    lines = queue_log.read_text().splitlines() if queue_log.exists() else []
    fields = (line.split("|") for line in lines)  # time|call|queue|member|event|...
    figures.bridged = sum(1 for f in fields if f[4:5] == ["CONNECT"]
                          and float(f[0]) >= figures.since)
    figures.waits = [Wait(r.queued_at, r.at - r.queued_at) for r in phones.rings
                     if r.answered and r.queued_at is not None]


# --- the run -------------------------------------------------------------------------------
def ari_get(stack: Stack, path: str) -> object:
    """A GET on the PBX's ARI (before and after the measured run only)."""
    pbx = stack.pbx
    token = base64.b64encode(f"{pbx.ari_user}:{pbx.ari_password}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - our own http:// URL
        f"{pbx.ari_url}/ari{path}", headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError:
        return None


def operators_online(stack: Stack) -> int:
    endpoints = ari_get(stack, "/endpoints/PJSIP")
    assert isinstance(endpoints, list)
    return sum(1 for e in endpoints
               if e["resource"].startswith("op-") and e["state"] == "online")


def app_ready(stack: Stack) -> bool:
    """The app is up, connected to ARI (its /healthz; until then it may not even have its
    probe's signal handlers), and subscribed to the phones' states (Asterisk keeps an
    app's subscriptions over its restarts: this alone would not tell the second round's)."""
    try:
        with urllib.request.urlopen(
                f"http://127.0.0.1:{stack.app_port}/healthz", timeout=5) as response:
            healthy = response.status == 200
    except OSError:  # refused while starting, 503 until connected (HTTPError is an OSError)
        return False
    app = ari_get(stack, "/applications/lifeline")
    return healthy and isinstance(app, dict) and bool(app.get("endpoint_ids"))


async def run(args: argparse.Namespace) -> list[tuple[Figures, Figures]]:
    """(ours, app_queue) for each round."""
    stack = await capacity_stack.build(args.operators, args.menu_timeout, args.ring_timeout,
                                 args.ivr / 3 - args.menu_timeout / 3, args.keep)
    rounds = []
    try:
        if args.reference_media == "core":
            # app_queue's bridges keep media in Asterisk's core, as ours do (our call
            # bridges are proxy_media: this module is never theirs to use).
            stack.pbx.cli("module unload bridge_native_rtp.so")
        for number in range(args.rounds):
            if number % 2 == 0:
                ours = await ours_flow(stack, args, first=number == 0)
                reference = await reference_flow(stack, args)
            else:
                reference = await reference_flow(stack, args)
                ours = await ours_flow(stack, args, first=False)
            rounds.append((ours, reference))
    finally:
        if args.keep is None:
            stack.close()
        else:
            stack.stop_app()
            for instance in stack.instances:
                instance.stop()
            stack.cluster.stop()
    return rounds


async def ours_flow(stack: Stack, args: argparse.Namespace, *, first: bool) -> Figures:
    """The load through `lifeline serve`, started for this flow and stopped after it (the
    profilers, when asked, watch the first round only)."""
    cpu_profile = args.cpu_profile is not None and first
    settled = stack.scratch / app_probe.SETTLED
    settled.unlink(missing_ok=True)
    stack.start_app(cpu_profile=cpu_profile)
    wait_until(lambda: app_ready(stack), 120, "the app connected to ARI")
    wait_until(lambda: operators_online(stack) >= args.operators, 300,
               f"{args.operators} phones registered")
    wait_until(settled.exists, 120, "the app's start-up sync of the operators' accounts")
    assert stack.app is not None
    roots = {"asterisk": stack.asterisk_pid(), "app": stack.app.pid,
             "postgresql": stack.postgres_pid()}
    profiler = profile(stack.app.pid, args.profile) if args.profile and first else None
    ours, phones = await drive(stack, DID, args, roots, "lifeline")
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(60)
    if cpu_profile:
        shutil.copy(stack.scratch / app_probe.PROFILE, args.cpu_profile)
    originates = json.loads((stack.scratch / app_probe.ORIGINATES).read_text())
    await lifeline_timings(stack.app_dsn, phones, ours, originates)
    stack.stop_app()
    return ours


async def reference_flow(stack: Stack, args: argparse.Namespace) -> Figures:
    roots = {"asterisk": stack.asterisk_pid(), "postgresql": stack.postgres_pid()}
    reference, phones = await drive(stack, REFERENCE_DID, args, roots, "app_queue")
    reference_timings(stack, phones, reference)
    return reference


def profile(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy, for measuring only) sampling the app: collapsed stacks."""
    return subprocess.Popen(
        [shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")), "record",
         "--nonblocking", "--rate", "250", "--format", "raw",
         "--output", str(out), "--pid", str(pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def show(rounds: list[tuple[Figures, Figures]], args: argparse.Namespace) -> None:
    print(f"\n{args.calls} calls at {args.rate}/s, {args.operators} operators, "
          f"IVR {args.ivr:g} s, talk {args.talk:g} s, reference media: {args.reference_media}; "
          f"{os.cpu_count()} cores")
    for number, (ours, reference) in enumerate(rounds, 1):
        if len(rounds) > 1:
            order = "ours first" if number % 2 == 1 else "app_queue first"
            print(f"\n=== round {number} of {len(rounds)} ({order})")
        for f in (ours, reference):
            show_flow(f, reference, args)
    if len(rounds) > 1:
        show_summary(rounds)
    if args.cpu_profile is not None:
        show_profile(args.cpu_profile)


def spread(seconds: list[float]) -> str:
    return (f"median {statistics.median(seconds or [0.0]) * 1000:.0f} ms, "
            f"p99 {percentile_99(seconds) * 1000:.0f} ms (n={len(seconds)})")


def slow_call(f: Figures, wait: Wait) -> str:
    app = f" (app {wait.to_originate * 1000:.0f})" if wait.to_originate is not None else ""
    return f"{wait.to_ring * 1000:.0f} ms at {wait.entered - f.since:.1f} s{app}"


def percentile_99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds or [0.0, 0.0], n=100)[98]


def p99(f: Figures) -> float:
    return percentile_99(f.queue_to_ring)


def show_flow(f: Figures, reference: Figures, args: argparse.Namespace) -> None:
    print(f"\n[{f.name}]  load average before: {f.load_before}")
    print(f"  calls placed {args.calls}, answered by the PBX {f.placed}, bridged "
          f"{f.bridged} ({100 * f.bridged / args.calls:.1f}%), answered at phones "
          f"{f.answered_at_phones}, run {f.seconds:.0f} s")
    print(f"  queue to ring: {spread(f.queue_to_ring)}")
    if f.to_originate:
        print("  queue to ring, in the app (entry to originate sent): "
              f"{spread(f.to_originate)}; in Asterisk (originate to ring): "
              f"{spread(f.originate_to_ring)}")
    print("  slowest, queue to ring (entered, seconds into the run): " + ", ".join(
        slow_call(f, wait) for wait in sorted(f.waits, key=lambda w: -w.to_ring)[:SLOWEST]))
    if f.notes and f.bridged < f.placed:
        print(f"  timeline events: {f.notes}")
    parts = ", ".join(f"{part} {f.per_call(part):.1f}" for part in ("asterisk", "app",
                                                                    "postgresql"))
    print(f"  CPU ms per call: {parts}; whole {f.whole_per_call:.1f} "
          f"(x{f.whole_per_call / max(0.001, reference.whole_per_call):.2f} app_queue)")
    if f.idle_ms_per_s:
        idle = ", ".join(f"{part} {ms:.1f}" for part, ms in f.idle_ms_per_s.items())
        share = sum(f.idle_ms_per_s.values()) * f.seconds / max(1, f.placed)
        print(f"  CPU ms a second with no call, before the calls: {idle} (over this run: "
              f"{share:.1f} ms per call)")
    if f.probe:
        show_probe(f.probe, max(1, f.placed))


def show_summary(rounds: list[tuple[Figures, Figures]]) -> None:
    ratios = [o.whole_per_call / max(0.001, r.whole_per_call) for o, r in rounds]
    ours = [o.whole_per_call for o, _ in rounds]
    reference = [r.whole_per_call for _, r in rounds]
    print(f"\n=== {len(rounds)} rounds")
    print("  whole CPU ms per call, ours: " + ", ".join(f"{v:.1f}" for v in ours))
    print("  whole CPU ms per call, app_queue: " + ", ".join(f"{v:.1f}" for v in reference))
    print("  ratio by round: " + ", ".join(f"{v:.2f}" for v in ratios)
          + f"; median {statistics.median(ratios):.2f}; all rounds together "
          f"{whole_ratio(rounds):.2f}")
    print("  queue to ring p99, ours / app_queue (ms): " + ", ".join(
        f"{p99(o) * 1000:.0f}/{p99(r) * 1000:.0f}" for o, r in rounds))
    # One round's p99 is about its 4th slowest call: a few ms of noise either way. Every
    # round's calls together give a p99 over more calls of the same load.
    for name, flows in (("ours", [o for o, _ in rounds]), ("app_queue", [r for _, r in rounds])):
        print(f"  queue to ring, all rounds together, {name}: "
              f"{spread([s for f in flows for s in f.queue_to_ring])}")
    print("  bridged, ours / app_queue: " + ", ".join(
        f"{o.bridged}/{r.bridged}" for o, r in rounds))
    low, high = interval(lambda pick: whole_ratio(pick(rounds)))
    print(f"  whole CPU ratio, all rounds together, 90% interval over the rounds: "
          f"{low:.2f} to {high:.2f}")
    ours_waits = [s for o, _ in rounds for s in o.queue_to_ring]
    their_waits = [s for _, r in rounds for s in r.queue_to_ring]
    low, high = interval(lambda pick: p99_gap(pick(ours_waits), pick(their_waits)))
    print(f"  queue to ring p99, ours minus app_queue, all rounds together: "
          f"{p99_gap(ours_waits, their_waits) * 1000:+.1f} ms, 90% interval over the calls "
          f"{low * 1000:+.1f} to {high * 1000:+.1f} ms")


def whole_ratio(rounds: list[tuple[Figures, Figures]]) -> float:
    return (sum(o.whole_per_call for o, _ in rounds)
            / max(0.001, sum(r.whole_per_call for _, r in rounds)))


def p99_gap(ours: list[float], theirs: list[float]) -> float:
    return percentile_99(ours) - percentile_99(theirs)


Pick = Callable[[list[T]], list[T]]


def interval(figure: Callable[[Pick[Any]], float], times: int = 1000) -> tuple[float, float]:
    """A percentile bootstrap: `figure` computed `times` over, each time from its lists
    drawn again (`pick`: as many items, with replacement); the 5th and 95th percentiles.
    How far the figure could move by chance alone: rounds on this VM differ by a fifth."""
    draw = random.Random(11)  # noqa: S311 (resampling figures, not a secret)

    def pick(items: list[T]) -> list[T]:
        return draw.choices(items, k=len(items))

    figures = sorted(figure(pick) for _ in range(times))
    return figures[times // 20], figures[times - 1 - times // 20]


# The probe's counts that are not ARI requests (those are named by method and path).
_NOT_REQUESTS = ("event ", "writer ", "lag ", "gc ", "sockets ", "lines ")


def show_probe(probe: dict[str, int], calls: int) -> None:
    """The app's ARI requests and events per call answered, by kind; its loop's lag."""
    lag = ", ".join(f"{k.split()[1]} {probe[k]}" for k in ("lag p50 ms", "lag p99 ms",
                                                           "lag max ms") if k in probe)
    print(f"  event loop late (ms, sampled every {app_probe.LAG_TICK * 1000:g} ms): {lag}; "
          f"full garbage collections {probe.get('gc full', 0)}, longest "
          f"{probe.get('gc full max ms', 0)} ms, objects tracked {probe.get('gc objects', 0)}")
    print(f"  ARI request sockets opened: {probe.get('sockets opened', 0)}; lines read from "
          f"PostgreSQL per call: {probe.get('lines read', 0) / calls:.2f}")
    for what, prefix in (("ARI requests", ""), ("ARI events", "event "),
                         ("call-record writer", "writer ")):
        kinds = {k: n for k, n in probe.items() if k.startswith(prefix) and not (
            prefix == "" and k.startswith(_NOT_REQUESTS))}
        by_kind = ", ".join(f"{k.removeprefix(prefix)} {n / calls:.2f}" for k, n in
                            sorted(kinds.items(), key=lambda item: -item[1]))
        if prefix == "writer ":
            print(f"  {what} per call: {by_kind} (transactions and writes)")
        else:
            print(f"  {what} per call: {sum(kinds.values()) / calls:.2f} ({by_kind})")


def show_profile(path: Path, top: int = 25) -> None:
    """Where the app's CPU went (yappi's CPU clock): functions by their own time."""
    print(f"\n[app CPU profile: {path}, functions by own time]")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(top)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=20.0, help="calls placed per second")
    p.add_argument("--operators", type=int, default=220)
    p.add_argument("--calls", type=int, default=400)
    p.add_argument("--talk", type=float, default=10.0, help="seconds each call is held")
    p.add_argument("--ivr", type=float, default=3.0,
                   help="seconds of IVR: three prompts, then the triage wait (menu timeout)")
    p.add_argument("--menu-timeout", type=int, default=1)
    p.add_argument("--ring-timeout", type=int, default=20)
    p.add_argument("--idle", type=float, default=5.0,
                   help="seconds of CPU measured before the calls, with nothing to do")
    p.add_argument("--max-wait", type=float, default=120.0,
                   help="after the last call is placed, give up on calls not over by then")
    p.add_argument("--reference-media", choices=("core", "native"), default="core",
                   help="core: app_queue's bridges pass media through Asterisk's core as "
                        "ours do; native: Asterisk's native RTP bridging")
    p.add_argument("--quick", action="store_true",
                   help="20 operators, 5 calls/s, 40 calls (for development)")
    p.add_argument("--profile", type=Path,
                   help="sample the app with py-spy during our flow; collapsed stacks here")
    p.add_argument("--cpu-profile", type=Path,
                   help="profile the app's CPU time with yappi during our flow (slows it "
                        "severalfold: for shares, not figures); pstats file here")
    p.add_argument("--rounds", type=int, default=1,
                   help="run the pair this many times, the order alternating each round")
    p.add_argument("--keep", type=Path, help="keep logs and configuration in this folder")
    args = p.parse_args(argv)
    if args.quick:
        args.operators, args.rate, args.calls, args.talk = 20, 5.0, 40, 2.0
    if args.cpu_profile is not None:
        app_probe.yappi()  # if missing, say so now rather than after minutes of set-up
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    show(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
