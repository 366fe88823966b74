"""A statistics table's rows as HTML, for statistics/statistics.html. A page holds a few
thousand cells (five tables of up to 120 rows by 14 columns): written by the template's
loops they cost more CPU than the rest of the page, so a row is one f-string here. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from lifeline_pbx.statistics.tables import Cell, Table, shown


def row(cells: Sequence[Cell], kinds: Sequence[str]) -> str:
    """One row: its first cell a row header, the others figures as the page shows them
    (a number shown is digits and punctuation: only text is escaped)."""
    head, *rest = (escape(shown(value, kind)) if isinstance(value, str) else shown(value, kind)
                   for value, kind in zip(cells, kinds, strict=True))
    return f'<tr><th scope="row">{head}</th>{"".join(f"<td>{c}</td>" for c in rest)}</tr>'


def body(table: Table) -> Markup:
    """The table's rows."""
    return Markup("\n".join(row(r, table.kinds) for r in table.rows))  # noqa: S704 - escaped


def total(table: Table) -> Markup:
    """The row of totals (empty for a table without one)."""
    return Markup(row(table.total, table.kinds) if table.total else "")  # noqa: S704 - escaped
