"""The heat map's cells as HTML, for evidence/_heat_table.html. Every facility by every
category over a year is 27,000 cells: the template's loop over them took 300 ms, so each
distinct cell (count, highest severity, shade) is written once and reused. Pure."""

from __future__ import annotations

import functools

from markupsafe import Markup, escape

from lifeline_pbx.evidence.heatmap import Cell, Row


@functools.lru_cache(maxsize=8192)
def cell(c: Cell) -> str:
    """One cell: its count with the highest severity's letter, shaded by its level."""
    inside = ""
    if c.reports:
        worst = escape(c.worst or "")
        inside = (f'{c.reports} <abbr class="sev sev-{worst}" title="highest severity: '
                  f'{worst}">{escape((c.worst or "")[:1].upper())}</abbr>')
    return f'<td class="heat-{c.level}" title="{escape(c.title)}">{inside}</td>'


def cells(row: Row) -> Markup:
    """A row's cells, one per month."""
    return Markup("".join(map(cell, row.cells)))  # noqa: S704 - built from escaped parts
