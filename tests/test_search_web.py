"""Finding people, paged report filters, the call history and a person's calls, over HTTP
against the running app: supervisors only, totals beyond one page, every search audited
by field name, bad parameters a 4xx."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import asyncpg

from lifeline_pbx import crypto
from lifeline_pbx.cases import people, person_merge
from lifeline_pbx.cases.forms import PersonForm
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.privacy import sensitive
from tests.web_fixtures import WebApp

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
TOTAL = re.compile(r'class="pager-total">(\d+)<')
PAST_END = re.compile(r'class="pager-past-end">([^<]*)<')
NAMES = {"208100001": "María José García López", "208100002": "Seán O'Brien",
         "208100003": "José Núñez-García"}


def total(page: str) -> int:
    found = TOTAL.search(page)
    assert found, "no total on the page"
    return int(found.group(1))


def rows(page: str, table_id: str) -> int:
    body = page.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr") - 1 - body.count('colspan="')  # minus the header, "no rows"


async def _people(web: WebApp) -> dict[str, uuid.UUID]:
    sensitive(*NAMES.values(), *NAMES)
    con = await asyncpg.connect(web.dsn)
    try:
        user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
        facility = await con.fetchval("SELECT min(id) FROM facilities")
        ids = {}
        for a_number, name in NAMES.items():
            form = PersonForm(a_number, (name,), dt.date(1990, 2, 3), "", facility)
            async with con.transaction():
                ids[a_number] = await people.create(con, KEYS, form, user)
        return ids
    finally:
        await con.close()


async def test_supervisors_find_people_by_any_part_of_a_name(web: WebApp) -> None:
    ids = await _people(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/people/search?name=GARCIA")
    assert status == 200 and total(page) == 2 and rows(page, "people-found") == 2
    assert "María José García López" in page and "Núñez-García" in page and "Brien" not in page
    status, page = await supervisor.get("/people/search?name=o%E2%80%99brien")
    assert status == 200 and total(page) == 1 and f"/people/{ids['208100002']}" in page
    status, page = await supervisor.get("/people/search?name=jose&per_page=1&page=2")
    assert status == 200 and total(page) == 2 and rows(page, "people-found") == 1
    assert 'class="pager-previous"' in page and 'class="pager-next"' not in page
    status, page = await supervisor.get("/people/search?a_number=A-208-100-003&dob=1990-02-03")
    assert status == 200 and total(page) == 1 and "Núñez-García" in page
    audit = await web.sql("SELECT action, entity, entity_id, fields FROM audit_log "
                          "WHERE entity IN ('people', 'person') ORDER BY id")
    searches = [r["fields"] for r in audit if r["entity"] == "people"]
    assert searches == [["names"], ["names"], ["names"], ["a_number", "date_of_birth"]]
    shown = [r["entity_id"] for r in audit if r["entity"] == "person" and r["action"] == "view"]
    assert str(ids["208100002"]) in shown and len(shown) == 2 + 1 + 1 + 1
    assert not any(v in str(list(r.values())) for r in audit for v in ("arcia", "208100"))

    for path, code in (("/people/search?a_number=A12", 422), ("/people/search?dob=1990-02-30", 422),
                       ("/people/search?name=J", 422), ("/people/search?facility=x", 422),
                       ("/people/search?name=jose&page=0", 422),
                       ("/people/search?name=jose&page=abc", 422),
                       ("/people/search?name=" + "a" * 201, 422)):
        status, page = await supervisor.get(path)
        assert status == code, path
    status, page = await supervisor.get("/people/search")
    assert status == 200 and 'id="people-found"' not in page  # nothing searched, nothing shown
    operator = await web.signed_in("operator1")
    status, _ = await operator.get("/people/search?name=garcia")
    assert status == 403


async def test_a_merged_away_a_number_finds_the_kept_record(web: WebApp) -> None:
    ids = await _people(web)
    con = await asyncpg.connect(web.dsn)
    try:
        user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
        preview = await person_merge.preview(con, KEYS, ids["208100003"], "208100001", user)
        await person_merge.confirm(con, KEYS, ids["208100003"], ids["208100001"], preview.mark,
                                   user)
    finally:
        await con.close()
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/people/search?a_number=A-208-100-001")
    assert status == 200 and total(page) == 1 and "Nobody matches" not in page
    assert f'href="/people/{ids["208100003"]}"' in page and "Núñez-García" in page
    assert "María José" in page  # the kept record took over the merged one's names
    status, _ = await supervisor.get("/people?a_number=A-208-100-001")
    assert status == 303  # where the other lookup leads too
    assert supervisor.last["location"] == f"/people/{ids['208100003']}"


async def _reports(web: WebApp, person: uuid.UUID) -> None:
    """65 reports: every 5th critical at unit 'B-2' with a legal consent, every 3rd from a
    Spanish intake, the first 7 about the person, one a year ago."""
    await web.sql(
        """WITH u AS (SELECT id FROM users WHERE username = 'supervisor1'),
                f AS (SELECT min(id) AS id FROM facilities)
           INSERT INTO intakes (id, user_id, facility_id, language, outcome, created_at)
           SELECT ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, u.id, f.id,
                  CASE WHEN n % 3 = 0 THEN 'es' ELSE 'en' END, 'intake',
                  date_trunc('day', now()) + interval '12 hours' - n * interval '1 minute'
           FROM generate_series(1, 65) n, u, f""")  # today's noon: not across midnight
    await web.sql(
        """INSERT INTO reports (id, intake_id, person_id, facility_id, category, severity,
                                affected, housing_unit, narrative, created_by, created_at)
           SELECT gen_random_uuid(), i.id, CASE WHEN n <= 7 THEN $1::uuid END, i.facility_id,
                  CASE WHEN n % 2 = 0 THEN 'medical_neglect' ELSE 'use_of_force' END,
                  CASE WHEN n % 5 = 0 THEN 'critical' ELSE 'low' END, 'group',
                  CASE WHEN n % 5 = 0 THEN 'B-2' ELSE 'A-1' END, '\\x00'::bytea, i.user_id,
                  CASE WHEN n = 65 THEN now() - interval '1 year' ELSE i.created_at END
           FROM intakes i, LATERAL (SELECT right(i.id::text, 12)::int AS n) k""", person)
    await web.sql(
        """INSERT INTO report_consents (report_id, partner_id)
           SELECT r.id, (SELECT min(id) FROM partners) FROM reports r
           WHERE r.severity = 'critical'""")


async def test_reports_are_filtered_and_paged_with_their_total(web: WebApp) -> None:
    ids = await _people(web)
    person = ids["208100001"]
    await _reports(web, person)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/reports")
    assert status == 200 and total(page) == 65 and rows(page, "reports-table") == 50
    assert 'class="pager-next"' in page
    status, page = await supervisor.get("/reports?page=2")
    assert status == 200 and rows(page, "reports-table") == 15 and "51\u201365 of" in page
    status, page = await supervisor.get("/reports?category=medical_neglect&per_page=10&page=4")
    assert status == 200 and total(page) == 32 and rows(page, "reports-table") == 2
    assert "category=medical_neglect" in page.split('class="pager-previous"')[0].rsplit("<a", 1)[1]
    partner = (await web.sql("SELECT min(id) AS id FROM partners"))[0]["id"]
    today = (await web.sql("SELECT current_date AS d"))[0]["d"]  # the database's day
    last_year = (today - dt.timedelta(days=365)).isoformat()
    for query, expected in (
            ("severity=critical", 13), ("language=es", 21), ("housing_unit=b-2", 13),
            (f"partner={partner}", 13), (f"person={person}", 7),
            (f"until={last_year}", 1), (f"since={today.isoformat()}", 64),
            ("severity=critical&language=es&category=use_of_force", 2),
            ("category=no_such_category", 0)):
        status, page = await supervisor.get(f"/reports?{query}")
        assert status == 200 and total(page) == expected, query
    status, csv = await supervisor.get(f"/reports.csv?person={person}")
    assert status == 200 and len(csv.strip().splitlines()) == 1 + 7
    for query, code in (("severity=dire", 422), ("language=xx", 422), ("since=2024-13-01", 422),
                        ("since=2024-02-01&until=2024-01-01", 422), ("facility=1e3", 422),
                        ("person=42", 422), ("partner=-1", 422), ("page=0", 422),
                        ("per_page=x", 422)):
        status, _ = await supervisor.get(f"/reports?{query}")
        assert status == code, query
    audited = await web.sql("SELECT fields FROM audit_log WHERE entity = 'person' "
                            "AND entity_id = $1 AND fields = '{reports}'", str(person))
    assert len(audited) == 2  # the list by person, and its CSV
    status, page = await supervisor.get(f"/people/{person}")
    assert status == 200 and 'id="person-reports-total">7<' in page


async def _calls(web: WebApp, person: uuid.UUID) -> None:
    """30 calls: even ones urgent, in Spanish, answered by operator1 on the first line after
    a 45 s wait and 10 min talk; odd ones abandoned, in English, on another line; the first
    5 with an intake for the person."""
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
                              caller_number, caller_name, started_at, queued_at, connected_at,
                              answered_at, ended_at, disposition, language, priority,
                              operator_id, wait_seconds)
           SELECT ('00000000-0000-0000-0001-' || lpad(n::text, 12, '0'))::uuid, 'c' || n,
                  'PJSIP/c', l.did, l.id, l.facility_id, '', '', s, s + interval '5 s',
                  CASE WHEN n % 2 = 0 THEN s + interval '50 s' END, s,
                  s + CASE WHEN n % 2 = 0 THEN interval '650 s' ELSE interval '65 s' END,
                  CASE WHEN n % 2 = 0 THEN 'answered' ELSE 'abandoned' END,
                  CASE WHEN n % 2 = 0 THEN 'es' ELSE 'en' END, (n % 2 = 0)::int,
                  CASE WHEN n % 2 = 0 THEN (SELECT id FROM operators
                                            WHERE sip_username = 'operator1') END,
                  CASE WHEN n % 2 = 0 THEN 45 ELSE 60 END
           FROM generate_series(1, 30) n,
                LATERAL (SELECT now() - n * interval '1 hour' AS s) t,
                LATERAL (SELECT * FROM lines ORDER BY (id = (SELECT min(id) FROM lines))
                         = (n % 2 = 0) DESC, id LIMIT 1) l""")
    await web.sql(
        """INSERT INTO intakes (id, call_id, person_id, user_id, facility_id, language, outcome,
                                created_at)
           SELECT gen_random_uuid(), c.id, $1, (SELECT id FROM users WHERE username='operator1'),
                  c.facility_id, c.language, 'intake', c.started_at
           FROM calls c ORDER BY c.started_at DESC LIMIT 5""", person)
    await web.sql(
        """INSERT INTO intakes (id, person_id, user_id, language, outcome)
           SELECT gen_random_uuid(), $1, id, 'fr', 'intake' FROM users
           WHERE username = 'supervisor1'""", person)


async def test_call_history_and_a_persons_calls(web: WebApp) -> None:
    ids = await _people(web)
    person = ids["208100002"]
    await _calls(web, person)
    first_line = (await web.sql("SELECT min(id) AS id FROM lines"))[0]["id"]
    operator_id = (await web.sql(
        "SELECT id FROM operators WHERE sip_username = 'operator1'"))[0]["id"]
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/calls?per_page=20")
    assert status == 200 and total(page) == 30 and rows(page, "calls-table") == 20
    status, page = await supervisor.get("/calls?per_page=20&page=2")
    assert status == 200 and rows(page, "calls-table") == 10
    status, page = await supervisor.get("/calls?triage=urgent&language=es&outcome=answered")
    assert status == 200 and total(page) == 15
    operator_name = (await web.sql("SELECT display_name FROM operators WHERE id = $1",
                                   operator_id))[0]["display_name"]
    assert "<td>0:45</td>" in page and "<td>10:50</td>" in page
    assert f"<td>{operator_name}</td>" in page
    for query, expected in ((f"line={first_line}", 15), (f"operator={operator_id}", 15),
                            ("outcome=abandoned", 15), ("triage=normal", 15),
                            (f"since={dt.date.today()}", None)):
        status, page = await supervisor.get(f"/calls?{query}")
        assert status == 200, query
        if expected is not None:
            assert total(page) == expected, query
    for query, code in (("triage=maybe", 422), ("line=x", 422), ("until=yesterday", 422),
                        ("page=-2", 422)):
        status, _ = await supervisor.get(f"/calls?{query}")
        assert status == code, query
    operator = await web.signed_in("operator1")
    status, _ = await operator.get("/calls")
    assert status == 403

    # The person's calls are the calls their intakes were written on: the intake typed
    # outside a call is in the intakes, not the calls (a merge's preview counts the same).
    status, page = await supervisor.get(f"/people/{person}?per_page=4")
    assert status == 200 and total(page) == 5 and rows(page, "person-calls") == 4
    assert "calls_page=2" in page and "<td>French</td>" not in page
    status, page = await supervisor.get(f"/people/{person}?per_page=4&calls_page=2")
    assert status == 200 and rows(page, "person-calls") == 1 and "<td>French</td>" not in page
    status, _ = await supervisor.get(f"/people/{person}?calls_page=zero")
    assert status == 422


def past_end(page: str) -> str:
    found = PAST_END.search(page)
    return found.group(1) if found else ""


async def test_a_page_past_the_end_shows_the_last_and_says_so(web: WebApp) -> None:
    ids = await _people(web)
    person = ids["208100002"]
    await _calls(web, person)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/calls?per_page=20&page=9999")
    assert status == 200 and rows(page, "calls-table") == 10 and "21\u201330 of" in page
    assert "page 2 of 2" in page and 'class="pager-next"' not in page
    assert past_end(page) == ("There is no page 9999: there are only 2 pages, "
                              "and this is the last.")
    status, page = await supervisor.get("/calls?per_page=20&page=2")
    assert status == 200 and rows(page, "calls-table") == 10 and past_end(page) == ""
    status, page = await supervisor.get(f"/people/{person}?per_page=4&calls_page=7")
    assert status == 200 and rows(page, "person-calls") == 1 and "page 2 of 2" in page
    assert past_end(page).startswith("There is no page 7:")

    before = (await web.sql("SELECT max(id) AS id FROM audit_log"))[0]["id"]
    status, page = await supervisor.get("/people/search?name=jose&per_page=1&page=5")
    assert status == 200 and rows(page, "people-found") == 1 and "page 2 of 2" in page
    assert past_end(page).startswith("There is no page 5:")
    last = max(ids["208100001"], ids["208100003"])  # the two Josés, in id order
    assert f'href="/people/{last}"' in page
    shown = await web.sql("SELECT entity_id FROM audit_log"
                          " WHERE entity = 'person' AND action = 'view' AND id > $1", before)
    assert [r["entity_id"] for r in shown] == [str(last)]  # the person shown, audited
