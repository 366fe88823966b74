"""The anonymised export's decisions as tables: months, the threshold and its floor, which
cells are held back, which excerpts may go out, and what the form accepts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator

import pytest
from multidict import MultiDict

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence import export_format, export_query, export_rules
from lifeline_pbx.evidence.export_rules import Month
from lifeline_pbx.evidence.export_store import CellCount

JAN, FEB = Month(2026, 1), Month(2026, 2)


@pytest.mark.parametrize("day, month", [
    (dt.date(2026, 1, 1), "2026-01"),
    (dt.date(2026, 1, 31), "2026-01"),
    (dt.date(2024, 2, 29), "2024-02"),
    (dt.date(1999, 12, 31), "1999-12"),
])
def test_a_date_leaves_as_its_month(day: dt.date, month: str) -> None:
    assert str(export_rules.month_of(day)) == month
    assert export_rules.month_of(day).first_day == day.replace(day=1)


@pytest.mark.parametrize("typed, month", [
    ("", None), ("  ", None), ("2026-03", Month(2026, 3)), (" 2025-12 ", Month(2025, 12)),
])
def test_months_typed(typed: str, month: Month | None) -> None:
    assert export_rules.parse_month(typed, "since") == month


@pytest.mark.parametrize("typed", ["2026-13", "2026-00", "2026-3", "2026-03-01", "march",
                                   "0001-01", "\uff12\uff10\uff12\uff16-01"])
def test_months_refused(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        export_rules.parse_month(typed, "since")
    assert refused.value.errors == {"since": "since: give a month as YYYY-MM."}


@pytest.mark.parametrize("typed, limit", [
    ("", 5), ("5", 5), ("3", 3), (" 10 ", 10), ("1000", 1000),
])
def test_threshold(typed: str, limit: int) -> None:
    assert export_rules.threshold(typed) == limit


@pytest.mark.parametrize("typed", ["2", "1", "0", "-5", "1001", "4.5", "five", "\uff13"])
def test_threshold_never_under_the_floor(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        export_rules.threshold(typed)
    assert set(refused.value.errors) == {"threshold"}


# (counts of each cell, threshold, cells held back)
SUPPRESSION = [
    ({}, 5, set()),
    ({(1, "a", JAN): 5}, 5, set()),
    ({(1, "a", JAN): 4}, 5, {(1, "a", JAN)}),
    ({(1, "a", JAN): 1, (1, "a", FEB): 9, (2, "a", JAN): 4, (2, "b", JAN): 5}, 5,
     {(1, "a", JAN), (2, "a", JAN)}),
    ({(1, "a", JAN): 7}, 8, {(1, "a", JAN)}),  # a raised threshold
    ({(1, "a", JAN): 3, (1, "b", JAN): 2}, 3, {(1, "b", JAN)}),  # the floor
    ({(1, "a", JAN): 0}, 5, set()),  # an empty cell hides nobody
]


@pytest.mark.parametrize("counts, limit, held", SUPPRESSION)
def test_small_cells_are_held_back(counts: dict[export_rules.Cell, int], limit: int,
                                   held: set[export_rules.Cell]) -> None:
    assert export_rules.suppressed(counts, limit) == held


# consented, released, cell suppressed -> excerpt goes out
EXCERPTS = [
    (True, True, False, True),
    (True, True, True, False),  # an excerpt in a held-back cell would name what it hides
    (False, True, False, False),  # released without consent
    (True, False, False, False),  # consent, but no coordinator released an excerpt
    (False, False, False, False),
    (False, True, True, False),
]


@pytest.mark.parametrize("consented, released, hidden, goes_out", EXCERPTS)
def test_which_excerpts_go_out(consented: bool, released: bool, hidden: bool,
                               goes_out: bool) -> None:
    assert export_rules.excerpt_goes_out(consented=consented, released=released,
                                         cell_suppressed=hidden) is goes_out


@pytest.mark.parametrize("pairs, expected", [
    ([], export_query.ExportQuery()),
    ([("since", "2026-01"), ("until", "2026-03"), ("facility", "7"), ("facility", "2"),
      ("facility", "7"), ("facility", ""), ("category", "use_of_force"), ("threshold", "8")],
     export_query.ExportQuery(JAN, Month(2026, 3), (2, 7), ("use_of_force",), 8)),
    ([("since", "2026-02"), ("until", "2026-02")], export_query.ExportQuery(FEB, FEB)),
])
def test_the_form(pairs: list[tuple[str, str]], expected: export_query.ExportQuery) -> None:
    assert export_query.parse(MultiDict(pairs)) == expected


@pytest.mark.parametrize("pairs, field", [
    ([("since", "2026-03"), ("until", "2026-01")], "until"),
    ([("facility", "x")], "facility"),
    ([("facility", "1" * 19)], "facility"),
    ([("since", "2026-01-15")], "since"),  # whole months only: days could be subtracted
    ([("threshold", "2")], "threshold"),
    ([("category", "c" * 201)], "category"),
])
def test_the_form_refuses(pairs: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        export_query.parse(MultiDict(pairs))
    assert set(refused.value.errors) == {field}


def test_a_held_back_cell_is_written_without_its_counts() -> None:
    cell = CellCount(1, "North", "use_of_force", "Use of force", dt.date(2026, 1, 1), 3,
                     (1, 0, 2, 0), 1)
    assert export_format.cell_cells(cell, True) == [
        "North", "use_of_force", "Use of force", "2026-01", "yes", "", "", "", "", ""]
    assert export_format.cell_json(cell, True) == {
        "facility": "North", "category": "use_of_force", "category_label": "Use of force",
        "month": "2026-01", "suppressed": True}
    assert export_format.cell_cells(cell, False)[4:] == ["no", "3", "1", "0", "2", "0"]


async def _text(chunks: AsyncIterator[str]) -> str:
    return "".join([chunk async for chunk in chunks])


async def _batches(*batches: list[export_format.OutRow],
                   ) -> AsyncIterator[list[export_format.OutRow]]:
    for batch in batches:
        yield batch


ROW = export_format.OutRow("=North", "use_of_force", "Use of force", "2026-01", "high",
                           "group", "es", "-Excerpt, with a comma\nand a line")


@pytest.mark.parametrize("batches", [(), ([],), ([ROW],), ([ROW, ROW], [], [ROW])])
async def test_the_reports_written_out(batches: tuple[list[export_format.OutRow], ...]) -> None:
    rows = [r for batch in batches for r in batch]
    as_json = json.loads(await _text(export_format.reports_json(
        export_query.ExportQuery(since=JAN), _batches(*batches))))
    assert as_json["since"] == "2026-01" and as_json["until"] is None
    assert as_json["reports"] == [r.as_json() for r in rows]
    text = await _text(export_format.reports_csv(_batches(*batches)))
    written = list(csv.reader(io.StringIO(text)))
    assert written[0] == list(export_format.REPORT_COLUMNS)
    # Free text that a spreadsheet would run as a formula is made inert; codes are known.
    assert written[1:] == [["'=North", "use_of_force", "Use of force", "2026-01", "high",
                            "group", "es", "'-Excerpt, with a comma\nand a line"]] * len(rows)


def test_the_cells_written_out() -> None:
    shown = CellCount(1, "North", "use_of_force", "Use of force", dt.date(2026, 1, 1), 6,
                      (1, 2, 3, 0), 0)
    held = CellCount(1, "North", "use_of_force", "Use of force", dt.date(2026, 2, 1), 2,
                     (0, 0, 2, 0), 1)
    hidden = frozenset({held.key})
    found = json.loads("".join(export_format.cells_json(export_query.ExportQuery(),
                                                        [shown, held], hidden)))
    assert [c["suppressed"] for c in found["cells"]] == [False, True]
    assert found["cells"][0]["reports"] == 6 and "reports" not in found["cells"][1]
    assert not {"total", "totals", "reports"} & set(found)
    lines = list(csv.reader(io.StringIO("".join(export_format.cells_csv([shown, held],
                                                                        hidden)))))
    assert [line[4:6] for line in lines[1:]] == [["no", "6"], ["yes", ""]]
