"""The anonymised export over HTTP against the running app, on a fixture whose identifiers
are known: none of them in any file, small cells held back with their reports, only a
consented and released excerpt, each export audited, supervisors and admins only, and the
reports read through a cursor rather than gathered in memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp.web import RouteDef

from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.evidence import export_views
from lifeline_pbx.resources import KEY_RING
from tests.pg_fixtures import connect
from tests.privacy import sensitive
from tests.waiting import wait_for
from tests.web_fixtures import Client, WebApp

UTC = dt.UTC
NAMES = ["Rosa Quispe Mamani", "Jean-Baptiste Toussaint"]
A_NUMBERS = ["A208555019", "208555019", "A-208-555-019", "208-555-019", "A077123456"]
DOB = ["1990-04-12", "1988-11-03"]
PHONES = ["+15550100", "5550100", "555-0100", "+1 555 0142"]
UNITS = ["Unit B-7 Delta", "Pod 4C East"]
DATES = ["2026-03-02", "2026-03-17", "2026-04-20", "2026-02-28", "2026-05-01"]
PUBLISHED = "Excerpt: no insulin for nine days, the nurse said wait."
HELD = ["EXCERPT WITHOUT CONSENT", "EXCERPT IN A SMALL CELL", "NARRATIVE MARKER"]


@dataclass
class Seed:
    facilities: list[tuple[int, str]]  # by name
    ids: list[str] = field(default_factory=list)  # of reports and people: never written out


@dataclass(frozen=True)
class R:
    """A report of the fixture: its facility (0 or 1 by name), category, severity, the day
    it happened (or only when it was recorded), and what else it carries."""

    facility: int
    category: str
    severity: str
    occurred: dt.date | None
    created: dt.datetime
    language: str = "es"
    consent: bool = False
    excerpt: str | None = None
    person: int | None = None  # index into NAMES
    unit: str = ""


MARCH = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)
FIXTURE = [
    # Facility 0, medical neglect, March 2026: six reports, published at 5.
    R(0, "medical_neglect", "low", dt.date(2026, 3, 2), MARCH, person=0, unit=UNITS[0]),
    R(0, "medical_neglect", "medium", dt.date(2026, 3, 17), MARCH, consent=True,
      excerpt=PUBLISHED, person=0, unit=UNITS[0]),
    R(0, "medical_neglect", "medium", dt.date(2026, 3, 17), MARCH, excerpt=HELD[0], person=1),
    R(0, "medical_neglect", "high", dt.date(2026, 3, 5), MARCH, consent=True),
    R(0, "medical_neglect", "high", None, dt.datetime(2026, 3, 31, 23, tzinfo=UTC)),
    R(0, "medical_neglect", "critical", dt.date(2026, 3, 9), MARCH, unit=UNITS[1]),
    # Facility 0, use of force, March 2026: two reports, held back at 5 and at 4.
    R(0, "use_of_force", "critical", dt.date(2026, 3, 17), MARCH, consent=True,
      excerpt=HELD[1], person=1, unit=UNITS[1]),
    R(0, "use_of_force", "high", dt.date(2026, 3, 2), MARCH),
    # Facility 1, medical neglect, April 2026 as recorded (no date given): five, published.
    *[R(1, "medical_neglect", s, None, dt.datetime(2026, 4, 20, 15, tzinfo=UTC), "ht",
        unit=UNITS[0]) for s in ("low", "low", "high", "high", "high")],
    # Facility 1, use of force, happened in February 2026 but recorded in May: counted in
    # May (the month recorded, as on the evidence pages); four, published at 4 only.
    *[R(1, "use_of_force", "medium", dt.date(2026, 2, 28),
        dt.datetime(2026, 5, 1, 9, tzinfo=UTC), "", consent=True) for _ in range(4)],
]


async def _person(con: asyncpg.Connection, keys: KeyRing, n: int) -> uuid.UUID:
    pid = uuid.uuid4()
    await con.execute(
        """INSERT INTO persons (id, a_number_key, a_number, names, date_of_birth)
           VALUES ($1, $2, $3, $4, $5)""",
        pid, keys.lookup(A_NUMBERS[n * 4]), keys.seal(A_NUMBERS[n * 4],
                                                      place("persons", "a_number", pid)),
        keys.seal(json.dumps([NAMES[n]]), place("persons", "names", pid)),
        keys.seal(DOB[n], place("persons", "date_of_birth", pid)))
    return pid


async def seed(web: WebApp) -> Seed:
    keys = web.app[KEY_RING]
    sensitive(*NAMES, *A_NUMBERS, *DOB, *PHONES, *UNITS, *HELD, PUBLISHED)
    async with connect(web.dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM reports") == 0
        found = Seed([(r["id"], r["name"]) for r in await con.fetch(
            "SELECT id, name FROM facilities ORDER BY name, id LIMIT 2")])
        user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
        partner = await con.fetchval("SELECT id FROM partners ORDER BY id LIMIT 1")
        people = [await _person(con, keys, n) for n in range(len(NAMES))]
        found.ids += map(str, people)
        for n, r in enumerate(FIXTURE):
            facility = found.facilities[r.facility][0]
            call_id, intake_id, report_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            found.ids += [str(call_id), str(intake_id), str(report_id)]
            person = None if r.person is None else people[r.person]
            await con.execute(
                """INSERT INTO calls (id, channel_id, channel_name, did, facility_id,
                                      caller_number, caller_name, started_at)
                   VALUES ($1, $2, $2, '100', $3, $4, $5, $6)""",
                call_id, f"chan-{n}", facility, PHONES[n % 2], NAMES[0], r.created)
            await con.execute(
                """INSERT INTO intakes (id, call_id, person_id, user_id, facility_id, language,
                                        outcome, family_contact, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, 'intake', $7, $8)""",
                intake_id, call_id, person, user, facility, r.language,
                keys.seal(json.dumps({"name": NAMES[1], "phone": PHONES[3]}),
                          place("intakes", "family_contact", intake_id)), r.created)
            narrative = (f"{HELD[2]} {NAMES[r.person or 0]} {A_NUMBERS[0]} born {DOB[0]} in "
                         f"{r.unit} on {r.occurred} called {PHONES[0]}")
            await con.execute(
                """INSERT INTO reports (id, intake_id, person_id, facility_id, category,
                                        severity, occurred_from, occurred_to, affected,
                                        housing_unit, narrative, created_by, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12)""",
                report_id, intake_id, person, facility, r.category, r.severity, r.occurred,
                "group" if r.unit else "person", r.unit,
                keys.seal(narrative, place("reports", "narrative", report_id)), user, r.created)
            if r.consent:
                await con.execute("INSERT INTO report_consents VALUES ($1, $2)",
                                  report_id, partner)
            if r.excerpt is not None:
                await con.execute(
                    """INSERT INTO report_excerpts (report_id, excerpt, released_by)
                       VALUES ($1, $2, $3)""", report_id,
                    keys.seal(r.excerpt, place("report_excerpts", "excerpt", report_id)), user)
    return found


async def download(client: Client, path: str) -> tuple[int, str, bytes]:
    async with client.http.get(client.url(path), allow_redirects=False) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.read()


def table(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def leaked(body: bytes, seeded: Seed) -> list[str]:
    """The fixture's identifiers found in an export's bytes, as sent and once decoded."""
    text = body.decode()
    decoded = json.dumps(json.loads(text), ensure_ascii=False) if text.startswith("{") else ""
    identifiers = [*NAMES, *A_NUMBERS, *DOB, *PHONES, *UNITS, *DATES, *HELD, *seeded.ids]
    return [i for i in identifiers if i.encode() in body or i in decoded]


async def _exports(web: WebApp) -> list[dict[str, Any]]:
    rows = await web.sql("""SELECT a.user_id, u.username, a.entity_id, a.fields
                              FROM audit_log a JOIN users u ON u.id = a.user_id
                             WHERE a.action = 'export' AND a.entity = 'anonymised_export'
                             ORDER BY a.id""")
    return [dict(r) for r in rows]


EXPECTED_CELLS = [  # facility index, category, month, suppressed, reports, by severity
    (0, "medical_neglect", "2026-03", "no", "6", "1", "2", "2", "1"),
    (0, "use_of_force", "2026-03", "yes", "", "", "", "", ""),
    (1, "medical_neglect", "2026-04", "no", "5", "2", "0", "3", "0"),
    (1, "use_of_force", "2026-05", "yes", "", "", "", "", ""),
]


async def test_an_export_holds_no_identifier_and_no_small_cell(web: WebApp) -> None:
    seeded = await seed(web)
    names = [name for _, name in seeded.facilities]
    supervisor = await web.signed_in("supervisor1")
    bodies = {}
    for shape in ("cells", "reports"):
        for fmt in ("csv", "json"):
            status, kind, body = await download(supervisor, f"/evidence/export/{shape}.{fmt}")
            assert status == 200, body
            assert kind.startswith("text/csv" if fmt == "csv" else "application/json")
            assert leaked(body, seeded) == [], (shape, fmt)
            bodies[shape, fmt] = body

    cells = table(bodies["cells", "csv"])
    assert cells[0] == ["facility", "category", "category_label", "month", "suppressed",
                        "reports", "low", "medium", "high", "critical"]
    assert [(names.index(c[0]), c[1], *c[3:]) for c in cells[1:]] == EXPECTED_CELLS
    as_json = json.loads(bodies["cells", "json"])
    assert as_json["threshold"] == 5 and "total" not in bodies["cells", "json"].decode()
    assert [(c["month"], c["suppressed"], c.get("reports")) for c in as_json["cells"]] == [
        ("2026-03", False, 6), ("2026-03", True, None), ("2026-04", False, 5),
        ("2026-05", True, None)]
    assert as_json["cells"][0]["severity"] == {"low": 1, "medium": 2, "high": 2, "critical": 1}

    rows = table(bodies["reports", "csv"])
    assert rows[0] == ["facility", "category", "category_label", "month", "severity",
                       "affected", "language", "excerpt"]
    # Only the published cells' reports, and only the consented and released excerpt.
    assert sorted((names.index(r[0]), r[1], r[3]) for r in rows[1:]) == sorted(
        [(0, "medical_neglect", "2026-03")] * 6 + [(1, "medical_neglect", "2026-04")] * 5)
    assert [r[7] for r in rows[1:] if r[7]] == [PUBLISHED]
    assert {r[6] for r in rows[1:]} == {"es", "ht"}
    reports = json.loads(bodies["reports", "json"])["reports"]
    assert [r["excerpt"] for r in reports if r["excerpt"]] == [PUBLISHED]
    keys = ("facility", "category", "month", "severity", "affected", "language")
    assert [[r[k] for k in keys] for r in reports] == [[r[0], r[1], *r[3:7]] for r in rows[1:]]

    entries = await _exports(web)
    assert [(e["username"], e["entity_id"]) for e in entries] == [
        ("supervisor1", "cells.csv"), ("supervisor1", "cells.json"),
        ("supervisor1", "reports.csv"), ("supervisor1", "reports.json")]
    assert entries[2]["fields"] == sorted([
        "shape=reports", "format=csv", "since=", "until=", "facilities=", "categories=",
        "threshold=5", "cells=4", "cells_suppressed=2", "rows=11", "excerpts=1"])
    assert "rows=4" in entries[0]["fields"] and "excerpts=0" in entries[0]["fields"]
    audit_text = repr(await web.sql("SELECT * FROM audit_log"))
    assert not any(i in audit_text for i in [*NAMES, *A_NUMBERS, *HELD, PUBLISHED, *UNITS])


async def test_the_threshold_and_the_filters(web: WebApp) -> None:
    seeded = await seed(web)
    (f0, _), (f1, name1) = seeded.facilities
    supervisor = await web.signed_in("supervisor1")
    # Lowered to 4: May's four reports go out; the cell of two stays back, excerpt too.
    status, _, body = await download(supervisor, "/evidence/export/reports.csv?threshold=4")
    rows = table(body)[1:]
    assert status == 200 and len(rows) == 6 + 5 + 4 and leaked(body, seeded) == []
    assert [r[7] for r in rows if r[7]] == [PUBLISHED]
    # Raised to 6: April's five are held back.
    status, _, body = await download(supervisor, "/evidence/export/cells.csv?threshold=6")
    assert [(c[3], c[4]) for c in table(body)[1:]] == [
        ("2026-03", "no"), ("2026-03", "yes"), ("2026-04", "yes"), ("2026-05", "yes")]
    # A facility and a category chosen; a period of whole months.
    status, _, body = await download(
        supervisor, f"/evidence/export/cells.csv?facility={f1}&category=medical_neglect")
    assert [c[:6] for c in table(body)[1:]] == [
        [name1, "medical_neglect", "Medical neglect or denial of care", "2026-04", "no", "5"]]
    status, _, body = await download(
        supervisor, f"/evidence/export/reports.json?since=2026-03&until=2026-03&facility={f0}"
                    f"&facility={f1}")
    found = json.loads(body)
    assert found["since"] == found["until"] == "2026-03"
    assert {r["month"] for r in found["reports"]} == {"2026-03"} and len(found["reports"]) == 6
    # The filters are in the audit entry.
    assert sorted((await _exports(web))[-1]["fields"]) == sorted([
        "shape=reports", "format=json", "since=2026-03", "until=2026-03",
        f"facilities={min(f0, f1)},{max(f0, f1)}", "categories=", "threshold=5", "cells=2",
        "cells_suppressed=1", "rows=6", "excerpts=1"])


@pytest.mark.parametrize("query, field", [
    ("threshold=2", "threshold"), ("since=2026-13", "since"), ("since=2026-03-01", "since"),
    ("since=2026-04&until=2026-03", "until"), ("facility=north", "facility"),
])
async def test_a_bad_form_is_refused_and_not_audited(web: WebApp, query: str,
                                                     field: str) -> None:
    supervisor = await web.signed_in("supervisor1")
    for path in (f"/evidence/export/cells.csv?{query}", f"/evidence/export?{query}"):
        async with supervisor.http.get(supervisor.url(path),
                                       headers={"Accept": "application/json"}) as r:
            assert r.status == 422, path
            assert field in (await r.json())["error"], path
    status, page = await supervisor.get(f"/evidence/export?{query}")
    assert status == 422 and "Traceback" not in page
    assert await _exports(web) == []


# (method, path, status for operator, supervisor, admin)
ROUTES = [
    ("GET", "/evidence/export", 403, 200, 200),
    ("GET", "/evidence/export/cells.csv", 403, 200, 200),
    ("GET", "/evidence/export/cells.json", 403, 200, 200),
    ("GET", "/evidence/export/reports.csv", 403, 200, 200),
    ("GET", "/evidence/export/reports.json", 403, 200, 200),
]
ROLES = ("operator1", "supervisor1", "admin1")


def test_the_table_names_every_route_added() -> None:
    added = {(r.method, r.path) for r in export_views.routes() if isinstance(r, RouteDef)}
    assert added == {("GET", "/evidence/export"),
                     ("GET", "/evidence/export/{shape:cells|reports}.{format:csv|json}")}
    assert {(m, p) for m, p, *_ in ROUTES} >= {("GET", "/evidence/export")}
    assert len([p for _, p, *_ in ROUTES if p.startswith("/evidence/export/")]) == 2 * 2


@pytest.mark.parametrize("role", range(3), ids=ROLES)
async def test_who_may_use_each_route(web: WebApp, role: int) -> None:
    client = await web.signed_in(ROLES[role])
    for method, path, *statuses in ROUTES:
        status, _, _ = await download(client, path)
        assert status == statuses[role], (ROLES[role], method, path, status)
    exported = [e["username"] for e in await _exports(web)]
    assert exported == ([] if role == 0 else [ROLES[role]] * 4)
    status, page = await client.get("/")
    assert ('href="/evidence/export"' in page) is (role > 0)
    for path in ("/evidence/export/people.csv", "/evidence/export/cells.xml"):
        assert (await download(client, path))[0] == 404


async def test_the_page_offers_the_downloads_with_its_filters(web: WebApp) -> None:
    seeded = await seed(web)
    supervisor = await web.signed_in("supervisor1")
    f1 = seeded.facilities[1][0]
    status, page = await supervisor.get(f"/evidence/export?since=2026-02&facility={f1}"
                                        "&threshold=7")
    assert status == 200
    for shape in ("cells", "reports"):
        for fmt in ("csv", "json"):
            link = re.search(rf'id="export-{shape}-{fmt}" href="([^"]+)"', page)
            assert link, (shape, fmt)
            assert link.group(1) == (f"/evidence/export/{shape}.{fmt}?since=2026-02&amp;"
                                     f"facility={f1}&amp;threshold=7")
    assert 'value="2026-02"' in page and f'<option value="{f1}" selected>' in page
    assert 'name="threshold" type="number" min="3"' in page and 'value="7"' in page
    assert await _exports(web) == []  # the page alone exports nothing


async def _add_reports(dsn: str, count: int) -> None:
    async with connect(dsn) as con:
        await con.execute(
            """INSERT INTO reports (id, facility_id, category, severity, occurred_from,
                                    affected, narrative, created_by)
               SELECT gen_random_uuid(), (SELECT min(id) FROM facilities),
                      (ARRAY['medical_neglect', 'use_of_force'])[1 + n % 2],
                      (ARRAY['low', 'medium', 'high', 'critical'])[1 + n % 4],
                      date '2025-01-01' + (n % 365), 'person', $1,
                      (SELECT min(id) FROM users)
                 FROM generate_series(1, $2) AS n""", os.urandom(16), count)


async def _peak_while_downloading(client: Client, path: str) -> tuple[int, int]:
    """The most memory the process (server and client) held during the download, and the
    download's size; the body is counted as it comes, not kept."""
    tracemalloc.start()
    try:
        size = 0
        async with client.http.get(client.url(path)) as r:
            assert r.status == 200
            async for chunk in r.content.iter_any():
                size += len(chunk)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


async def test_the_reports_are_streamed_not_gathered(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    await _add_reports(web.dsn, 10_000)
    small_peak, small = await _peak_while_downloading(supervisor, "/evidence/export/reports.csv")
    await _add_reports(web.dsn, 20_000)
    peak, size = await _peak_while_downloading(supervisor, "/evidence/export/reports.csv")
    assert "rows=30000" in (await _exports(web))[-1]["fields"]
    assert size > 2.9 * small
    # Three times the reports, about the same memory: a batch at a time (gathering the rows
    # or the file first would hold three times as much).
    assert peak < 1.5 * small_peak, (small_peak, peak)
    assert peak < size, (peak, size)


async def test_a_download_dropped_half_way_stays_audited(web: WebApp) -> None:
    await _add_reports(web.dsn, 10_000)
    supervisor = await web.signed_in("supervisor1")
    async with supervisor.http.get(supervisor.url("/evidence/export/reports.json")) as r:
        assert r.status == 200
        assert (await r.content.readany()).startswith(b'{"export": "anonymised reports"')
        r.close()  # the browser goes away with most of the file unsent
    entries = await wait_for(_exports_if_idle(web), what="the export's transaction ended")
    assert [e["entity_id"] for e in entries] == ["reports.json"]
    assert "rows=10000" in entries[0]["fields"]


def _exports_if_idle(web: WebApp) -> Callable[[], Awaitable[list[dict[str, Any]] | None]]:
    """The audit entries once no transaction of the export is left open."""
    async def probe() -> list[dict[str, Any]] | None:
        open_ = await web.sql("""SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                                  AND state LIKE 'idle in transaction%'""")
        return None if open_ else await _exports(web)
    return probe
