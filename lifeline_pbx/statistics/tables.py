"""The statistics as tables (the page's and the CSV's, the same rows) and their charts.
Pure: they lay out what work.py read.

Durations are seconds in the CSV and h:mm:ss on the page; the service level is a share
(0 to 1) in the CSV and a percentage on the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from lifeline_pbx.charts import svg
from lifeline_pbx.statistics.figured import Figured
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.periods import step_label, steps

Cell = str | int | float | None
CHART_ROWS = 15  # bars drawn for the busiest rows of a long table

CALL_COLUMNS: tuple[tuple[str, str, Callable[[Figures], Cell]], ...] = (
    ("Received", "count", lambda f: f.received),
    ("Answered", "count", lambda f: f.answered),
    ("Closed", "count", lambda f: f.closed),
    ("Voicemail", "count", lambda f: f.voicemail),
    ("No message left", "count", lambda f: f.no_message),
    ("Abandoned in IVR", "count", lambda f: f.abandoned_ivr),
    ("Abandoned in queue", "count", lambda f: f.abandoned_queue),
    ("Other", "count", lambda f: f.other),
    ("Wait median", "seconds", lambda f: f.wait_median),
    ("Wait 90th percentile", "seconds", lambda f: f.wait_p90),
    ("Wait max", "seconds", lambda f: f.wait_max),
    ("Service level", "share", lambda f: f.service_level),
    ("Talk time", "seconds", lambda f: f.talk_seconds),
    ("Mean talk", "seconds", lambda f: f.talk_mean),
)
TITLES = {"line": "By line", "facility": "By facility", "queue": "By queue",
          "language": "By language", "trend": "Over the period",
          "operators": "Operators", "pauses": "Pauses by reason"}
NONE_LABELS = {"line": "No line (number not in service)", "facility": "No facility",
               "queue": "No queue (never queued)", "language": "Not chosen"}


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]  # per column: text, count, seconds, share
    rows: list[tuple[Cell, ...]]
    total: tuple[Cell, ...] | None = None


def shown(value: Cell, kind: str) -> str:
    if value is None:
        return "\u2013"  # an en dash: no figure
    if kind == "seconds" and isinstance(value, int | float):
        whole = round(value)
        hours, rest = divmod(whole, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
            f"{rest // 60}:{rest % 60:02d}"
    if kind == "share" and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    return str(value)


def _raw(value: Cell, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if kind == "share" else f"{value:.1f}"
    text = str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow([_raw(v, k) for v, k in zip(row, table.kinds, strict=True)])
    return out.getvalue()


def table(found: Figured, name: str) -> Table:
    if name == "trend":
        return _trend(found)
    if name == "operators":
        return _operators(found)
    if name == "pauses":
        return _pauses(found)
    return _calls(found, name)


def _label(found: Figured, dimension: str, key: str) -> str:
    if not key:
        return NONE_LABELS[dimension]
    names = found.names
    if dimension == "language":
        return names.languages.get(key, key)
    labels = {"line": names.lines, "facility": names.facilities, "queue": names.queues}
    return labels[dimension].get(int(key), f"{dimension.title()} {key}")


def _figures_row(label: str, figures: Figures) -> tuple[Cell, ...]:
    return (label, *(get(figures) for _, _, get in CALL_COLUMNS))


def _calls(found: Figured, dimension: str) -> Table:
    rows = sorted((_figures_row(_label(found, dimension, g.key), g.figures)
                   for g in found.groups if g.dimension == dimension),
                  key=lambda row: str(row[0]))
    return Table(dimension, TITLES[dimension],
                 (dimension.title(), *(c[0] for c in CALL_COLUMNS)),
                 ("text", *(c[1] for c in CALL_COLUMNS)), rows,
                 _figures_row("Total", found.total))


def _trend(found: Figured) -> Table:
    period = found.query.period
    by_step = {step.bucket: step.figures for step in found.trend}
    rows = [_figures_row(step_label(at, period.bucket), by_step.get(at, Figures()))
            for at in steps(period)]
    head = {"hour": "Hour", "day": "Day", "week": "Week of", "month": "Month"}[period.bucket]
    return Table("trend", TITLES["trend"], (head, *(c[0] for c in CALL_COLUMNS)),
                 ("text", *(c[1] for c in CALL_COLUMNS)), rows)


def _operator_name(found: Figured, operator_id: int) -> str:
    return found.names.operators.get(operator_id, f"Operator {operator_id}")


def _operators(found: Figured) -> Table:
    ids = sorted(found.work.keys() | found.presence.keys(),
                 key=lambda i: _operator_name(found, i))
    rows: list[tuple[Cell, ...]] = []
    for operator_id in ids:
        work = found.work.get(operator_id)
        here = found.presence.get(operator_id)
        rows.append((_operator_name(found, operator_id), work.answered if work else 0,
                     here.logged_in if here else 0.0, work.talking if work else 0.0,
                     work.wrap_up if work else 0.0,
                     sum(here.paused.values()) if here else 0.0))
    return Table("operators", TITLES["operators"],
                 ("Operator", "Calls answered", "Logged in", "Talking", "Wrap-up", "Paused"),
                 ("text", "count", "seconds", "seconds", "seconds", "seconds"), rows)


def _pauses(found: Figured) -> Table:
    rows: list[tuple[Cell, ...]] = sorted(
        ((_operator_name(found, operator_id), reason or "(no reason)", seconds)
         for operator_id, here in found.presence.items()
         for reason, seconds in here.paused.items()),
        key=lambda row: (str(row[0]), str(row[1])))
    return Table("pauses", TITLES["pauses"], ("Operator", "Reason", "Paused"),
                 ("text", "text", "seconds"), rows)


def chart(found: Table) -> Markup | None:
    """The table's chart, or None for a table without rows."""
    if not found.rows:
        return None
    index = {name: n for n, name in enumerate(found.columns)}
    if found.name == "pauses":
        return None  # a few rows: the table says it all
    if found.name == "trend":
        series = [(name, [_number(row[index[name]]) for row in found.rows])
                  for name in ("Received", "Answered", "Abandoned in queue", "Voicemail")]
        return svg.lines("chart-trend", "Calls over the period",
                         "Calls received, answered, abandoned in the queue and sent to "
                         "voicemail, per step of the period; the table below gives each "
                         "figure.", [str(row[0]) for row in found.rows], series)
    if found.name == "operators":
        names = ("Logged in", "Talking", "Wrap-up", "Paused")
        rows = found.rows[:CHART_ROWS]
        return svg.bars("chart-operators", "Operators' time, in hours",
                        "Hours each operator was logged in, talking, in wrap-up and "
                        "paused; the table below gives each figure.",
                        [str(row[0]) for row in rows],
                        [(n, [round(_number(row[index[n]]) / 3600, 2) for row in rows])
                         for n in names])
    busiest = sorted(found.rows, key=lambda row: -_number(row[1]))[:CHART_ROWS]
    shown_rows = f"the {len(busiest)} busiest of {len(found.rows)}" \
        if len(found.rows) > len(busiest) else "every row"
    return svg.bars(f"chart-{found.name}", f"Calls {found.title.lower()}",
                    f"Calls received and answered {found.title.lower()} ({shown_rows}); "
                    "the table below gives each figure.",
                    [str(row[0]) for row in busiest],
                    [(n, [_number(row[index[n]]) for row in busiest])
                     for n in ("Received", "Answered")])


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
