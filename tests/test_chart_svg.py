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
