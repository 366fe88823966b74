"""The evidence pages over HTTP against the running app: who may use each route, the figures
of tests/evidence_fixture.py (counted by hand) on the heat map, the facility's profile and
the printable report, excerpt release (refused without consent or with an identifier in
it), what each read and write audits, and refusals that name the field."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from html.parser import HTMLParser

import pytest
from aiohttp.web import RouteDef
from playwright.async_api import expect

from lifeline_pbx.crypto import place
from lifeline_pbx.evidence import excerpt_views, heatmap
from lifeline_pbx.evidence import views as evidence_views
from lifeline_pbx.evidence.months import month_label
from lifeline_pbx.resources import KEY_RING
from lifeline_pbx.retention import work as retention_work
from tests import evidence_fixture as fx
from tests.browser import Browsing
from tests.pg_fixtures import connect
from tests.web_fixtures import PASSWORDS, WebApp

JSON = {"Accept": "application/json"}
REPORT = uuid.UUID("00000000-0000-4000-8000-00000000e001")
ROLES = ("operator1", "supervisor1", "admin1")
# (method, path, status for operator, supervisor, admin). The facility is the demo's first
# (id 1); the report is one without consent, so a release is refused (422), and without an
# excerpt, so a withdrawal is a conflict (409): nothing changes for any role.
ROUTES = [
    ("GET", "/evidence", 403, 200, 200),
    ("GET", "/evidence/summary", 403, 200, 200),
    ("GET", "/evidence/summary/print", 403, 200, 200),
    ("GET", "/evidence/facilities/1", 403, 200, 200),
    ("GET", "/evidence/facilities/1/report", 403, 200, 200),
    ("GET", "/evidence/facilities/1/report/print", 403, 200, 200),
    ("GET", f"/reports/{REPORT}/excerpt", 403, 200, 200),
    ("POST", f"/reports/{REPORT}/excerpt", 403, 422, 422),
    ("POST", f"/reports/{REPORT}/excerpt/withdraw", 403, 409, 409),
]


def test_the_table_names_every_route_added() -> None:
    added = [(r.method, r.path) for r in (*evidence_views.routes(), *excerpt_views.routes())
             if isinstance(r, RouteDef)]
    assert sorted(added) == sorted(
        (method, path.replace(str(REPORT), "{id}").replace(
            "/facilities/1", "/facilities/" + evidence_views.FACILITY))
        for method, path, *_ in ROUTES)


async def add_report(web: WebApp) -> None:
    sealed = web.app[KEY_RING].seal("Meals were spoiled.", place("reports", "narrative", REPORT))
    async with connect(web.dsn) as con:
        await con.execute(
            """INSERT INTO reports (id, facility_id, category, severity, affected, narrative,
                                    created_by)
               VALUES ($1, 1, 'food_water', 'low', 'group', $2,
                       (SELECT min(id) FROM users))""", REPORT, sealed)


async def changes(web: WebApp) -> list[tuple[object, ...]]:
    excerpts = await web.sql("SELECT * FROM report_excerpts")
    audit = await web.sql("""SELECT action, entity FROM audit_log
                             WHERE action IN ('create', 'update', 'delete')""")
    return [*map(tuple, excerpts), *map(tuple, audit)]


@pytest.mark.parametrize("role", range(3), ids=ROLES)
async def test_who_may_use_each_route(web: WebApp, role: int) -> None:
    await add_report(web)
    client = await web.signed_in(ROLES[role])
    before = await changes(web)
    for method, path, *statuses in ROUTES:
        if method == "GET":
            status, _ = await client.get(path)
        else:
            status, _ = await client.post(path, {"excerpt": "Meals were spoiled."})
        assert status == statuses[role], (ROLES[role], method, path, status)
        if role == 0:
            assert (await client.get(path, headers=JSON) if method == "GET"
                    else await client.post(path, {}))[0] == 403
    assert await changes(web) == before
    anonymous = await web.client()
    for method, path, *_ in ROUTES:
        if method == "GET":
            assert (await anonymous.get(path, headers=JSON))[0] == 401, path


class Tables(HTMLParser):
    """Each table's rows (by the table's id) as lists of (cell text, its class)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell, self._class = [], found.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append(("".join(self._cell).strip(), self._class))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def heat_rows(page: str) -> dict[str, tuple[list[tuple[int, str | None]], int]]:
    """The heat table's rows: label -> ([(count, highest severity) per month], total)."""
    parser = Tables()
    parser.feed(page)
    rows = parser.tables["heat-table"][1:-1]  # without the head and the totals
    letters = {"L": "low", "M": "medium", "H": "high", "C": "critical"}
    found = {}
    for label, *cells, (total, _) in rows:
        months = []
        for text, _ in cells:
            count, _, letter = text.partition(" ")
            months.append((int(count or 0), letters.get(letter)))
        found[label[0]] = (months, int(total[0].split()[0]))
    return found


def shades(page: str) -> list[str]:
    parser = Tables()
    parser.feed(page)
    return [cls for row in parser.tables["heat-table"][1:-1] for _, cls in row[1:-1]]


async def loaded(web: WebApp) -> fx.Loaded:
    async with connect(web.dsn) as con:
        return await fx.load(con, web.app[KEY_RING])


async def test_the_heat_map_counts_by_hand(web: WebApp) -> None:
    fixture = await loaded(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}")
    assert status == 200
    assert heat_rows(page) == fx.EXPECTED_BY_FACILITY
    assert shades(page) == ["heat-5", "heat-5", "heat-3", "heat-3", "heat-3", "heat-5"]
    assert '<td id="heat-total">9</td>' in page
    assert "<script" not in page
    assert '<title id="chart-trend-title">Reports by month</title>' in page
    assert (f'href="/evidence/facilities/{fixture.facility_a}?from=2024-01&amp;to=2024-03"'
            in page)

    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}&rows=category")
    assert heat_rows(page) == fx.EXPECTED_BY_CATEGORY
    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}&severity=high")
    assert heat_rows(page) == fx.EXPECTED_HIGH_BY_FACILITY
    status, page = await supervisor.get(f"/evidence?{fx.PERIOD}&category=use_of_force"
                                        "&rows=facility_category")
    assert heat_rows(page) == {
        f"{fx.FACILITY_A} · {fx.FORCE}": ([(0, None), (1, "medium"), (1, "high")], 2),
        f"{fx.FACILITY_B} · {fx.FORCE}": ([(0, None), (0, None), (2, "critical")], 2)}
    status, page = await supervisor.get(  # one facility: rows are categories
        f"/evidence?{fx.PERIOD}&facility={fixture.facility_a}")
    assert heat_rows(page) == {
        fx.MEDICAL: ([(2, "critical"), (1, "low"), (0, None)], 3),
        fx.FORCE: ([(0, None), (1, "medium"), (1, "high")], 2)}
    status, page = await supervisor.get("/evidence?from=2023-12&to=2023-12")
    assert heat_rows(page) == {fx.FACILITY_A: ([(1, "medium")], 1)}


async def test_facility_and_category_pairs_come_a_page_at_a_time_most_reports_first(
        web: WebApp, monkeypatch: pytest.MonkeyPatch) -> None:
    await loaded(web)
    monkeypatch.setattr(heatmap, "PAGE_ROWS", 3)
    supervisor = await web.signed_in("supervisor1")
    pairs = f"/evidence?{fx.PERIOD}&rows=facility_category"
    status, first = await supervisor.get(pairs)
    assert status == 200
    assert list(heat_rows(first)) == [f"{fx.FACILITY_A} · {fx.MEDICAL}",  # 3 reports
                                      f"{fx.FACILITY_A} · {fx.FORCE}",  # then 2 each, by name
                                      f"{fx.FACILITY_B} · {fx.MEDICAL}"]
    assert "Pairs 1 to 3 of 4, most reports first" in first
    assert f'href="/evidence?{fx.PERIOD.replace("&", "&amp;")}&amp;rows=facility_category' \
        '&amp;page=2" rel="next"' in first and 'rel="prev"' not in first
    for number in (2, 9):  # a page past the last is the last
        status, second = await supervisor.get(f"{pairs}&page={number}")
        assert heat_rows(second) == {
            f"{fx.FACILITY_B} · {fx.FORCE}": ([(0, None), (0, None), (2, "critical")], 2)}
        assert "Pairs 4 to 4 of 4" in second and 'rel="next"' not in second
        assert 'rel="prev"' in second
    for shown in (first, second):  # the totals are of every pair, on every page
        assert '<td id="heat-total">9</td>' in shown


BAD = [
    ("from=2024-13", {"from"}),
    ("from=2024-04&to=2024-03", {"to"}),
    ("facility=999999", {"facility"}),
    ("facility=first", {"facility"}),
    ("category=weather", {"category"}),
    ("severity=urgent", {"severity"}),
    ("rows=people", {"rows"}),
    ("rows=facility_category&page=two", {"page"}),
]


@pytest.mark.parametrize(("query", "fields"), BAD)
async def test_bad_filters_are_refused_naming_the_field(web: WebApp, query: str,
                                                        fields: set[str]) -> None:
    supervisor = await web.signed_in("supervisor1")
    status, text = await supervisor.get(f"/evidence?{query}", headers=JSON)
    assert status == 422, text
    assert set(json.loads(text)["errors"]) == fields
    status, page = await supervisor.get(f"/evidence?{query}")
    assert status == 422 and 'id="error-message"' in page


async def test_unknown_facilities_and_reports_are_not_found(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    for path in ("/evidence/facilities/999999", "/evidence/facilities/999999/report",
                 "/evidence/facilities/999999/report/print", f"/reports/{uuid.uuid4()}/excerpt",
                 "/reports/not-a-uuid/excerpt"):
        assert (await supervisor.get(path))[0] == 404, path
    assert (await supervisor.get("/evidence/facilities/1/report?from=2024-1"))[0] == 422
    status, text = await supervisor.get(
        "/evidence/facilities/1/report/print?excerpt=not-a-report", headers=JSON)
    assert status == 422 and set(json.loads(text)["errors"]) == {"excerpt"}


async def test_the_facility_profile_counts_by_hand(web: WebApp) -> None:
    fixture = await loaded(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence/facilities/{fixture.facility_a}?{fx.PERIOD}")
    assert status == 200
    assert f'<h1 id="facility-name">{fx.FACILITY_A}</h1>' in page
    assert '<dd id="facility-contractor">Demo Corrections Inc.</dd>' in page
    assert '<dd id="facility-location">Lumpkin, GA</dd>' in page
    assert '<dd id="facility-zone">America/New_York</dd>' in page
    parser = Tables()
    parser.feed(page)
    calls, reports = parser.tables["table-0"][1:]
    assert [int(t) for t, _ in calls[1:]] == fx.EXPECTED_CALLS_A
    assert [int(t) for t, _ in reports[1:]] == fx.EXPECTED_REPORTS_A
    assert heat_rows(page) == {fx.MEDICAL: ([(2, "critical"), (1, "low"), (0, None)], 3),
                               fx.FORCE: ([(0, None), (1, "medium"), (1, "high")], 2)}
    assert 'id="chart-facility-months"' in page and 'id="chart-categories"' in page
    assert '<span id="follow-ups-open">2</span>' in page
    assert len(re.findall(r'<a href="/follow-ups/[0-9a-f-]{36}">', page)) == 2
    assert "No excerpt of this facility's reports is released." in page
    # Facility B is in Los Angeles: b1 (05:30 UTC on Feb 1) is January's there.
    status, page = await supervisor.get(
        f"/evidence/facilities/{fixture.facility_b}?from=2024-01&to=2024-01")
    assert heat_rows(page) == {fx.MEDICAL: ([(1, "medium")], 1)}


async def audit_of(web: WebApp, report_id: uuid.UUID) -> list[tuple[str, list[str]]]:
    return [(r["action"], list(r["fields"])) for r in await web.sql(
        "SELECT action, fields FROM audit_log WHERE entity = 'report' AND entity_id = $1 "
        "ORDER BY id", str(report_id))]


async def test_an_excerpt_is_released_changed_printed_and_withdrawn(web: WebApp) -> None:
    fixture = await loaded(web)
    a1, a2 = fixture.reports["a1"], fixture.reports["a2"]
    supervisor = await web.signed_in("supervisor1")

    # Without consent: refused, the form says why, nothing saved.
    status, page = await supervisor.get(f"/reports/{a2}/excerpt")
    assert status == 200 and 'id="excerpt-release" disabled' in page
    status, page = await supervisor.post(f"/reports/{a2}/excerpt", {"excerpt": fx.EXCERPT})
    assert status == 422 and "No consent to share this report was recorded" in page
    assert fx.EXCERPT in page  # what was typed is kept
    status, text = await supervisor.post(f"/reports/{a2}/excerpt", {"excerpt": fx.EXCERPT},
                                         headers=JSON)
    assert status == 422 and "_form" in json.loads(text)["errors"]

    # With an identifier: refused naming what to take out (never echoing the person).
    status, page = await supervisor.get(f"/reports/{a1}/excerpt")
    assert status == 200 and fx.NARRATIVE.replace("'", "&#39;") in page
    status, page = await supervisor.post(
        f"/reports/{a1}/excerpt", {"excerpt": "Maria in B-12 was refused insulin."})
    assert status == 422
    assert ("the excerpt holds the housing unit, the person&#39;s name." in page)
    assert await web.sql("SELECT 1 FROM report_excerpts") == []

    # Released, sealed like the narrative.
    status, _ = await supervisor.post(f"/reports/{a1}/excerpt", {"excerpt": fx.EXCERPT})
    assert status == 303 and supervisor.last["location"] == f"/reports/{a1}/excerpt?done=released"
    sealed = bytes((await web.sql("SELECT excerpt FROM report_excerpts"))[0]["excerpt"])
    assert fx.EXCERPT.encode() not in sealed
    keys = web.app[KEY_RING]
    assert keys.open(sealed, place("report_excerpts", "excerpt", a1)) == fx.EXCERPT

    # On the profile, on the pick form (a2 has none), on the printable report.
    status, page = await supervisor.get(f"/evidence/facilities/{fixture.facility_a}?{fx.PERIOD}")
    assert fx.EXCERPT in page and "January 2024" in page
    status, page = await supervisor.get(
        f"/evidence/facilities/{fixture.facility_a}/report?{fx.PERIOD}")
    assert status == 200 and f'value="{a1}" id="pick-{a1}">' in page
    status, page = await supervisor.get(
        f"/evidence/facilities/{fixture.facility_a}/report/print?{fx.PERIOD}&excerpt={a1}")
    assert status == 200
    assert fx.EXCERPT in page and "Medical neglect or denial of care, January 2024" in page
    assert heat_rows(page) == {fx.MEDICAL: ([(2, "critical"), (1, "low"), (0, None)], 3),
                               fx.FORCE: ([(0, None), (1, "medium"), (1, "high")], 2)}
    assert_no_identifiers(page)
    # Another facility's report, or a period that leaves it out, is refused.
    for path in (f"/evidence/facilities/{fixture.facility_b}/report/print?{fx.PERIOD}"
                 f"&excerpt={a1}",
                 f"/evidence/facilities/{fixture.facility_a}/report/print?from=2024-02"
                 f"&to=2024-03&excerpt={a1}"):
        assert (await supervisor.get(path))[0] == 422, path

    # Changed, then consent withdrawn: kept, but no longer printable.
    status, _ = await supervisor.post(f"/reports/{a1}/excerpt",
                                      {"excerpt": "Refused insulin for three days."})
    assert status == 303
    await web.sql("DELETE FROM report_consents WHERE report_id = $1", a1)
    status, page = await supervisor.get(
        f"/evidence/facilities/{fixture.facility_a}/report?{fx.PERIOD}")
    assert "(not printable: consent withdrawn)" in page and f'id="pick-{a1}" disabled' in page
    status, _ = await supervisor.get(
        f"/evidence/facilities/{fixture.facility_a}/report/print?{fx.PERIOD}&excerpt={a1}")
    assert status == 422
    status, _ = await supervisor.post(f"/reports/{a1}/excerpt/withdraw")
    assert status == 303 and await web.sql("SELECT 1 FROM report_excerpts") == []
    assert (await supervisor.post(f"/reports/{a1}/excerpt/withdraw"))[0] == 409

    # Every read and write of the excerpt audited on the report: fields, never the text.
    assert await audit_of(web, a1) == [
        ("view", ["narrative"]),  # the form
        ("view", ["narrative"]),  # the refused release, shown again
        ("create", ["excerpt"]),
        ("view", ["excerpt"]),  # the profile
        ("view", ["excerpt"]),  # the pick form
        ("export", ["excerpt"]),  # the printable report
        ("update", ["excerpt"]),
        ("view", ["excerpt"]),  # the pick form again
        ("delete", ["excerpt"]),
    ]
    facility_exports = await web.sql(
        "SELECT fields FROM audit_log WHERE entity = 'facility' AND action = 'export'")
    assert [list(r["fields"]) for r in facility_exports] == [["reports_by_category_month"]]
    assert fx.EXCERPT not in json.dumps([list(map(str, r)) for r in await web.sql(
        "SELECT * FROM audit_log")])


def assert_no_identifiers(page: str) -> None:
    text = re.sub(r"<[^>]+>", " ", page)
    for identifier in (*fx.NAMES, "Maria", fx.A_NUMBER, fx.HOUSING_UNIT, "555-010-4477"):
        assert identifier not in text, identifier
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", text)
    assert not re.search(r"\b\d{1,2}:\d{2}\b", text)  # no times either


async def test_a_coordinator_releases_an_excerpt_picks_it_and_prints_the_report(
    web: WebApp, browsing: Browsing
) -> None:
    fixture = await loaded(web)
    a1 = fixture.reports["a1"]
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    f"/reports/{a1}")
    await page.click("#report-excerpt-link")
    await expect(page.locator("#excerpt-narrative")).to_contain_text("asked for insulin")
    await page.fill("#excerpt-text", fx.EXCERPT)
    await page.click("#excerpt-release")
    await expect(page.locator("#excerpt-notice")).to_contain_text("The excerpt is released")

    await page.click("nav >> text=Evidence")
    await page.fill("#ev-from", "2024-01")
    await page.fill("#ev-to", "2024-03")
    await page.click("#evidence-form button[type=submit]")
    await expect(page.locator("#heat-total")).to_have_text("9")
    await expect(page.locator("#chart-trend")).to_be_visible()
    await page.click(f"#heat-table >> text={fx.FACILITY_A}")
    await expect(page.locator("#follow-ups-open")).to_have_text("2")
    await expect(page.locator("#facility-excerpts")).to_contain_text(fx.EXCERPT)
    await page.click("#facility-report-link")
    await page.check(f"#pick-{a1}")
    await page.click("#pick-print")

    await expect(page.locator("#print-period")).to_contain_text(
        "Reports recorded Jan 2024 to Mar 2024")
    await expect(page.locator("#print-exact")).to_contain_text(
        "Counts are exact, small ones included")
    await expect(page.locator("#print-excerpt-1")).to_contain_text(fx.EXCERPT)
    await expect(page.locator("#print-excerpt-1 h3")).to_have_text(
        "Medical neglect or denial of care, January 2024")
    await expect(page.locator("#heat-table tfoot td").last).to_have_text("5")
    assert_no_identifiers(await page.content())
    await page.emulate_media(media="print")
    await expect(page.locator(".screen-only")).to_be_hidden()
    await expect(page.locator("#chart-print-trend")).to_be_visible()
    browsing.check_clean()


async def test_retention_deletes_the_excerpt_and_none_is_released_after(web: WebApp) -> None:
    fixture = await loaded(web)
    a1 = fixture.reports["a1"]
    supervisor = await web.signed_in("supervisor1")
    assert (await supervisor.post(f"/reports/{a1}/excerpt", {"excerpt": fx.EXCERPT}))[0] == 303
    await web.sql("UPDATE retention_settings SET narratives_days = 365")
    async with connect(web.dsn) as con:
        removed = await retention_work.run(con, "command")
    assert removed is not None and removed.excerpts == 1 and removed.narratives == 10
    assert await web.sql("SELECT 1 FROM report_excerpts") == []
    assert [r["excerpts"] for r in await web.sql("SELECT excerpts FROM retention_runs")] == [1]
    status, page = await supervisor.get(f"/reports/{a1}/excerpt")
    assert status == 200 and 'id="excerpt-refused"' in page
    assert 'id="excerpt-release" disabled' in page
    status, page = await supervisor.post(f"/reports/{a1}/excerpt", {"excerpt": fx.EXCERPT})
    assert status == 422 and "The narrative was removed after the retention period" in page
    assert await web.sql("SELECT 1 FROM report_excerpts") == []


async def test_a_wide_heat_map_opens_on_its_latest_month(web: WebApp,
                                                        browsing: Browsing) -> None:
    await add_report(web)  # this month's
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    "/evidence")
    await page.set_viewport_size({"width": 900, "height": 800})  # a small laptop's window
    await page.reload()
    heads = page.locator("#heat-table thead th")
    latest = heads.nth(await heads.count() - 2)  # the last month's, before "Total"
    last_month = dt.date.fromisoformat(await page.input_value("#ev-to") + "-01")
    await expect(latest).to_have_text(month_label(last_month))
    box = page.locator("#evidence-heat .scroll")
    assert await box.evaluate("b => b.scrollWidth > b.clientWidth")  # it does not fit
    await page.locator("#evidence-heat").scroll_into_view_if_needed()  # down the page
    # the month, its total, the rows' names, and the key under the table: all in view (the
    # names' column sticks 1px past the box's edge, over the border of the months under it)
    for shown in (latest, heads.last, heads.first, page.locator("#heat-key")):
        await expect(shown).to_be_in_viewport(ratio=0.95)

    # only a heat map opens on its end: the facility's month table reads left to right,
    # "Month" first, in view
    await page.goto(f"{web.base_url}/evidence/facilities/1")
    months = page.locator("#facility-months table thead th")
    first, last = await months.first.bounding_box(), await months.last.bounding_box()
    assert first and last and first["x"] < last["x"]
    await expect(months.first).to_have_text("Month")
    await page.locator("#facility-months").scroll_into_view_if_needed()
    await expect(months.first).to_be_in_viewport(ratio=0.95)
    browsing.check_clean()
