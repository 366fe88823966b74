"""The statistics pages over HTTP and in a browser: who may see them, the figures of a day
counted by hand (tests/statistics_fixture.py) on the page and in each CSV, the dates of a
range used whatever the Period select says, refusals that name the field (on the page, in
its form, with what was typed), and today's figures on the live queue view."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from playwright.async_api import expect

from lifeline_pbx.statistics import work
from tests import statistics_fixture as fx
from tests.browser import Browsing
from tests.pg_fixtures import connect
from tests.web_fixtures import PASSWORDS, WebApp

JSON = {"Accept": "application/json"}
ROUTES = ("/statistics", *(f"/statistics/{table}.csv" for table in work.TABLES))
DAY = "period=day&date=2024-03-12&tz=America/New_York"


async def test_operators_are_refused_supervisors_and_admins_see_every_statistics_route(
    web: WebApp,
) -> None:
    operator = await web.signed_in("operator1")
    anonymous = await web.client()
    staff = {name: await web.signed_in(name) for name in ("supervisor1", "admin1")}
    assert len(ROUTES) == 8
    for path in ROUTES:
        assert (await operator.get(path, headers=JSON))[0] == 403, path
        assert (await operator.get(path))[0] == 403, path
        assert (await anonymous.get(path, headers=JSON))[0] == 401, path
        for name, client in staff.items():
            assert (await client.get(path))[0] == 200, (name, path)


BAD = [
    ("period=year", {"period"}),
    ("period=day&date=2024-02-30", {"date"}),
    ("period=range", {"since", "until"}),
    ("period=range&since=2024-3-1&until=2024-03-05", {"since"}),
    ("period=range&since=2024-03-05&until=2024-03-01", {"until"}),
    ("period=range&since=2000-01-01&until=2024-03-01", {"until"}),
    ("tz=Mars/Olympus_Mons", {"tz"}),
    ("threshold=0", {"threshold"}),
    ("threshold=thirty", {"threshold"}),
    ("facility=999999", {"facility"}),
    ("line=first", {"line"}),
    ("queue=999999", {"queue"}),
    ("tz=Mars&threshold=-1&period=week", {"tz", "threshold"}),
]


@pytest.mark.parametrize(("query", "fields"), BAD)
async def test_bad_input_is_refused_naming_the_field(
    web: WebApp, query: str, fields: set[str]
) -> None:
    supervisor = await web.signed_in("supervisor1")
    for path in ("/statistics", "/statistics/facility.csv"):
        status, text = await supervisor.get(f"{path}?{query}", headers=JSON)
        assert status == 422, (path, query, text)
        assert set(json.loads(text)["errors"]) == fields, (path, query)
    status, page = await supervisor.get(f"/statistics/facility.csv?{query}")
    assert status == 422 and 'id="error-message"' in page  # a download: the error page
    assert all(f"{field}:" in page for field in fields), query
    status, page = await supervisor.get(f"/statistics?{query}")
    assert status == 422 and 'id="statistics-form"' in page and 'id="error-form"' in page
    assert set(re.findall(r'<span class="error" id="error-(\w+)">', page)) == fields
    assert 'id="statistics-period"' not in page and 'id="table-' not in page, query


def field(page: str, name: str) -> str:
    """The form's input, or its select's chosen option, with the error beside it if any."""
    found = re.search(rf'<input id="st-{name}"[^>]*>(<span class="error"[^<]*</span>)?', page)
    if found is None:
        found = re.search(rf'<select id="st-{name}".*?</select>(<span class="error"[^<]*'
                          r'</span>)?', page, re.S)
        assert found is not None, name
        chosen = re.findall(r"<option [^>]*selected>[^<]*</option>", found.group(0))
        return "".join(chosen) + (found.group(1) or "")
    return found.group(0)


async def test_the_dates_of_a_range_are_used_whatever_the_period_says(web: WebApp) -> None:
    async with connect(web.dsn) as con:
        await fx.load(con)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(
        "/statistics?period=month&date=2024-05-01&since=2024-03-12&until=2024-03-12"
        "&tz=America/New_York")
    assert status == 200
    assert "Day 2024-03-12, days as in America/New_York" in page
    assert re.search(r'id="statistics-range-used">The dates in Range from and to were used, '
                     r"not the month chosen in Period", page)
    assert field(page, "period") == '<option value="range" selected>Dates between</option>'
    assert 'value="2024-03-12"' in field(page, "since")
    assert 'value="2024-03-12"' in field(page, "until") and 'value=""' in field(page, "date")
    footer = re.search(r'id="table-line".*?<tfoot>(.*?)</tfoot>', page, re.S)
    assert footer is not None and re.findall(r"<td>([^<]*)</td>", footer.group(1))[0] == "10"
    status, plain = await supervisor.get("/statistics?period=range&since=2024-03-12"
                                         "&until=2024-03-12")
    assert status == 200 and 'id="statistics-range-used"' not in plain


async def test_a_reversed_range_is_refused_in_the_form_with_what_was_typed(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(
        "/statistics?period=month&date=2026-12-01&since=2026-12-01&until=2025-01-01&line=")
    assert status == 422
    assert "<nav>" in page and 'id="statistics-form"' in page
    assert 'value="2026-12-01"' in field(page, "since") and 'class="error"' not in field(
        page, "since")
    assert re.search(r'value="2025-01-01"><span class="error" id="error-until">until: The '
                     r"last day comes before the first.</span>", field(page, "until"))
    assert 'value="2026-12-01"' in field(page, "date")
    assert field(page, "period") == '<option value="month" selected>Month</option>'
    assert "No figures shown: check the fields marked above." in page
    assert 'id="table-' not in page and 'id="statistics-period"' not in page


async def test_an_impossible_day_is_refused_on_the_page(web: WebApp) -> None:
    async with connect(web.dsn) as con:
        await fx.load(con)
        facility = await con.fetchval("SELECT min(id) FROM facilities")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(
        f"/statistics?date=2026-02-30&threshold=45&facility={facility}&tz=UTC")
    assert status == 422 and "<nav>" in page
    assert re.search(r'value="2026-02-30"><span class="error" id="error-date">date: Give a '
                     r"date as YYYY-MM-DD.</span>", field(page, "date"))
    assert 'value="45"' in field(page, "threshold")
    assert field(page, "tz") == '<option value="UTC" selected>UTC</option>'
    assert field(page, "facility").startswith(f'<option value="{facility}" selected>')
    assert field(page, "period") == '<option value="month" selected>Month</option>'
    assert 'id="table-' not in page


async def test_an_unknown_table_is_not_found(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    assert (await supervisor.get("/statistics/people.csv"))[0] == 404


def rows_of(text: str) -> dict[str, dict[str, str]]:
    """A CSV's rows by their first cell."""
    return {row[next(iter(row))]: row for row in csv.DictReader(io.StringIO(text))}


async def test_the_day_counted_by_hand_on_the_page_and_in_each_csv(web: WebApp) -> None:
    async with connect(web.dsn) as con:
        await fx.load(con)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/statistics?{DAY}")
    assert status == 200
    assert "Day 2024-03-12, days as in America/New_York" in page
    assert "<script" not in page and 'role="img"' in page
    assert '<title id="chart-trend-title">Calls over the period</title>' in page
    assert 'href="/statistics/facility.csv?period=day&amp;date=2024-03-12' in page
    footer = re.search(r'id="table-line".*?<tfoot>(.*?)</tfoot>', page, re.S)
    assert footer is not None
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", footer.group(1))
    assert cells[:9] == ["Total", "10", "4", "1", "1", "0", "2", "1", "1"]  # 0: no message
    assert cells[9:12] == ["0:28", "5:20", "10:00"]  # 27.5 s, 320 s, 600 s
    assert cells[12] == "50.0%"

    by_facility = rows_of((await supervisor.get(f"/statistics/facility.csv?{DAY}"))[1])
    assert by_facility["Demo County Processing Center"]["Received"] == "6"
    assert by_facility["Example Valley ICE Processing Center"]["Wait median"] == "302.5"
    assert by_facility["No facility"]["Other"] == "1"
    assert by_facility["Total"]["Service level"] == "0.5000"
    by_language = rows_of((await supervisor.get(f"/statistics/language.csv?{DAY}"))[1])
    assert by_language["Spanish"]["Wait 90th percentile"] == "488.0"
    assert by_language["Not chosen"]["Abandoned in IVR"] == "2"
    hours = rows_of((await supervisor.get(f"/statistics/trend.csv?{DAY}"))[1])
    assert len(hours) == 24 and hours["10:00"]["Received"] == "3"
    assert hours["23:00"]["Abandoned in IVR"] == "1"
    operators = rows_of((await supervisor.get(f"/statistics/operators.csv?{DAY}"))[1])
    assert operators["Demo Operator"] == {
        "Operator": "Demo Operator", "Calls answered": "2", "Logged in": "32400.0",
        "Talking": "420.0", "Wrap-up": "60.0", "Paused": "6300.0"}
    assert operators["Second Operator"]["Logged in"] == "85245.0"
    pauses = list(csv.reader(io.StringIO(
        (await supervisor.get(f"/statistics/pauses.csv?{DAY}"))[1])))
    assert pauses[1:] == [["Demo Operator", "lunch", "2700.0"],
                          ["Demo Operator", "training", "3600.0"],
                          ["Second Operator", "break", "1800.0"]]


async def test_a_filtered_page_says_operators_time_is_the_whole_hotlines(web: WebApp) -> None:
    async with connect(web.dsn) as con:
        await fx.load(con)
        first = {name: await con.fetchval(f"SELECT min(id) FROM {table}")
                 for name, table in (("facility", "facilities"), ("line", "lines"),
                                     ("queue", "queues"))}
    supervisor = await web.signed_in("supervisor1")
    _, whole = await supervisor.get(f"/statistics?{DAY}")
    assert 'id="note-operators"' not in whole
    for name, value in first.items():
        status, page = await supervisor.get(f"/statistics?{DAY}&{name}={value}")
        assert status == 200, name
        assert 'id="note-operators"' in page and 'id="note-pauses"' in page, name
        assert 'id="note-facility"' not in page


async def test_a_supervisor_opens_the_statistics_and_downloads_a_csv(
    web: WebApp, browsing: Browsing
) -> None:
    async with connect(web.dsn) as con:
        await fx.load(con)
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"])
    await page.click("nav >> text=Statistics")
    await expect(page.locator("#st-period")).to_have_value("month")
    await page.fill("#st-since", "2024-03-11")  # the Period select left on Month
    await page.fill("#st-until", "2024-03-12")
    await page.click("#statistics-form button[type=submit]")
    await expect(page.locator("#statistics-period")).to_contain_text(
        "Dates between 2024-03-11 and 2024-03-12")
    await expect(page.locator("#st-period option:checked")).to_have_text("Dates between")
    await expect(page.locator("#table-line tfoot th")).to_have_text("Total")
    await expect(page.locator("#table-line tfoot td").first).to_have_text("11")
    await expect(page.locator("#chart-facility")).to_be_visible()
    async with page.expect_download() as downloading:
        await page.click("#table-facility a.csv")
    download = await downloading.value
    assert download.suggested_filename == "statistics-facility-2024-03-11-2024-03-12.csv"
    path = await download.path()
    found = rows_of(path.read_text(encoding="utf-8"))
    assert found["Total"]["Received"] == "11"
    assert found["Demo County Processing Center"]["Answered"] == "4"  # call 11 too
    browsing.check_clean()


async def test_the_queue_view_shows_todays_answered_abandoned_and_service_level(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    async with connect(web.dsn) as con:
        queue_id = await con.fetchval("SELECT id FROM queues ORDER BY id LIMIT 1")
        for kind, wait, connected in (("connected", 12.0, True), ("connected", 45.0, True),
                                      ("abandoned", 20.0, False)):
            call_id = uuid.uuid4()
            await con.execute(
                """INSERT INTO calls (id, channel_id, channel_name, did, caller_number,
                       caller_name, started_at, queued_at, queue_id, connected_at, ended_at,
                       disposition, wait_seconds)
                   VALUES ($1, 'c', 'c', '1', '', '', now(), now(), $2,
                           CASE WHEN $3 THEN now() END, now(),
                           CASE WHEN $3 THEN 'answered' ELSE 'abandoned' END, $4)""",
                call_id, queue_id, connected, wait)
            await con.execute(
                """INSERT INTO queue_events (at, kind, queue_id, call_id, wait_seconds)
                   VALUES (now(), $1, $2, $3, $4)""", kind, queue_id, call_id, wait)
    supervisor = await web.signed_in("supervisor1")
    status, text = await supervisor.get("/supervisor/queues.json", headers=JSON)
    assert status == 200
    today = {q["queue_id"]: q["today"] for q in json.loads(text)["queues"]}[queue_id]
    assert today == {"received": 3, "answered": 2, "abandoned": 1, "voicemail": 0,
                     "no_message": 0, "service_level": pytest.approx(1 / 3), "threshold": 30,
                     "zone": "America/New_York"}
