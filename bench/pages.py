"""What the reporting pages cost at the size of a busy hotline (issue 13's benchmark):
1,000,000 calls and 100,000 reports over five years and 120 facilities (bench/dataset.py),
each page and export in PAGES timed over HTTP against the app as it runs (`lifeline serve`
on a private PostgreSQL, signed in), then the live queue view with 50 browsers polling.

Run: .venv/bin/python -m bench.pages            (BENCH_CALLS=100000 for a quick run)

Adding a page is one line in PAGES: a name and its address, where {first} and {last}
stand for the data's first and last day and {facility} for its largest facility. Each
page is asked once unmeasured (statements prepared), then BENCH_SAMPLES times one after
another (five-year pages a tenth as often, at least 5); the table gives the median and
95th percentile of the wall time, the app's CPU per request, and its peak resident memory
(VmHWM) after the page with how much that page raised it.

BENCH_CALLS, BENCH_REPORTS, BENCH_FACILITIES, BENCH_YEARS, BENCH_OPERATORS, BENCH_SAMPLES,
BENCH_BROWSERS (50), BENCH_POLL_SECONDS (30): the sizes. BENCH_USER and
BENCH_PASSWORD: whom to sign in as (the demo supervisor). BENCH_DSN: measure that database
(made by an earlier run, or a copy of a real one) instead of making one. BENCH_PAGES: only
the pages whose name holds one of these comma-separated words ("a year,evidence"), and no
queue view.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench import dataset
from bench.web_served import memory_kib, sign_in, web_served
from devstack.postgres import Cluster
from lifeline_pbx import crypto, demo
from lifeline_pbx.statistics import rollup
from lifeline_pbx.supervision.views import REFRESH_SECONDS

# Fixed keys, made up data: a data set kept for BENCH_DSN opens in the next run too.
KEYS = crypto.key_ring((("b1", hashlib.sha256(b"bench data key").digest()),),
                       hashlib.sha256(b"bench lookup key").digest())

# (name, address). The statistics pages: each period kind, with and without filters, and
# the CSVs; the evidence pages and the anonymised exports. ({last:%Y-%m}: a month.)
PAGES: list[tuple[str, str]] = [
    ("statistics: a day", "/statistics?period=day&date={last}"),
    ("statistics: a week", "/statistics?period=week&date={last}"),
    ("statistics: a month", "/statistics?period=month&date={last}"),
    ("statistics: a month, one facility",
     "/statistics?period=month&date={last}&facility={facility}"),
    ("statistics: a month, one queue", "/statistics?period=month&date={last}&queue={queue}"),
    ("statistics: a year", "/statistics?period=range&since={year_ago}&until={last}"),
    ("statistics: a year, one facility",
     "/statistics?period=range&since={year_ago}&until={last}&facility={facility}"),
    ("statistics: five years", "/statistics?period=range&since={first}&until={last}"),
    ("statistics: five years, one queue",
     "/statistics?period=range&since={first}&until={last}&queue={queue}"),
    ("CSV by facility: a month", "/statistics/facility.csv?period=month&date={last}"),
    ("CSV trend: a year", "/statistics/trend.csv?period=range&since={year_ago}&until={last}"),
    ("CSV operators: a month", "/statistics/operators.csv?period=month&date={last}"),
    ("CSV by facility: five years",
     "/statistics/facility.csv?period=range&since={first}&until={last}"),
    ("evidence: a year by facility", "/evidence?from={year_ago:%Y-%m}&to={last:%Y-%m}"),
    ("evidence: a year by category",
     "/evidence?from={year_ago:%Y-%m}&to={last:%Y-%m}&rows=category"),
    ("evidence: a year, facility x category",
     "/evidence?from={year_ago:%Y-%m}&to={last:%Y-%m}&rows=facility_category"),
    ("evidence: five years by facility", "/evidence?from={first:%Y-%m}&to={last:%Y-%m}"),
    ("evidence: a facility's profile, a year",
     "/evidence/facilities/{facility}?from={year_ago:%Y-%m}&to={last:%Y-%m}"),
    ("evidence: a facility's printable report, a year",
     "/evidence/facilities/{facility}/report/print?from={year_ago:%Y-%m}&to={last:%Y-%m}"),
    ("export: cells CSV, five years",
     "/evidence/export/cells.csv?since={first:%Y-%m}&until={last:%Y-%m}"),
    ("export: cells JSON, a year",
     "/evidence/export/cells.json?since={year_ago:%Y-%m}&until={last:%Y-%m}"),
    ("export rows: reports CSV, five years",
     "/evidence/export/reports.csv?since={first:%Y-%m}&until={last:%Y-%m}"),
    ("export rows: reports JSON, a year",
     "/evidence/export/reports.json?since={year_ago:%Y-%m}&until={last:%Y-%m}"),
]


@dataclass(frozen=True)
class Measured:
    name: str
    samples: list[float]
    cpu_per_request: float  # seconds of the app's CPU
    peak_kib: int
    peak_raised_kib: int

    def row(self) -> str:
        cuts = statistics.quantiles(self.samples, n=100) if len(self.samples) > 1 else \
            self.samples * 99
        return (f"| {self.name} | {len(self.samples)} | "
                f"{statistics.median(self.samples) * 1e3:,.0f} ms | {cuts[94] * 1e3:,.0f} ms | "
                f"{self.cpu_per_request * 1e3:,.0f} ms | {self.peak_kib / 1024:,.0f} MB "
                f"(+{self.peak_raised_kib / 1024:,.1f}) |")


HEADER = ("| request | n | median | p95 | app CPU / request | app peak memory (raised by) |\n"
          "|---|---|---|---|---|---|")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def signed_in(base: str, user: str, password: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    await sign_in(http, base, user, password)
    return http


async def measure_page(http: aiohttp.ClientSession, base: str, pid: int, name: str,
                       path: str, samples: int) -> Measured:
    async def get() -> None:
        async with http.get(base + path, allow_redirects=False) as r:
            await r.read()
            assert r.status == 200, (path, r.status)

    await get()
    before_peak, before_cpu = memory_kib(pid)["VmHWM"], cpu_seconds(pid)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await get()
        times.append(time.perf_counter() - start)
    after = memory_kib(pid)["VmHWM"]
    return Measured(name, times, (cpu_seconds(pid) - before_cpu) / samples, after,
                    after - before_peak)


async def queue_view(base: str, pid: int, user: str, password: str, browsers: int,
                     seconds: float) -> None:
    """`browsers` signed-in browsers each polling the queue view's snapshot every refresh
    (as web/static/queues.js does), for `seconds`."""
    sessions = [await signed_in(base, user, password) for _ in range(browsers)]
    times: list[float] = []
    ends = time.monotonic() + seconds

    async def browser(http: aiohttp.ClientSession) -> None:
        await asyncio.sleep(random.uniform(0, REFRESH_SECONDS))  # noqa: S311 - spread, no secret
        while time.monotonic() < ends:
            start = time.perf_counter()
            async with http.get(base + "/supervisor/queues.json") as r:
                await r.read()
                assert r.status == 200, r.status
            times.append(time.perf_counter() - start)
            await asyncio.sleep(REFRESH_SECONDS)

    try:
        cpu, wall = cpu_seconds(pid), time.monotonic()
        await asyncio.gather(*(browser(s) for s in sessions))
        busy = (cpu_seconds(pid) - cpu) / (time.monotonic() - wall)
    finally:
        for s in sessions:
            await s.close()
    cuts = statistics.quantiles(times, n=100)
    print(f"\nqueue view, {browsers} browsers polling every {REFRESH_SECONDS} s for "
          f"{seconds:.0f} s: {len(times)} polls, median {statistics.median(times) * 1e3:.1f} ms, "
          f"p95 {cuts[94] * 1e3:.1f} ms, max {max(times) * 1e3:.1f} ms; app CPU {busy:.1%} "
          f"of a core; app memory {memory_kib(pid)}")


async def addresses(dsn: str, sizes: dataset.Sizes) -> dict[str, object]:
    con = await asyncpg.connect(dsn)
    try:
        facility = await con.fetchval(
            "SELECT facility_id FROM calls GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        queue = await con.fetchval(
            "SELECT queue_id FROM calls WHERE queue_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    finally:
        await con.close()
    last = dataset.END
    return {"first": sizes.first, "last": last, "facility": facility, "queue": queue,
            "year_ago": last.replace(year=last.year - 1) + timedelta(days=1)}


async def roll_up(dsn: str) -> float:
    con = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        units = await rollup.catch_up(con, datetime.now(UTC))
        took = time.perf_counter() - start
        print(f"  rolled up {units} units in {took:.0f} s")
        return took
    finally:
        await con.close()


async def main() -> None:
    sizes = dataset.Sizes(
        calls=int(os.environ.get("BENCH_CALLS", "1000000")),
        reports=int(os.environ.get("BENCH_REPORTS", "0") or 0) or
        int(os.environ.get("BENCH_CALLS", "1000000")) // 10,
        facilities=int(os.environ.get("BENCH_FACILITIES", "120")),
        years=int(os.environ.get("BENCH_YEARS", "5")),
        operators=int(os.environ.get("BENCH_OPERATORS", "60")))
    samples = int(os.environ.get("BENCH_SAMPLES", "40"))
    user = os.environ.get("BENCH_USER", "supervisor1")
    password = os.environ.get("BENCH_PASSWORD", "lifeline-demo-supervisor")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; {sizes}")
    given = os.environ.get("BENCH_DSN")
    cluster = None if given else Cluster()
    try:
        if cluster is None:
            dsn = str(given)
        else:
            cluster.start()
            cluster.create_database("bench")
            dsn = cluster.dsn("bench")
            await demo.install(dsn)
            print("  " + ", ".join(f"{k} {v}" for k, v in (
                await dataset.make(dsn, sizes, KEYS)).items()))
        await roll_up(dsn)  # what the app's task does a minute after it starts
        await measure(dsn, sizes, samples, user, password)
    finally:
        if cluster is not None:
            cluster.stop()


def chosen(pages: list[tuple[str, str]], words: str) -> list[tuple[str, str]]:
    """The pages whose name holds one of the comma-separated words (all without any)."""
    wanted = [w.strip() for w in words.split(",") if w.strip()]
    return [p for p in pages if not wanted or any(w in p[0] for w in wanted)]


async def measure(dsn: str, sizes: dataset.Sizes, samples: int, user: str,
                  password: str) -> None:
    values = await addresses(dsn, sizes)
    async with web_served(dsn, KEYS) as (base, pid):
        http = await signed_in(base, user, password)
        try:
            print("\n" + HEADER)
            for name, path in chosen(PAGES, os.environ.get("BENCH_PAGES", "")):
                long = "five years" in name or name.startswith("export rows")
                n = max(5, samples // 10) if long else samples
                print((await measure_page(http, base, pid, name, path.format(**values),
                                          n)).row(), flush=True)
        finally:
            await http.close()
        if os.environ.get("BENCH_PAGES"):
            return
        await queue_view(base, pid, user, password,
                         int(os.environ.get("BENCH_BROWSERS", "50")),
                         float(os.environ.get("BENCH_POLL_SECONDS", "30")))


if __name__ == "__main__":
    asyncio.run(main())
