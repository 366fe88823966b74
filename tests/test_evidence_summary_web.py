"""The summary of every facility over HTTP against the running app and PostgreSQL: the
reports of tests/evidence_fixture.py (January to March 2024) and those added here for the
quarter before, with calls, intakes and follow-ups, counted by hand; its figures equal the
heat map's and the facility pages' for the same months; who may see it; what it audits.

Added here (A in New York, B in Los Angeles; local month in brackets):

    report  facility  category         recorded (UTC)     local month  person
    p1      A         food_water       2023-10-05 15:00   Oct          second (a group)
    p2      B         medical_neglect  2023-11-10 20:00   Nov          second
    p3      B         medical_neglect  2023-10-01 05:00   Sep: outside
    p4      A         use_of_force     2024-01-01 03:00   Dec          none

The fixture's a1, a2 are the first person's, b1, b3 the second's, the rest name no one.
Reports Q1 2024: A 5, B 4 (medical 5, force 4); Q4 2023: A 3 (a6, p1, p4), B 1 (p2)
(medical 2, food 1, force 1).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from lifeline_pbx.evidence import summary
from lifeline_pbx.statistics.periods import DEFAULT_ZONE, today
from tests import evidence_fixture as fx
from tests.pg_fixtures import connect
from tests.test_evidence_web import Tables, heat_rows, loaded
from tests.web_fixtures import WebApp

JSON = {"Accept": "application/json"}
Q1 = "from=2024-01&to=2024-03"
Q4 = "from=2023-10&to=2023-12"
FOOD = "Food and water"

# name, facility, category, recorded at UTC, affected, whose
EARLIER = (("p1", "A", "food_water", "2023-10-05 15:00", "group", "second"),
           ("p2", "B", "medical_neglect", "2023-11-10 20:00", "person", "second"),
           ("p3", "B", "medical_neglect", "2023-10-01 05:00", "person", "second"),
           ("p4", "A", "use_of_force", "2024-01-01 03:00", "person", None))
# facility (None: a line without one), started at UTC, answered
CALLS: tuple[tuple[str | None, str, bool], ...] = (
         ("B", "2024-02-01 05:00", True),  # 21:00 on Jan 31 in Los Angeles
         (None, "2024-02-10 15:00", True),
         ("A", "2023-11-05 15:00", True),
         ("B", "2024-04-01 06:30", False))  # 23:30 on Mar 31 in Los Angeles
# facility, saved at UTC, outcome
INTAKES: tuple[tuple[str | None, str, str], ...] = (
           ("A", "2024-02-02 15:00", "intake"), ("B", "2024-03-01 07:00", "intake"),  # Feb
           ("A", "2024-02-03 15:00", "silent"), (None, "2024-03-10 12:00", "intake"),
           ("A", "2023-12-01 15:00", "intake"))
# about (a report's name, "intake", or None: the person only), created, due, status, closed
FOLLOW_UPS = (("a1", "2024-01-11 15:00", "2024-02-01", "done", "2024-03-01 15:00"),
              ("b1", "2024-02-02 12:00", "2024-03-15", "open", None),
              ("intake", "2023-11-20 15:00", "2023-12-01", "done", "2024-01-05 15:00"),
              (None, "2023-12-10 12:00", None, "open", None),
              ("p2", "2023-11-11 12:00", "2024-03-31", "cancelled", "2024-04-01 06:00"))

# label -> (Q1 2024, Q4 2023, change), worked out by hand from the tables above
EXPECTED_Q1 = {
    "Calls received": ("6", "1", "+5 (+500%)"),  # A 3 (the fixture's), B 2, no facility 1
    "Calls answered": ("2", "1", "+1 (+100%)"),
    "Intakes": ("3", "1", "+2 (+200%)"),  # the silent call's outcome is not one
    "Reports": ("9", "4", "+5 (+125%)"),
    # Q4: the second person (p2), p1's group (two at least), p4 names no one
    "People the reports are about": ("at least 2", "at least 3", "-1 (-33%)"),
    "Follow-ups opened": ("2", "3", "-1 (-33%)"),
    "Follow-ups closed": ("3", "0", "new"),  # done in Jan (at A), in Mar; cancelled in Mar (LA)
    "Follow-ups overdue at the end": ("1", "1", "no change"),
}


async def seed(web: WebApp) -> fx.Loaded:
    """The fixture's reports, calls and follow-ups, and the quarter before."""
    fixture = await loaded(web)
    at = {"A": fixture.facility_a, "B": fixture.facility_b, None: None}
    async with connect(web.dsn) as con:
        user = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
        second = uuid.uuid4()
        await con.execute("INSERT INTO persons (id, a_number_key, a_number, names) "
                          "VALUES ($1, $2, '\\x00', '\\x00')", second, second.bytes)
        await con.execute("UPDATE reports SET person_id = $1 WHERE id = $2", fixture.person,
                          fixture.reports["a2"])
        await con.execute("UPDATE reports SET person_id = $1 WHERE id = ANY($2::uuid[])",
                          second, [fixture.reports["b1"], fixture.reports["b3"]])
        for name, facility, category, recorded, affected, whose in EARLIER:
            rid = fixture.reports[name] = uuid.uuid4()
            await con.execute(
                """INSERT INTO reports (id, person_id, facility_id, category, severity,
                                        affected, narrative, created_by, created_at)
                   VALUES ($1, $2, $3, $4, 'medium', $5, '\\x00', $6, $7)""",
                rid, second if whose else None, at[facility], category, affected, user,
                fx.utc(recorded))
        for where, started, answered in CALLS:
            await con.execute(
                """INSERT INTO calls (id, channel_id, channel_name, did, facility_id,
                                      caller_number, caller_name, started_at, connected_at,
                                      operator_id, ended_at, disposition)
                   VALUES ($1, $2, 'PJSIP/carrier-1', '15550100101', $3, 'anonymous', '',
                           $4, $5, $6, $4::timestamptz + interval '5 minutes', 'answered')""",
                uuid.uuid4(), f"chan-{started}", at[where], fx.utc(started),
                fx.utc(started) if answered else None, user if answered else None)
        intakes = []
        for where, saved, outcome in INTAKES:
            intakes.append(uuid.uuid4())
            await con.execute("""INSERT INTO intakes (id, user_id, facility_id, outcome,
                                                      created_at)
                                 VALUES ($1, $2, $3, $4, $5)""",
                              intakes[-1], user, at[where], outcome, fx.utc(saved))
        for about, created, due, status, closed in FOLLOW_UPS:
            await con.execute(
                """INSERT INTO follow_ups (id, person_id, report_id, intake_id, what,
                                           status, created_by, created_at, due_on, closed_at)
                   VALUES ($1, $2, $3, $4, '\\x00', $5, $6, $7, $8, $9)""",
                uuid.uuid4(), second if about is None else None,
                fixture.reports.get(about or ""), intakes[-1] if about == "intake" else None,
                status, user, fx.utc(created), due and dt.date.fromisoformat(due),
                closed and fx.utc(closed))
    return fixture


def rows(page: str, table: str) -> dict[str, tuple[str, ...]]:
    """A table's body rows: the row's label -> its cells' text."""
    parser = Tables()
    parser.feed(page)
    found = parser.tables[table][1:]
    return {label: tuple(text for text, _ in cells) for (label, _), *cells in found}


async def test_the_summary_counts_by_hand_against_the_quarter_before(web: WebApp) -> None:
    await seed(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence/summary?{Q1}")
    assert status == 200
    assert rows(page, "summary-figures") == EXPECTED_Q1
    assert rows(page, "summary-categories") == {
        **{label: ("0", "0", "no change") for label in await category_labels(web)},
        fx.MEDICAL: ("5", "2", "+3 (+150%)"), fx.FORCE: ("4", "1", "+3 (+300%)"),
        FOOD: ("0", "1", "-1 (-100%)"), "Total": ("9", "4", "+5 (+125%)")}
    assert rows(page, "summary-facilities") == {
        fx.FACILITY_A: ("5", "3", "+2 (+67%)", "3"),
        fx.FACILITY_B: ("4", "1", "+3 (+300%)", "2"),
        "Total": ("9", "4", "+5 (+125%)", "6")}
    assert "The total of calls includes 1 on lines without a facility." in page
    assert "Jan 2024 to Mar 2024, compared with the 3 months before (Oct 2023 to Dec 2023)" \
        in page
    for label, _ in summary.DEFINITIONS.values():
        assert f'">{label}</dt>' in page, label
    assert "not for publication" in page and "<script" not in page

    # November alone: its one report names its person (exact); October's is a group.
    status, page = await supervisor.get("/evidence/summary?from=2023-11&to=2023-11")
    assert rows(page, "summary-figures")["People the reports are about"] == (
        "1", "at least 2", "-1 (-50%)")


async def category_labels(web: WebApp) -> list[str]:
    return [r["label"] for r in await web.sql("SELECT label FROM report_categories")]


@pytest.mark.parametrize("period", [Q1, Q4, "from=2023-11&to=2023-11",
                                    "from=2023-07&to=2024-06"])
async def test_its_figures_are_those_of_the_evidence_pages_for_the_same_months(
        web: WebApp, period: str) -> None:
    fixture = await seed(web)
    supervisor = await web.signed_in("supervisor1")
    _, page = await supervisor.get(f"/evidence/summary?{period}")
    previous = summary.before(summary.period(
        dict(p.split("=") for p in period.split("&")), dt.date(2025, 1, 1)))
    for column, months in ((0, period), (1, previous.query)):
        _, by_facility = await supervisor.get(f"/evidence?{months}")
        _, by_category = await supervisor.get(f"/evidence?{months}&rows=category")
        assert nonzero(rows(page, "summary-facilities"), column) == totals(by_facility)
        assert nonzero(rows(page, "summary-categories"), column) == totals(by_category)
    for facility, name in ((fixture.facility_a, fx.FACILITY_A),
                           (fixture.facility_b, fx.FACILITY_B)):
        _, profile = await supervisor.get(f"/evidence/facilities/{facility}?{period}")
        parser = Tables()
        parser.feed(profile)
        calls, reports = parser.tables["table-0"][1:]
        shown = rows(page, "summary-facilities").get(name, ("0", "0", "", "0"))
        assert int(shown[3]) == sum(int(t) for t, _ in calls[1:])
        assert int(shown[0]) == sum(int(t) for t, _ in reports[1:])


def totals(heat_map: str) -> dict[str, int]:
    """The heat map's rows' totals (none when it has no reports)."""
    if 'id="heat-table"' not in heat_map:
        return {}
    return {label: total for label, (_, total) in heat_rows(heat_map).items()}


def nonzero(table: dict[str, tuple[str, ...]], column: int) -> dict[str, int]:
    return {label: int(cells[column]) for label, cells in table.items()
            if label != "Total" and int(cells[column])}


async def test_the_printout_and_the_page_are_audited_and_name_no_one(web: WebApp) -> None:
    fixture = await seed(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence/summary?{Q1}")
    assert f'href="/evidence/summary/print?{Q1.replace("&", "&amp;")}"' in page
    assert (f'href="/evidence/facilities/{fixture.facility_b}?{Q1.replace("&", "&amp;")}"'
            in page)
    status, printout = await supervisor.get(f"/evidence/summary/print?{Q1}")
    assert status == 200
    assert rows(printout, "summary-figures") == EXPECTED_Q1
    assert "<nav" not in printout and 'id="print-now"' in printout
    assert "/evidence/facilities/" not in printout
    assert ("Counts are exact, small ones included: this is for the\n  NGO and for "
            "oversight bodies under agreement, not for publication.") in printout
    for identifier in (*fx.NAMES, fx.A_NUMBER, fx.HOUSING_UNIT):
        assert identifier not in printout
    entries = await web.sql("SELECT action, entity, entity_id, fields FROM audit_log "
                            "WHERE entity = 'evidence_summary' ORDER BY id")
    assert [(r["action"], r["entity_id"], list(r["fields"])) for r in entries] == [
        (action, "2024-01..2024-03", ["calls", "follow_ups", "intakes", "people_count",
                                      "reports_by_category", "reports_by_facility"])
        for action in ("view", "export")]


async def test_it_opens_on_the_last_full_quarter_and_is_linked_from_evidence(
        web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/evidence/summary")
    assert status == 200
    quarter = summary.last_full_quarter(today(DEFAULT_ZONE, dt.datetime.now(dt.UTC)))
    assert f'id="su-from" name="from" type="month" value="{quarter.first:%Y-%m}"' in page
    assert f'id="su-to" name="to" type="month" value="{quarter.last:%Y-%m}"' in page
    _, evidence = await supervisor.get(f"/evidence?{Q1}")
    assert 'href="/evidence/summary" id="summary-quarter-link"' in evidence
    assert f'href="/evidence/summary?{Q1.replace("&", "&amp;")}" id="summary-months-link"' \
        in evidence


@pytest.mark.parametrize(("query", "field"), [("from=2024-13", "from"),
                                              ("from=2024-04&to=2024-03", "to"),
                                              ("from=2019-12&to=2024-12", "to")])
async def test_a_bad_period_is_refused_naming_the_field(web: WebApp, query: str,
                                                        field: str) -> None:
    supervisor = await web.signed_in("supervisor1")
    for path in ("/evidence/summary", "/evidence/summary/print"):
        status, text = await supervisor.get(f"{path}?{query}", headers=JSON)
        assert status == 422 and set(json.loads(text)["errors"]) == {field}
        status, page = await supervisor.get(f"{path}?{query}")
        assert status == 422 and 'id="error-message"' in page
    assert await web.sql("SELECT 1 FROM audit_log WHERE entity = 'evidence_summary'") == []
