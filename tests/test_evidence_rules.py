"""The evidence pages' decisions, without a database: months, filters, the heat map's cells,
shading and severity, the trend lines, and what an excerpt may hold and where it may print."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence import charts, heat_html, heatmap, months, printing
from lifeline_pbx.evidence.heatmap import Cell, Count
from lifeline_pbx.evidence.months import Months

D = dt.date
TODAY = D(2024, 5, 17)


@pytest.mark.parametrize(("query", "first", "last"), [
    ({}, D(2023, 6, 1), D(2024, 5, 1)),  # the twelve months up to this one
    ({"to": "2024-03"}, D(2023, 4, 1), D(2024, 3, 1)),
    ({"from": "2024-01", "to": "2024-03"}, D(2024, 1, 1), D(2024, 3, 1)),
    ({"from": "2024-02", "to": "2024-02"}, D(2024, 2, 1), D(2024, 2, 1)),
    ({"from": "2015-01", "to": "2024-12"}, D(2015, 1, 1), D(2024, 12, 1)),  # 120 months
    ({"from": "2023-11", "to": ""}, D(2023, 11, 1), D(2024, 5, 1)),
])
def test_periods_of_months(query: dict[str, str], first: dt.date, last: dt.date) -> None:
    assert months.parse(query, TODAY) == Months(first, last)


@pytest.mark.parametrize(("query", "fields"), [
    ({"from": "2024-13"}, {"from"}),
    ({"from": "2024-1"}, {"from"}),
    ({"from": "2024-01-05"}, {"from"}),
    ({"to": "March"}, {"to"}),
    ({"from": "x", "to": "y"}, {"from", "to"}),
    ({"from": "2024-04", "to": "2024-03"}, {"to"}),
    ({"from": "2014-12", "to": "2024-12"}, {"to"}),  # 121 months
])
def test_bad_months_are_refused_naming_the_field(query: dict[str, str],
                                                 fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        months.parse(query, TODAY)
    assert set(refused.value.errors) == fields


def test_a_period_knows_its_months_labels_and_instants() -> None:
    period = Months(D(2023, 11, 1), D(2024, 2, 1))
    assert period.all == [D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1), D(2024, 2, 1)]
    assert period.after == D(2024, 3, 1)
    assert period.label == "Nov 2023 to Feb 2024" and period.query == "from=2023-11&to=2024-02"
    assert period.start("America/Los_Angeles") == dt.datetime(2023, 11, 1, 7, tzinfo=dt.UTC)
    assert period.end("America/New_York") == dt.datetime(2024, 3, 1, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(("count", "top", "level"), [
    (0, 0, 0), (0, 10, 0), (1, 1, 5), (1, 2, 3), (2, 2, 5), (1, 10, 1), (2, 10, 1),
    (3, 10, 2), (5, 10, 3), (8, 10, 4), (9, 10, 5), (10, 10, 5), (1, 1000, 1),
    (-1, 5, 0), (3, 0, 0),
])
def test_shading_steps(count: int, top: int, level: int) -> None:
    assert heatmap.shade(count, top) == level


@pytest.mark.parametrize(("minimum", "admitted"), [
    (None, ("low", "medium", "high", "critical")),
    ("low", ("low", "medium", "high", "critical")),
    ("medium", ("medium", "high", "critical")),
    ("high", ("high", "critical")),
    ("critical", ("critical",)),
])
def test_a_minimum_severity_admits_it_and_those_above(minimum: str | None,
                                                      admitted: tuple[str, ...]) -> None:
    assert heatmap.at_least(minimum) == admitted


PERIOD = Months(D(2024, 1, 1), D(2024, 3, 1))


@pytest.mark.parametrize(("query", "expected"), [
    ({}, heatmap.Filters(PERIOD)),
    ({"facility": "7"}, heatmap.Filters(PERIOD, facility_id=7, rows="category")),
    ({"facility": "7", "rows": "facility_category"},
     heatmap.Filters(PERIOD, facility_id=7, rows="facility_category")),
    ({"category": "use_of_force", "severity": "high"},
     heatmap.Filters(PERIOD, category="use_of_force", min_severity="high")),
    ({"rows": "facility_category", "page": "3"},
     heatmap.Filters(PERIOD, rows="facility_category", page=3)),
])
def test_heat_map_filters(query: dict[str, str], expected: heatmap.Filters) -> None:
    assert heatmap.parse(query, PERIOD) == expected


@pytest.mark.parametrize(("query", "fields"), [
    ({"facility": "seven"}, {"facility"}),
    ({"facility": "-1"}, {"facility"}),
    ({"severity": "urgent"}, {"severity"}),
    ({"rows": "person"}, {"rows"}),
    ({"page": "first"}, {"page"}),
    ({"page": "-2"}, {"page"}),
    ({"facility": "x", "severity": "x", "rows": "x"}, {"facility", "severity", "rows"}),
])
def test_bad_heat_map_filters_are_refused_naming_the_field(query: dict[str, str],
                                                           fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        heatmap.parse(query, PERIOD)
    assert set(refused.value.errors) == fields


YEAR = Months(D(2023, 4, 1), D(2024, 3, 1))
LONGER = Months(D(2023, 3, 1), D(2024, 3, 1))


@pytest.mark.parametrize(("query", "period", "allowed"), [
    ({"rows": "facility_category"}, YEAR, True),
    ({"rows": "facility_category"}, LONGER, False),
    ({"rows": "facility_category", "facility": "3"}, LONGER, True),
    ({"rows": "facility_category", "category": "food_water"}, LONGER, True),
    ({"rows": "facility"}, LONGER, True),
    ({"rows": "category"}, LONGER, True),
])
def test_every_facility_by_every_category_is_shown_for_a_year_at_most(
    query: dict[str, str], period: Months, allowed: bool
) -> None:
    if allowed:
        assert heatmap.parse(query, period).rows == query["rows"]
    else:
        with pytest.raises(Invalid) as refused:
            heatmap.parse(query, period)
        assert set(refused.value.errors) == {"rows"}


JAN, FEB, MAR = D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)


def test_the_grid_adds_shades_and_keeps_the_highest_severity() -> None:
    counts = [
        Count(2, None, JAN, 1, 2), Count(2, None, MAR, 4, 3),
        Count(1, None, FEB, 2, 1), Count(1, None, FEB, 1, 4),  # the same cell twice: added
        Count(1, None, D(2023, 12, 1), 9, 4),  # outside the period: left out
    ]
    heat = heatmap.build(counts, PERIOD, {1: "Alpha", 2: "Beta"}, {})
    assert heat.labels == ["Jan 2024", "Feb 2024", "Mar 2024"]
    assert [r.label for r in heat.rows] == ["Alpha", "Beta"]  # by name
    alpha, beta = heat.rows
    assert alpha.cells == (Cell(), Cell(3, "critical", 4), Cell())
    assert alpha.total == Cell(3, "critical")
    assert beta.cells == (Cell(1, "medium", 2), Cell(), Cell(4, "high", 5))
    assert heat.totals == (Cell(1, "medium"), Cell(3, "critical"), Cell(4, "high"))
    assert heat.total == Cell(8, "critical")
    assert alpha.cells[1].title == "3 reports, highest critical"
    assert beta.cells[0].title == "1 report, highest medium" and Cell().title == "no reports"


def test_rows_of_facility_and_category_are_labelled_with_both() -> None:
    counts = [Count(1, "force", JAN, 1, 1), Count(1, "food", JAN, 2, 1),
              Count(9, "food", FEB, 1, 1)]
    heat = heatmap.build(counts, PERIOD, {1: "Alpha"}, {"food": "Food and water",
                                                        "force": "Use of force"})
    assert [r.label for r in heat.rows] == ["Alpha · Food and water", "Alpha · Use of force",
                                            "Facility 9 · Food and water"]


def test_an_empty_period_has_empty_rows_and_totals() -> None:
    heat = heatmap.build([], PERIOD, {}, {})
    assert heat.rows == () and heat.totals == (Cell(), Cell(), Cell())
    assert heatmap.trend(heat) == []


# Pairs with 5, 4, 4, 4, 2 and 1 reports; ties by label.
PAIRS = [Count(1, "food", JAN, 2, 1), Count(1, "food", MAR, 2, 4), Count(1, "force", FEB, 1, 1),
         Count(2, "food", JAN, 4, 2), Count(2, "force", FEB, 4, 3), Count(1, "mail", JAN, 5, 1),
         Count(2, "mail", MAR, 2, 1)]
PAIR_NAMES = ({1: "Alpha", 2: "Beta"}, {"food": "Food", "force": "Force", "mail": "Mail"})


@pytest.mark.parametrize(("page", "rows", "shown_page", "first_row"), [
    (1, ["Alpha · Mail", "Alpha · Food"], 1, 1),
    (2, ["Beta · Food", "Beta · Force"], 2, 3),
    (3, ["Beta · Mail", "Alpha · Force"], 3, 5),
    (4, ["Beta · Mail", "Alpha · Force"], 3, 5),  # past the last: the last
    (0, ["Alpha · Mail", "Alpha · Food"], 1, 1),
])
def test_paged_rows_come_by_their_reports_and_the_totals_are_of_every_row(
        page: int, rows: list[str], shown_page: int, first_row: int) -> None:
    heat = heatmap.build(PAIRS, PERIOD, *PAIR_NAMES, page_rows=2, page=page)
    assert [r.label for r in heat.rows] == rows
    assert (heat.page, heat.pages, heat.row_count, heat.first_row) == (shown_page, 3, 6,
                                                                        first_row)
    assert heat.totals == (Cell(11, "medium"), Cell(5, "high"), Cell(4, "critical"))
    assert heat.total == Cell(20, "critical")
    assert [r.label for r in heat.busiest][:3] == ["Alpha · Mail", "Alpha · Food",
                                                   "Beta · Food"]
    assert heat.rows[0].cells[0].level == heatmap.shade(heat.rows[0].cells[0].reports, 5)


def test_unpaged_rows_come_by_label_all_of_them() -> None:
    heat = heatmap.build(PAIRS, PERIOD, *PAIR_NAMES)
    assert [r.label for r in heat.rows] == ["Alpha · Food", "Alpha · Force", "Alpha · Mail",
                                            "Beta · Food", "Beta · Force", "Beta · Mail"]
    assert (heat.page, heat.pages, heat.row_count, heat.page_rows) == (1, 1, 6, 0)


def test_trend_lines_are_the_busiest_rows() -> None:
    counts = [Count(n, None, JAN, n, 1) for n in range(1, 9)]
    names = {n: f"F{n}" for n in range(1, 9)}
    series = heatmap.trend(heatmap.build(counts, PERIOD, names, {}))
    assert [name for name, _ in series] == ["F8", "F7", "F6", "F5", "F4", "F3"]
    assert series[0][1] == [8.0, 0.0, 0.0]


@pytest.mark.parametrize(("text", "found"), [
    ("She was refused insulin for three days in March.", []),
    ("Number A123456789 was moved.", ["an A-number"]),
    ("Number a-123-456-789 was moved.", ["an A-number"]),
    ("Number A 12345678 was moved.", ["an A-number"]),
    ("Registration 123456789 on file.", ["an A-number"]),
    ("Call (555) 010-4477 for her.", ["a phone number"]),
    ("Call 555-010-4477 or 555.010.4477.", ["a phone number"]),
    ("Call +1 555 010 4477.", ["a phone number"]),
    ("Call 010-4477.", ["a phone number"]),
    ("Born 03/14/1990.", ["a full date (give the month only)"]),
    ("On 2024-01-09 she fell.", ["a full date (give the month only)"]),
    ("On January 9 she fell.", ["a full date (give the month only)"]),
    ("On Jan. 9th she fell.", ["a full date (give the month only)"]),
    ("On the 9th of January she fell.", ["a full date (give the month only)"]),
    ("In January 2024 she fell.", []),  # the month is fine
    ("Three of 12 women, 2 guards.", []),
    ("She was in unit B-12 then.", ["the housing unit"]),
    ("She was in unit b-12.", ["the housing unit"]),
    ("She was in unit B-123.", []),  # another unit
    ("Maria asked twice.", ["the person's name"]),
    ("MARIÁ EJEMPLO asked twice.", ["the person's name"]),
    ("Mariachi music played.", []),  # a name inside a word is not the name
    ("Maria, A123456789, unit B-12, 555-010-4477, born 1990-03-14.",
     ["an A-number", "a phone number", "a full date (give the month only)",
      "the housing unit", "the person's name"]),
])
def test_identifiers_in_an_excerpt(text: str, found: list[str]) -> None:
    assert printing.identifiers(text, "B-12", ["Maria Example", "Mariá Ejemplo"]) == found


def test_short_units_and_name_parts_are_not_searched_for() -> None:
    assert printing.identifiers("A 3 day wait at the clinic.", "3", ["Al Li"]) == []


@pytest.mark.parametrize(("text", "consented", "problem"), [
    ("Refused insulin for days.", False, printing.NO_CONSENT),
    ("", True, "Write the excerpt: what happened, without who it happened to."),
    ("   ", True, "Write the excerpt: what happened, without who it happened to."),
    ("x" * 4001, True, "At most 4000 characters (this one has 4001)."),
    ("x" * 4000, True, None),
    ("In unit B-12 Maria was refused.", True,
     "Take out what identifies the person: the excerpt holds the housing unit, "
     "the person's name."),
    ("Refused insulin for days.", True, None),
])
def test_release_problems(text: str, consented: bool, problem: str | None) -> None:
    assert printing.release_problem(text, consented, "B-12", ["Maria Example"]) == problem


@pytest.mark.parametrize(("consented", "problem"), [
    (True, printing.NARRATIVE_REMOVED), (False, printing.NARRATIVE_REMOVED)])
def test_no_excerpt_once_retention_cleared_the_narrative(consented: bool,
                                                         problem: str) -> None:
    assert printing.release_problem("Refused insulin for days.", consented,
                                    narrative_kept=False) == problem


def released(**changes: object) -> printing.Released:
    base: dict[str, object] = dict(report_id=uuid.uuid4(), facility_id=1,
                                   category_label="Food and water", month=FEB,
                                   text="Meals were spoiled for a week.", consented=True,
                                   housing_unit="B-12")
    return printing.Released(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("excerpt", "problem"), [
    (released(), None),
    (released(month=JAN), None),
    (released(month=MAR), None),
    (released(consented=False), "consent withdrawn"),
    (released(facility_id=2), "another facility"),
    (released(month=D(2023, 12, 1)), "outside the period"),
    (released(month=D(2024, 4, 1)), "outside the period"),
    (released(text="Meals in B-12 were spoiled."), "holds an identifier"),
    (released(text="Call 555-010-4477."), "holds an identifier"),
    (released(consented=False, facility_id=2), "consent withdrawn"),  # first reason given
])
def test_what_may_be_printed(excerpt: printing.Released, problem: str | None) -> None:
    assert printing.print_problem(excerpt, 1, PERIOD) == problem


@pytest.mark.parametrize(("cell", "html"), [
    (Cell(), '<td class="heat-0" title="no reports"></td>'),
    (Cell(1, "low", 3), '<td class="heat-3" title="1 report, highest low">1 <abbr '
     'class="sev sev-low" title="highest severity: low">L</abbr></td>'),
    (Cell(12, "critical", 5), '<td class="heat-5" title="12 reports, highest critical">12 '
     '<abbr class="sev sev-critical" title="highest severity: critical">C</abbr></td>'),
])
def test_a_heat_map_cell_as_html(cell: Cell, html: str) -> None:
    assert heat_html.cell(cell) == html


def test_a_rows_cells_are_its_months_in_order() -> None:
    cells = (Cell(2, "high", 5), Cell(), Cell(1, "medium", 3))
    row = heatmap.Row(1, None, "Facility", cells, Cell(3, "high"))
    assert str(heat_html.cells(row)) == "".join(heat_html.cell(c) for c in cells)
    assert str(heat_html.cells(row)).count("<td") == 3


@pytest.mark.parametrize(("rows", "labels", "said"), [
    ("facility", ["A", "B"], "a line for each facility;"),
    ("category", ["A", "B"], "a line for each category;"),
    ("facility_category", ["A", "B"], "a line for each facility and category pair;"),
    ("facility", [f"F{n}" for n in range(8)], "the 6 facilities with most reports, of 8;"),
    ("category", [f"C{n}" for n in range(7)], "the 6 categories with most reports, of 7;"),
])
def test_the_trend_chart_names_its_lines(rows: str, labels: list[str], said: str) -> None:
    """Its description reads as English (it once said "each categorie")."""
    one = Cell(1, "low", 1)
    shown = tuple(heatmap.Row(None, None, label, (one,), one) for label in labels)
    heat = heatmap.HeatMap((dt.date(2026, 1, 1),), shown, (one,), one, busiest=shown[:6])
    chart = charts.trend("c", heat, rows)
    assert chart is not None and said in str(chart)
