"""The evidence pages' charts, drawn on the server (charts/svg.py): trend lines of the
busiest heat-map rows, a facility's calls and reports by month, its reports by category.
The tables beside them give every figure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from markupsafe import Markup

from lifeline_pbx.charts import svg
from lifeline_pbx.evidence import heatmap
from lifeline_pbx.evidence.heatmap import HeatMap

# What the heat map's rows are, one and many, for the charts' descriptions.
ROW_WORDS = {"facility": ("facility", "facilities"), "category": ("category", "categories"),
             "facility_category": ("facility and category pair",
                                   "facility and category pairs")}


def trend(chart_id: str, heat: HeatMap, rows: str) -> Markup | None:
    """Lines for the busiest rows of the heat map (`rows`: what they are, a key of
    heatmap.ROWS, named in the text)."""
    series = heatmap.trend(heat)
    if not series:
        return None
    one, many = ROW_WORDS[rows]
    some = (f"the {len(series)} {many} with most reports, of {len(heat.rows)}"
            if len(heat.rows) > len(series) else f"each {one}")
    return svg.lines(chart_id, "Reports by month",
                     f"Reports recorded each month, a line for {some}; the table gives "
                     "each figure.", heat.labels, series)


def calls_and_reports(heat: HeatMap, calls: Mapping[dt.date, int]) -> Markup:
    return svg.lines("chart-facility-months", "Calls and reports by month",
                     "Calls received from the facility and reports recorded about it, each "
                     "month of the period; the table gives each figure.", heat.labels,
                     [("Calls", [float(calls.get(m, 0)) for m in heat.months]),
                      ("Reports", [float(t.reports) for t in heat.totals])])


def by_category(heat: HeatMap) -> Markup | None:
    if not heat.rows:
        return None
    rows = sorted(heat.rows, key=lambda r: (-r.total.reports, r.label))
    return svg.bars("chart-categories", "Reports by category",
                    "Reports recorded in the period, per category; the table gives each "
                    "figure.", [r.label for r in rows],
                    [("Reports", [float(r.total.reports) for r in rows])])
