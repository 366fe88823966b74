"""What the report list's filters and its CSV mean, beside the evidence pages over the same
reports (tests/evidence_fixture.py: facility B in Los Angeles): a report's day is its
facility's on both, recorded and incident dates are two filters, the CSV is labelled for
internal use and carries category labels and the language, "severity" says exactly or at
least, open follow-ups per facility say what they count, and a chart shows a long
category whole."""

from __future__ import annotations

import csv
import io
import re
import uuid

from lifeline_pbx.cases import export
from lifeline_pbx.crypto import place
from lifeline_pbx.resources import KEY_RING
from tests import evidence_fixture as fx
from tests.pg_fixtures import connect
from tests.test_evidence_web import heat_rows, loaded
from tests.test_search_web import total
from tests.web_fixtures import Client, WebApp

MONTHS = (("2024-01-01", "2024-01-31"), ("2024-02-01", "2024-02-29"),
          ("2024-03-01", "2024-03-31"))
ACCESS = "Access to counsel, interpretation and legal materials"  # the longest category


async def _report(web: WebApp, facility: int, category: str, recorded: str) -> uuid.UUID:
    report_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO reports (id, facility_id, category, severity, affected, housing_unit,
                                narrative, created_by, created_at)
           VALUES ($1, $2, $3, 'low', 'group', '', $5,
                   (SELECT id FROM users WHERE username = 'operator1'), $4)""",
        report_id, facility, category, fx.utc(recorded),
        web.app[KEY_RING].seal("Seen at night.", place("reports", "narrative", report_id)))
    return report_id


async def _total(client: Client, query: str) -> int:
    status, page = await client.get(f"/reports?{query}")
    assert status == 200, (query, page)
    return total(page)


async def test_a_reports_day_is_its_facilitys_on_the_list_and_the_evidence_pages(
        web: WebApp) -> None:
    fixture = await loaded(web)
    # 03:00 UTC on 1 February is 22:00 on 31 January in New York.
    late = await _report(web, fixture.facility_a, "retaliation", "2024-02-01 03:00")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}")
    assert status == 200
    by_month = heat_rows(page)
    for facility, name in ((fixture.facility_a, fx.FACILITY_A),
                           (fixture.facility_b, fx.FACILITY_B)):
        counts = [count for count, _ in by_month[name][0]]
        assert [await _total(supervisor, f"facility={facility}&since={first}&until={last}")
                for first, last in MONTHS] == counts, name
    assert by_month[fx.FACILITY_A][0][0][0] == 3  # a1, a2 and the late one: January's
    day = f"facility={fixture.facility_a}&since=2024-01-31&until=2024-01-31"
    status, page = await supervisor.get(f"/reports?{day}")
    assert total(page) == 1 and f'href="/reports/{late}"' in page
    assert "<td>2024-01-31</td>" in page  # the day it was recorded there
    status, page = await supervisor.get(f"/reports/{late}")
    assert status == 200
    assert '<span id="report-recorded">2024-01-31 22:00 EST</span>' in page  # its own page too
    status, page = await supervisor.get(f"/reports?facility={fixture.facility_a}"
                                        "&since=2024-02-01&until=2024-02-01")
    assert total(page) == 1 and f'href="/reports/{late}"' not in page  # a4 (00:30 there)
    assert '<label for="filter-since">Recorded from</label>' in page
    assert '<label for="filter-until">Recorded to</label>' in page
    assert "Recorded: the day in the facility's time zone, as on the evidence pages." in page
    status, text = await supervisor.get(f"/reports.csv?{day}")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["report_id"] for r in rows] == [str(late)]
    assert rows[0]["created_at"] == "2024-01-31T22:00:00-05:00"


async def _dated(web: WebApp, fixture: fx.Loaded) -> None:
    """a1 happened 5-8 January, a2 on the 15th (no end given), b1 20 December to 2 January;
    the other seven reports have no incident date."""
    for name, first, last in (("a1", "2024-01-05", "2024-01-08"), ("a2", "2024-01-15", None),
                              ("b1", "2023-12-20", "2024-01-02")):
        await web.sql("UPDATE reports SET occurred_from = $2::text::date, "
                      "occurred_to = $3::text::date WHERE id = $1",
                      fixture.reports[name], first, last)


async def test_incident_dates_are_a_filter_of_their_own(web: WebApp) -> None:
    fixture = await loaded(web)
    await _dated(web, fixture)
    supervisor = await web.signed_in("supervisor1")
    both = "incident_from=2024-01-06&incident_to=2024-01-15"
    for query, expected in ((both, {"a1", "a2"}),
                            ("incident_from=2024-01-01", {"a1", "a2", "b1"}),
                            ("incident_to=2024-01-01", {"b1"}),
                            ("incident_from=2024-01-09&incident_to=2024-01-14", set()),
                            ("incident_from=2024-01-01&since=2024-01-15", {"a2", "b1"})):
        status, page = await supervisor.get(f"/reports?{query}")
        assert status == 200 and total(page) == len(expected), query
        assert {name for name, rid in fixture.reports.items()
                if f'href="/reports/{rid}"' in page} == expected, query
        assert re.search(r'<p id="reports-undated">\d+ reports matching the other filters '
                         r"have no incident date and are not counted here.</p>", page), query
    status, page = await supervisor.get(f"/reports?{both}")
    assert '<p id="reports-undated">7 reports matching' in page
    assert '<input id="filter-incident-from" name="incident_from" type="date" ' \
        'value="2024-01-06">' in page
    assert f'href="/reports.csv?{both.replace("&", "&amp;")}"' in page
    status, page = await supervisor.get(f"/reports?{both}&facility={fixture.facility_b}")
    assert total(page) == 0 and '<p id="reports-undated">3 reports matching' in page
    status, page = await supervisor.get("/reports")
    assert 'id="reports-undated"' not in page and total(page) == 10
    status, text = await supervisor.get(f"/reports.csv?{both}")
    assert {r["report_id"] for r in csv.DictReader(io.StringIO(text))} == {
        str(fixture.reports["a1"]), str(fixture.reports["a2"])}
    for query, field in (("incident_from=2024-01-06&incident_to=2024-01-05", "incident_to"),
                         ("incident_from=6 Jan", "incident_from")):
        status, page = await supervisor.get(f"/reports?{query}")
        assert status == 422 and f'<p id="error-message">{field}: ' in page, query


async def test_the_internal_csv_says_what_it_holds_with_labels_and_the_language(
        web: WebApp) -> None:
    fixture = await loaded(web)
    await _dated(web, fixture)
    intake = uuid.uuid4()  # a report takes its intake's language (migration 0016)
    await web.sql("""INSERT INTO intakes (id, user_id, facility_id, language, outcome)
                     SELECT $1, id, $2, 'es', 'intake' FROM users WHERE username = 'operator1'
                  """, intake, fixture.facility_a)
    await web.sql("UPDATE reports SET intake_id = $1 WHERE id = $2", intake,
                  fixture.reports["a1"])
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/reports")
    assert re.search(r'<a id="reports-csv" href="/reports.csv">CSV for internal use: no names '
                     r"or A-numbers; has housing units and exact times</a>", page)
    status, text = await supervisor.get("/reports.csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["report_id", "created_at", "facility", "category", "category_label",
                       "severity", "language", "language_label", "occurred_from",
                       "occurred_to", "affected", "people", "housing_unit"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(fixture.reports["a1"])] == [
        str(fixture.reports["a1"]), "2024-01-10T10:00:00-05:00", fx.FACILITY_A,
        "medical_neglect", fx.MEDICAL, "high", "es", "Spanish", "2024-01-05", "2024-01-08",
        "person", "", fx.HOUSING_UNIT]
    assert by_id[str(fixture.reports["b1"])][1:8] == [
        "2024-01-31T21:30:00-08:00", fx.FACILITY_B, "medical_neglect", fx.MEDICAL, "medium",
        "", ""]
    assert all(name not in text for name in (*fx.NAMES, fx.A_NUMBER, "Narrative"))
    audited = await web.sql("SELECT fields FROM audit_log WHERE action = 'export' "
                            "AND entity = 'reports'")
    assert [set(r["fields"]) for r in audited] == [set(export.COLUMNS)]


async def test_severity_says_exactly_on_the_list_and_at_least_on_the_evidence(
        web: WebApp) -> None:
    await loaded(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/reports?severity=high")
    assert status == 200
    assert '<label for="filter-severity">Severity, exactly</label>' in page
    assert total(page) == 3  # a1, a5, b2
    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}&severity=high")
    assert status == 200
    assert '<label for="ev-severity">Severity at least</label>' in page
    assert '<td id="heat-total">5</td>' in page  # and the critical a2 and b3


async def test_open_follow_ups_per_facility_say_what_they_count(web: WebApp) -> None:
    fixture = await loaded(web)
    # a1's follow-up is about the person, who is held at B now; the report is A's.
    await web.sql("UPDATE persons SET facility_id = $1 WHERE id = $2", fixture.facility_b,
                  fixture.person)
    await web.sql("UPDATE follow_ups SET person_id = $1 WHERE report_id = $2", fixture.person,
                  fixture.reports["a1"])
    keys = web.app[KEY_RING]
    for row in await web.sql("SELECT id FROM follow_ups"):  # the list opens what they say
        await web.sql("UPDATE follow_ups SET what = $2 WHERE id = $1", row["id"],
                      keys.seal("Ask the medical unit.", place("follow_ups", "what", row["id"])))
    supervisor = await web.signed_in("supervisor1")
    evidence = {}
    for facility in (fixture.facility_a, fixture.facility_b):
        status, page = await supervisor.get(f"/evidence/facilities/{facility}?{fx.PERIOD}")
        assert status == 200
        found = re.search(r"<h2>Open follow-ups on this facility's reports: "
                          r'<span id="follow-ups-open">(\d+)</span></h2>', page)
        assert found is not None and 'id="follow-ups-rule"' in page
        evidence[facility] = int(found.group(1))
    listed = {}
    for facility in (fixture.facility_a, fixture.facility_b):
        status, page = await supervisor.get(f"/follow-ups/all?facility={facility}")
        assert status == 200
        assert '<label for="filter-facility">Facility (where the person is held now)</label>' \
            in page
        listed[facility] = total(page)
    assert evidence == {fixture.facility_a: 2, fixture.facility_b: 1}  # a1's and the intake's
    assert listed == {fixture.facility_a: 1, fixture.facility_b: 2}  # a1's where she is now


def _drawn_labels(page: str, chart_id: str) -> list[str]:
    """The row labels of a bar chart as drawn: each <text> right of nothing, its lines
    (tspans) joined by a space."""
    chart = page.split(f'id="{chart_id}"', 1)[1].split("</svg>", 1)[0]
    return [" ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", inner)) or inner
            for inner in re.findall(r'<text [^>]*text-anchor="end">(.*?)</text>', chart)]


async def test_a_chart_shows_the_longest_category_whole(web: WebApp) -> None:
    fixture = await loaded(web)
    await _report(web, fixture.facility_a, "access_to_counsel", "2024-02-10 15:00")
    async with connect(web.dsn) as con:
        longest = await con.fetchval(
            "SELECT label FROM report_categories ORDER BY length(label) DESC LIMIT 1")
    assert longest == ACCESS
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence/facilities/{fixture.facility_a}?{fx.PERIOD}")
    assert status == 200
    assert _drawn_labels(page, "chart-categories") == [fx.MEDICAL, fx.FORCE, ACCESS]
