"""What finding things costs at the size of a busy hotline's record: 100,000 people,
300,000 reports, 1,000,000 calls, measured over HTTP against the real app.

Run: .venv/bin/python -m bench.search   (starts a private PostgreSQL and the app, prints figures)

The data is made in bulk (COPY for the sealed people and their tokens, generate_series for
the rest); names follow a skewed distribution, so that a common first name matches about
a fifth of everyone. Each figure is the wall time of one HTTP request from a client on the
same box, requests one after another. BENCH_PEOPLE, BENCH_REPORTS, BENCH_CALLS and
BENCH_SAMPLES change the sizes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg

from bench.web_served import memory_kib, sign_in, web_served
from devstack.postgres import Cluster
from lifeline_pbx import crypto, demo
from lifeline_pbx.cases import anumber, search_tokens

KEYS = crypto.key_ring((("b1", os.urandom(32)),), os.urandom(32))
FIRST = ("María", "José", "Juan", "Ana", "Luis", "Carlos", "Rosa", "Jean", "Marie", "Pierre",
         "Wilner", "Guadalupe", "Jesús", "Miguel", "Fabiola", "Mamadou", "Fatoumata", "Ibrahim",
         "Li", "Wei", "Harpreet", "Gurpreet", "Oleksandr", "Ion", "Andrés", "Yesenia",
         "Jean-Baptiste", "Marie-Claire", "K\u02bciche", "Nguyễn", "Tomás", "Héctor", "Ángel",
         "Lucía", "Sofía", "Dulce", "Érica", "Samuel", "Esther", "Ousmane")
SURNAMES = ("García", "Hernández", "López", "Martínez", "González", "Pérez", "Rodríguez",
            "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vásquez", "Reyes",
            "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz",
            "Castillo", "Juárez", "Chávez", "Núñez", "Pierre-Louis", "Jean-Baptiste", "Joseph",
            "Saint-Fleur", "O'Neil", "D'Souza", "Diallo", "Traoré", "Singh", "Kaur", "Chen",
            "Wang", "Popescu", "Kovalenko", "Tzul", "Ixcoy", "Batz", "Xocop", "Nguyen",
            "Ferreira", "Da Silva", "Dos Santos", "De la Cruz")
LANGUAGES = ("es", "en", "ht", "fr", "pt", "cmn", "pa", "ru", "ro", "quc", "mam")


def zipf(values: tuple[str, ...]) -> Callable[[random.Random], str]:
    weights = [1 / rank for rank in range(1, len(values) + 1)]
    return lambda rng: rng.choices(values, weights)[0]


first_name, surname = zipf(FIRST), zipf(SURNAMES)


def a_name(rng: random.Random) -> str:
    firsts = [first_name(rng) for _ in range(rng.choice((1, 1, 2)))]
    lasts = [surname(rng) for _ in range(rng.choice((1, 2, 2, 2)))]
    return " ".join(dict.fromkeys((*firsts, *lasts)))


def person_rows(n: int, facilities: list[int], rng: random.Random
                ) -> tuple[list[tuple[object, ...]], list[tuple[bytes, uuid.UUID]]]:
    people: list[tuple[object, ...]] = []
    tokens: list[tuple[bytes, uuid.UUID]] = []
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for i in range(1, n + 1):
        pid = uuid.UUID(int=i)
        number = f"{200_000_000 + i:09d}"
        names = [a_name(rng)]
        dob = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))
        changed = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 700))
        people.append((
            pid, KEYS.lookup(number),
            KEYS.seal(number, crypto.place("persons", "a_number", pid)),
            KEYS.seal_json(names, crypto.place("persons", "names", pid)),
            KEYS.seal(dob.isoformat(), crypto.place("persons", "date_of_birth", pid)),
            "", [rng.choice(LANGUAGES)], rng.choice(facilities), changed, changed))
        tokens += [(t, pid) for t in search_tokens.person_tokens(KEYS, names, dob)]
    return people, tokens


BULK_SQL = """
INSERT INTO facilities (name) SELECT 'Bench facility ' || n FROM generate_series(1, 99) n;
INSERT INTO lines (did, facility_id, name)
    SELECT '9' || lpad(f.id::text, 6, '0'), f.id, 'Line of ' || f.name FROM facilities f
    WHERE f.name LIKE 'Bench %';
INSERT INTO operators (display_name, sip_username, sip_md5_cred)
    SELECT 'Volunteer ' || n, 'volunteer' || n, repeat('0', 32) FROM generate_series(1, 200) n;
-- people are loaded here
CREATE TEMP TABLE bench_f AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM facilities;
CREATE TEMP TABLE bench_l AS SELECT facility_id, min(id) AS id FROM lines GROUP BY facility_id;
CREATE TEMP TABLE bench_o AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM operators;

INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id, caller_number,
                   caller_name, started_at, queued_at, connected_at, answered_at, ended_at,
                   hangup_by, disposition, language, priority, operator_id)
SELECT lpad(to_hex(n), 32, '0')::uuid, 'bench-' || n, 'PJSIP/trunk', '1', l.id, f.id, '', '',
       s, s + interval '20 s',
       CASE WHEN r < 0.8 THEN s + interval '20 s' + (r * 300) * interval '1 s' END, s,
       s + interval '20 s' + (r * 1200) * interval '1 s', 'caller',
       CASE WHEN r < 0.8 THEN 'answered' WHEN r < 0.9 THEN 'voicemail' ELSE 'abandoned' END,
       ({languages})[1 + n % {n_languages}], (n % 10 = 0)::int,
       CASE WHEN r < 0.8 THEN o.id END
FROM generate_series(1, {calls}) n
     CROSS JOIN LATERAL (SELECT random() AS r, '2024-01-01'::timestamptz
                                               + random() * interval '700 days' AS s) x
     JOIN bench_f f ON f.k = n % 100 JOIN bench_l l ON l.facility_id = f.id
     JOIN bench_o o ON o.k = n % 200;

-- One intake per report (a third of the calls); the first 250 belong to five regular
-- callers, 50 each.
INSERT INTO intakes (id, call_id, person_id, user_id, facility_id, language, triage, outcome,
                     created_at)
SELECT lpad(to_hex(n), 32, '0')::uuid, c.id,
       lpad(to_hex(CASE WHEN n <= 250 THEN 1 + (n - 1) / 50
                        ELSE 6 + (random() * ({people} - 6))::int END), 32, '0')::uuid,
       (SELECT id FROM users WHERE username = 'operator1'), c.facility_id, c.language,
       c.priority, 'intake', c.started_at + interval '10 minutes'
FROM generate_series(1, {reports}) n JOIN calls c ON c.id = lpad(to_hex(n * 3), 32, '0')::uuid;

INSERT INTO reports (id, intake_id, person_id, facility_id, category, severity, occurred_from,
                     affected, housing_unit, narrative, created_by, created_at)
SELECT i.id, i.id, i.person_id, i.facility_id,
       (SELECT array_agg(code ORDER BY code) FROM report_categories)[1 + (random() * 18)::int],
       (ARRAY['low', 'medium', 'high', 'critical'])[1 + (random() * 3)::int],
       i.created_at::date - 3, CASE WHEN random() < 0.3 THEN 'group' ELSE 'person' END,
       'Unit ' || chr(65 + (random() * 10)::int), '\\x00'::bytea, i.user_id, i.created_at
FROM intakes i;

INSERT INTO report_consents (report_id, partner_id)
SELECT r.id, p.id FROM reports r, partners p WHERE random() < 0.2;
"""


async def load(dsn: str, n_people: int, n_reports: int, n_calls: int) -> dict[str, float]:
    took: dict[str, float] = {}
    rng = random.Random(9)  # noqa: S311 - made-up data, not secrets
    con = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        sql = BULK_SQL.format(calls=n_calls, reports=n_reports, people=n_people,
                              n_languages=len(LANGUAGES),
                              languages="ARRAY[" + ",".join(f"'{c}'" for c in LANGUAGES) + "]")
        before, after = sql.split("-- people are loaded here")
        await con.execute(before)
        facilities = [r["id"] for r in await con.fetch("SELECT id FROM facilities")]
        people, tokens = person_rows(n_people, facilities, rng)
        took["seal people and make tokens"] = time.perf_counter() - start
        start = time.perf_counter()
        await con.copy_records_to_table(
            "persons", records=people,
            columns=("id", "a_number_key", "a_number", "names", "date_of_birth", "country",
                     "languages", "facility_id", "created_at", "updated_at"))
        await con.copy_records_to_table("person_search_tokens", records=tokens,
                                        columns=("token", "person_id"))
        took["COPY people and tokens"] = time.perf_counter() - start
        start = time.perf_counter()
        await con.execute(after)
        supervisor = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
        follow_ups = []
        for i in range(20_000):
            fid = uuid.UUID(int=i + 1)
            follow_ups.append((fid, uuid.UUID(int=rng.randrange(1, n_people + 1)),
                               KEYS.seal("Call the legal aid partner about the bond hearing",
                                         crypto.place("follow_ups", "what", fid)),
                               supervisor if i % 40 == 0 else None,
                               dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700)),
                               supervisor))
        await con.copy_records_to_table(
            "follow_ups", records=follow_ups,
            columns=("id", "person_id", "what", "assignee_id", "due_on", "created_by"))
        await con.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
        took["calls, intakes, reports, follow-ups in SQL"] = time.perf_counter() - start
        counts = await con.fetchrow(
            """SELECT (SELECT count(*) FROM persons) AS people,
                      (SELECT count(*) FROM person_search_tokens) AS tokens,
                      (SELECT count(*) FROM reports) AS reports,
                      (SELECT count(*) FROM calls) AS calls,
                      (SELECT count(*) FROM follow_ups) AS follow_ups,
                      pg_size_pretty(pg_total_relation_size('person_search_tokens')) AS size""")
        assert counts is not None  # a SELECT without FROM has its one row
        print("loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    finally:
        await con.close()
    return took


def show(what: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(f"{what:58} n={len(samples):4d}  median {statistics.median(samples) * 1e3:7.1f} ms"
          f"  p95 {cuts[94] * 1e3:7.1f} ms  max {max(samples) * 1e3:7.1f} ms")


async def timed(n: int, work: Callable[[int], Awaitable[None]]) -> list[float]:
    await work(-1)  # once, unmeasured: the first request prepares the statements
    out = []
    for i in range(n):
        start = time.perf_counter()
        await work(i)
        out.append(time.perf_counter() - start)
    return out


class Browser:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http = base, http

    async def get(self, path: str, expect: int = 200) -> str:
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            text = await r.text()
            assert r.status == expect, (path, r.status, text[:300])
            return text



async def measure(base: str, dsn: str, pid: int, n_people: int, samples: int) -> None:
    rng = random.Random(11)  # noqa: S311 - made-up data, not secrets
    con = await asyncpg.connect(dsn)
    try:
        facilities = [r["id"] for r in await con.fetch("SELECT id FROM facilities")]
        categories = [r["code"] for r in await con.fetch("SELECT code FROM report_categories")]
        maria = await con.fetchval(
            "SELECT count(*) FROM person_search_tokens WHERE token = $1",
            search_tokens.name_query_tokens(KEYS, "maria")[0])
    finally:
        await con.close()
    print(f"'maria' alone matches {maria} people")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        browser = Browser(base, http)
        password = next(u[3] for u in demo.DEMO_USERS if u[0] == "supervisor1")
        await sign_in(http, base, "supervisor1", password)
        print(f"app memory after start and sign-in: {memory_kib(pid)}")

        async def name_search(_: int) -> None:
            query = f"{first_name(rng)} {surname(rng)}"
            await browser.get(f"/people/search?name={query}")

        async def common_name(_: int) -> None:
            await browser.get("/people/search?name=maria&page=" + str(rng.randrange(1, 50)))

        async def a_number(_: int) -> None:
            number = anumber.display(f"{200_000_000 + rng.randrange(1, n_people):09d}")
            await browser.get(f"/people/search?a_number={number}")

        async def a_number_redirect(_: int) -> None:
            number = f"A{200_000_000 + rng.randrange(1, n_people):09d}"
            await browser.get(f"/people?a_number={number}", expect=303)

        async def report_page(_: int) -> None:
            since = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(600))
            await browser.get(f"/reports?facility={rng.choice(facilities)}"
                              f"&category={rng.choice(categories)}&since={since}")

        async def report_severity(_: int) -> None:
            await browser.get(f"/reports?severity=critical&language={rng.choice(LANGUAGES)}"
                              f"&page={rng.randrange(1, 20)}")

        async def all_reports(_: int) -> None:
            await browser.get(f"/reports?page={rng.randrange(1, 100)}")

        async def person_page(_: int) -> None:
            page = await browser.get(f"/people/{uuid.UUID(int=rng.randrange(1, 6))}")
            assert page.count("<tr") >= 50

        async def call_history(_: int) -> None:
            await browser.get(f"/calls?facility={rng.choice(facilities)}"
                              f"&page={rng.randrange(1, 20)}")

        async def all_calls(_: int) -> None:
            await browser.get(f"/calls?page={rng.randrange(1, 100)}")

        async def follow_ups(_: int) -> None:
            await browser.get("/follow-ups")

        for what, work in (
                ("name search: first name + surname (/people/search)", name_search),
                ("name search: 'maria' alone, random page", common_name),
                ("A-number lookup (/people/search?a_number=)", a_number),
                ("A-number lookup (/people?a_number=, 303)", a_number_redirect),
                ("report page: facility + category + since", report_page),
                ("report page: severity + language, random page", report_severity),
                ("report page: no filter, random page of 300k", all_reports),
                ("person page with 50 calls", person_page),
                ("call history: facility, random page", call_history),
                ("call history: no filter, random page of 1M", all_calls),
                ("follow-up list (/follow-ups, supervisor)", follow_ups)):
            show(what, await timed(samples, work))
        print(f"app memory after the runs: {memory_kib(pid)}")


async def main() -> None:
    n_people = int(os.environ.get("BENCH_PEOPLE", "100000"))
    n_reports = int(os.environ.get("BENCH_REPORTS", "300000"))
    n_calls = int(os.environ.get("BENCH_CALLS", "1000000"))
    samples = int(os.environ.get("BENCH_SAMPLES", "200"))
    assert n_reports * 3 <= n_calls, "each report comes from an intake on every third call"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    cluster = Cluster()
    cluster.start()
    try:
        cluster.create_database("bench")
        dsn = cluster.dsn("bench")
        await demo.install(dsn)
        for what, seconds in (await load(dsn, n_people, n_reports, n_calls)).items():
            print(f"  {what}: {seconds:.1f} s")
        async with web_served(dsn, KEYS) as (base, pid):
            await measure(base, dsn, pid, n_people, samples)
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
