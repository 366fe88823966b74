"""Charts' axis labels stay inside the picture (a label cut at the edge read "Dec 202")."""

from __future__ import annotations

import re

import pytest

from lifeline_pbx.charts import svg


@pytest.mark.parametrize("labels", [
    ["a", "b", "c"],
    ["Jan 2026", "Feb 2026", "Mar 2026"],
    [f"2026-{month:02}-01" for month in range(1, 13)],
    ["Week of 2026-11-30", "Week of 2026-12-07"],
])
def test_the_last_label_is_drawn_inside_the_chart(labels: list[str]) -> None:
    chart = str(svg.lines("c", "T", "D", labels, [("R", [1.0] * len(labels))]))
    drawn = re.findall(r'<text x="([\d.]+)" y="\d+" font-size="10" '
                       r'text-anchor="middle">([^<]*)</text>', chart)
    assert [label for _, label in drawn] == labels
    x, last = drawn[-1]
    assert float(x) + svg.LABEL_CHAR * len(last) / 2 <= svg.WIDTH
    first_x, first = drawn[0]
    assert float(first_x) - svg.LABEL_CHAR * len(first) / 2 >= 0


@pytest.mark.parametrize(("label", "width", "lines"), [
    ("Retaliation", 26, ["Retaliation"]),
    ("Medical neglect or denial of care", 26, ["Medical neglect or denial", "of care"]),
    ("Access to counsel, interpretation and legal materials", 26,
     ["Access to counsel,", "interpretation and legal", "materials"]),
    ("Use of force / physical abuse", 29, ["Use of force / physical abuse"]),
    ("ab  cd", 2, ["ab", "cd"]),
    ("abcdefg hi", 3, ["abc", "def", "g", "hi"]),  # a word longer than a line is broken
    ("", 26, [""]),
])
def test_a_label_is_wrapped_between_words(label: str, width: int, lines: list[str]) -> None:
    assert svg.wrapped(label, width) == lines


CATEGORIES = ("Medical neglect or denial of care", "Solitary confinement / segregation",
              "Access to counsel, interpretation and legal materials",
              "Temperature and overcrowding", "Example Valley ICE Processing Center")


def test_every_row_label_of_the_bars_is_drawn_whole_inside_its_column() -> None:
    chart = str(svg.bars("c", "T", "D", CATEGORIES, [("R", [1.0] * len(CATEGORIES)),
                                                     ("S", [2.0] * len(CATEGORIES))]))
    drawn = re.findall(r'<text x="(\d+)" y="([\d.]+)" font-size="11" text-anchor="end">'
                       r"(.*?)</text>", chart)
    labels = [re.findall(r"<tspan[^>]*>([^<]*)</tspan>", inner) or [inner]
              for _, _, inner in drawn]
    assert [" ".join(lines) for lines in labels] == list(CATEGORIES)
    for (x, _, _), lines in zip(drawn, labels, strict=True):
        assert all(svg.BAR_LABEL_CHAR * len(line) <= int(x) for line in lines), lines
    # Each row's label starts below the one before it ends.
    tops = [float(y) - 11 for _, y, _ in drawn]
    bottoms = [float(y) + svg.LINE_HEIGHT * (len(lines) - 1) for (_, y, _), lines
               in zip(drawn, labels, strict=True)]
    assert all(top > bottom for top, bottom in zip(tops[1:], bottoms, strict=False))


STROKE = re.compile(r'<(polyline|line) [^>]*?stroke="(#\w+)" stroke-width="(\d+)"'
                    r'(?: stroke-dasharray="([\d ]+)")?')


@pytest.mark.parametrize("count", [2, 3, 6])
def test_lines_with_the_same_values_all_show_each_as_its_legend_draws_it(count: int) -> None:
    """Calls hid under Reports when both were 2: each line is drawn thinner or dashed over
    the ones before it, and the legend draws each line as it is."""
    names = [f"S{n}" for n in range(count)]
    chart = str(svg.lines("c", "T", "D", ["Nov 2026", "Dec 2026"],
                          [(name, [2.0, 2.0]) for name in names]))
    drawn = [(colour, int(width), dashes) for kind, colour, width, dashes
             in STROKE.findall(chart) if kind == "polyline"]
    legend = [(colour, int(width), dashes) for kind, colour, width, dashes
              in STROKE.findall(chart) if kind == "line" and colour != "#ddd"]
    assert legend == drawn and len(drawn) == count
    assert len({(width, dashes) for _, width, dashes in drawn}) == count  # no two alike
    for n in range(1, count):  # over a line before it, each is thinner or has gaps
        assert all(drawn[n][1] < drawn[m][1] or drawn[n][2] for m in range(n))
    assert re.findall(r"<title>(S\d)</title>", chart) == names


def test_single_points_with_the_same_value_are_rings_one_inside_another() -> None:
    chart = str(svg.lines("c", "T", "D", ["Dec 2026"], [("A", [2.0]), ("B", [2.0])]))
    rings = re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="(\d+)" fill="none"', chart)
    assert [int(r) for r in rings] == [8, 6]
