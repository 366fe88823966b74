"""What the call statistics cost at the size of a busy hotline: by default 100,000 calls
(the issue's figure is 1,000,000: BENCH_CALLS=1000000) over five years, 120 facilities,
measured over HTTP against the real app.

Run: .venv/bin/python -m bench.call_statistics   (a private PostgreSQL and the app)

(Not bench/statistics.py: run as a script, that name would stand in for Python's own
statistics module, which the benchmarks import.)

The calls are made in SQL (generate_series) with the outcomes a hotline sees (about 60 %
answered, the rest abandoned, sent to voicemail, closed or failed), their waits, talk
times and operators, and each operator's shifts (a login, a pause, a logout every third
day) in the queue log. Each figure is the wall time of one HTTP request, requests one
after another. BENCH_CALLS, BENCH_FACILITIES, BENCH_YEARS, BENCH_OPERATORS and
BENCH_SAMPLES change the sizes.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg

from bench.web_served import web_served
from devstack.postgres import Cluster
from lifeline_pbx import crypto, demo

KEYS = crypto.key_ring((("b1", os.urandom(32)),), os.urandom(32))
END = "2025-06-30"  # the data's last day; the pages ask about the periods before it

BULK_SQL = """
INSERT INTO facilities (name, timezone)
    SELECT 'Bench facility ' || n, (ARRAY['America/New_York', 'America/Chicago',
            'America/Denver', 'America/Los_Angeles'])[1 + n % 4]
      FROM generate_series(1, {facilities} - 2) n;
INSERT INTO lines (did, facility_id, name)
    SELECT '9' || lpad(f.id::text, 6, '0'), f.id, 'Line of ' || f.name FROM facilities f
     WHERE NOT EXISTS (SELECT 1 FROM lines l WHERE l.facility_id = f.id);
INSERT INTO queues (name) SELECT 'Bench queue ' || n FROM generate_series(1, 3) n;
INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
    SELECT 'Bench operator ' || n, 'bench' || n, repeat('a', 32), ARRAY['en', 'es']
      FROM generate_series(1, {operators}) n;
CREATE TEMP TABLE bench_l AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, facility_id FROM lines;
CREATE TEMP TABLE bench_q AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM queues;
CREATE TEMP TABLE bench_o AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM operators;

INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id, caller_number,
                   caller_name, started_at, answered_at, queued_at, queue_id, language,
                   connected_at, operator_id, ended_at, disposition, hangup_by,
                   voicemail_reason, wait_seconds)
SELECT md5('call' || n)::uuid, 'bench-' || n, 'PJSIP/carrier', '9', l.id, l.facility_id,
       '', '', t.started, t.started,
       CASE WHEN o.queued THEN t.started + interval '40 s' END,
       CASE WHEN o.queued THEN q.id END,
       CASE WHEN o.queued THEN (ARRAY['es', 'en', 'ht', 'fr', 'pt', 'cmn'])[1 + n % 6] END,
       CASE WHEN o.kind = 'answered' THEN t.started + interval '40 s' + w.wait END,
       CASE WHEN o.kind = 'answered' THEN op.id END,
       t.started + interval '40 s' + w.wait + CASE WHEN o.kind = 'answered'
            THEN (60 + (n * 7919) % 1200) * interval '1 s' ELSE interval '30 s' END,
       o.disposition, 'caller', o.reason,
       CASE WHEN o.queued THEN extract(epoch FROM w.wait) END
  FROM generate_series(1::bigint, {calls}) n
  CROSS JOIN LATERAL (SELECT timestamptz '{end}' - ({years} * 365.25 * 86400 / {calls}
                       * ({calls} - n)) * interval '1 s' AS started) t
  CROSS JOIN LATERAL (SELECT ((n * 2654435761) % 100) AS r) roll
  CROSS JOIN LATERAL (SELECT
        CASE WHEN roll.r < 60 THEN 'answered' WHEN roll.r < 70 THEN 'abandoned_queue'
             WHEN roll.r < 78 THEN 'abandoned_ivr' WHEN roll.r < 88 THEN 'voicemail'
             WHEN roll.r < 95 THEN 'closed' ELSE 'failed' END AS kind) k
  CROSS JOIN LATERAL (SELECT k.kind,
        k.kind IN ('answered', 'abandoned_queue', 'voicemail') AS queued,
        CASE k.kind WHEN 'answered' THEN 'answered' WHEN 'voicemail' THEN 'voicemail'
             WHEN 'closed' THEN 'voicemail' WHEN 'failed' THEN 'failed'
             ELSE 'abandoned' END AS disposition,
        CASE k.kind WHEN 'voicemail' THEN 'max_wait' WHEN 'closed' THEN 'closed' END
            AS reason) o
  CROSS JOIN LATERAL (SELECT ((n * 40503) % 180 + (n % 7) * (n % 11)) * interval '1 s'
                          AS wait) w
  JOIN bench_l l ON l.k = n % (SELECT count(*) FROM bench_l)
  JOIN bench_q q ON q.k = n % 3
  JOIN bench_o op ON op.k = (n / 3) % {operators};

-- Shifts: every third day each operator logs in at 14:00 UTC, pauses 17:00-17:30, logs out
-- at 22:00 (one line per queue, as the engine writes it: each serves two).
INSERT INTO queue_events (at, kind, queue_id, operator_id, detail)
SELECT d + s.offset_, s.kind, q.id, o.id, s.detail
  FROM generate_series(timestamptz '{end}' - {years} * interval '365 days',
                       timestamptz '{end}', interval '1 day') d
  JOIN bench_o o ON (extract(doy FROM d)::int + o.k) % 3 = 0
  CROSS JOIN (VALUES (interval '14 h', 'login', ''), (interval '17 h', 'pause', 'break'),
                     (interval '17.5 h', 'unpause', ''), (interval '22 h', 'logout', ''))
       AS s(offset_, kind, detail)
  JOIN bench_q q ON q.k < 2;
"""


async def load(dsn: str, calls: int, facilities: int, years: int, operators: int) -> float:
    con = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        await con.execute(BULK_SQL.format(calls=calls, facilities=facilities, years=years,
                                          operators=operators, end=END))
        await con.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
        counts = await con.fetchrow(
            """SELECT (SELECT count(*) FROM calls) AS calls,
                      (SELECT count(*) FROM facilities) AS facilities,
                      (SELECT count(*) FROM queue_events) AS queue_log,
                      min(started_at)::date AS first, max(started_at)::date AS last
                 FROM calls""")
        print("loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return time.perf_counter() - start
    finally:
        await con.close()


def show(what: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(f"{what:52} n={len(samples):4d}  median {statistics.median(samples) * 1e3:7.1f} ms"
          f"  p95 {cuts[94] * 1e3:7.1f} ms  max {max(samples) * 1e3:7.1f} ms")


async def timed(n: int, work: Callable[[], Awaitable[None]]) -> list[float]:
    await work()  # once, unmeasured: the first request prepares the statements
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await work()
        out.append(time.perf_counter() - start)
    return out


def rss_kib(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.+)$", status,
                                                         re.MULTILINE)}


async def measure(base: str, pid: int, samples: int, years: int) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        page = await (await http.get(base + "/login")).text()
        token = re.search(r'name="csrf_token" value="([^"]*)"', page)
        assert token
        async with http.post(base + "/login", allow_redirects=False, data={
                "csrf_token": token.group(1), "username": "supervisor1",
                "password": "lifeline-demo-supervisor", "next": "/"}) as r:
            assert r.status == 303, r.status

        def getter(path: str) -> Callable[[], Awaitable[None]]:
            async def get() -> None:
                async with http.get(base + path, allow_redirects=False) as r:
                    await r.read()
                    assert r.status == 200, (path, r.status)
            return get

        first = f"{int(END[:4]) - years}-07-01"
        pages = (
            ("page: a day", "/statistics?period=day&date=2025-06-10"),
            ("page: a week", "/statistics?period=week&date=2025-06-10"),
            ("page: a month", "/statistics?period=month&date=2025-05-10"),
            ("page: a month, one facility", "/statistics?period=month&date=2025-05-10"
                                            "&facility=5"),
            ("page: a year (range)", "/statistics?period=range&since=2024-07-01"
                                     "&until=2025-06-30"),
            (f"page: all {years} years (range)",
             f"/statistics?period=range&since={first}&until={END}"),
            ("CSV by facility: a month", "/statistics/facility.csv?period=month&date=2025-05-10"),
            ("CSV trend: a month", "/statistics/trend.csv?period=month&date=2025-05-10"),
            ("CSV operators: a month", "/statistics/operators.csv?period=month&date=2025-05-10"),
            (f"CSV by facility: all {years} years",
             f"/statistics/facility.csv?period=range&since={first}&until={END}"),
        )
        for what, path in pages:
            show(what, await timed(samples if "years" not in what else max(5, samples // 10),
                                   getter(path)))
        print(f"app memory after the runs: {rss_kib(pid)}")


async def main() -> None:
    calls = int(os.environ.get("BENCH_CALLS", "100000"))
    facilities = int(os.environ.get("BENCH_FACILITIES", "120"))
    years = int(os.environ.get("BENCH_YEARS", "5"))
    operators = int(os.environ.get("BENCH_OPERATORS", "60"))
    samples = int(os.environ.get("BENCH_SAMPLES", "40"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {calls} calls, "
          f"{facilities} facilities, {years} years, {operators} operators")
    cluster = Cluster()
    cluster.start()
    try:
        cluster.create_database("bench")
        dsn = cluster.dsn("bench")
        await demo.install(dsn)
        print(f"  made in SQL in {await load(dsn, calls, facilities, years, operators):.1f} s")
        async with web_served(dsn, KEYS) as (base, pid):
            await measure(base, pid, samples, years)
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
