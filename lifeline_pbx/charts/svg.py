"""Charts drawn on the server as inline SVG: bars and lines, no script, nothing fetched.

Each chart is an <svg role="img"> whose <title> and <desc> (referred to by aria-labelledby)
say what it shows, for screen readers; the numbers themselves are in the table beside it.
Every text is escaped: the markup is built from literal templates whose
values markupsafe escapes (Markup.format). Colours come from one palette chosen to stay
apart for the common forms of colour blindness, and every series is named in a legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
WIDTH = 720
Series = tuple[str, Sequence[float]]  # a name, one value per label


def nice_top(value: float) -> float:
    """The axis' top: 1, 2, 2.5 or 5 times a power of ten, at or above value."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _number(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:.3g}"


def _frame(chart_id: str, title: str, desc: str, height: int, body: list[Markup]) -> Markup:
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{0}" class="chart" role="img" '
        'viewBox="0 0 {1} {2}" width="100%" aria-labelledby="{0}-title {0}-desc">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>'
    ).format(chart_id, WIDTH, height, title, desc)
    return head + Markup("").join(body) + Markup("</svg>")


def _legend(series: Sequence[Series], y: int) -> list[Markup]:
    parts, x = [], 8
    for n, (name, _) in enumerate(series):
        parts.append(Markup(
            '<rect x="{0}" y="{1}" width="10" height="10" fill="{2}"/>'
            '<text x="{3}" y="{4}" font-size="11">{5}</text>'
        ).format(x, y - 9, PALETTE[n % len(PALETTE)], x + 14, y, name))
        x += 24 + 7 * len(name)
    return parts


def bars(chart_id: str, title: str, desc: str, labels: Sequence[str],
         series: Sequence[Series]) -> Markup:
    """Horizontal bars: a row per label, a bar per series in each row."""
    left, right, row_gap = 190, 60, 6
    bar = 12
    row = bar * max(1, len(series)) + row_gap
    top = 24
    height = top + row * max(1, len(labels)) + 24
    scale_top = nice_top(max((v for _, values in series for v in values), default=0))
    span = WIDTH - left - right
    body: list[Markup] = _legend(series, 14)
    for i, label in enumerate(labels):
        y = top + i * row
        body.append(Markup('<text x="{0}" y="{1:.1f}" font-size="11" text-anchor="end">'
                           '{2}</text>').format(left - 6, y + bar * len(series) / 2 + 4,
                                                label[:32]))
        for n, (name, values) in enumerate(series):
            value = values[i]
            width = span * value / scale_top
            colour = PALETTE[n % len(PALETTE)]
            body.append(Markup(
                '<rect x="{0}" y="{1}" width="{2:.1f}" height="{3}" fill="{4}">'
                '<title>{5}, {6}: {7}</title></rect>'
                '<text x="{8:.1f}" y="{9}" font-size="10">{7}</text>'
            ).format(left, y + n * bar, width, bar - 2, colour, label, name, _number(value),
                     left + width + 4, y + n * bar + bar - 3))
    axis_y = top + row * max(1, len(labels))
    body.append(Markup('<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#555"/>').format(
        left, top - 4, axis_y))
    return _frame(chart_id, title, desc, height, body)


def lines(chart_id: str, title: str, desc: str, labels: Sequence[str],
          series: Sequence[Series]) -> Markup:
    """A line per series over the labels (in order, evenly spaced)."""
    left, right, top, bottom = 48, 16, 24, 40
    height = 260
    scale_top = nice_top(max((v for _, values in series for v in values), default=0))
    span_x, span_y = WIDTH - left - right, height - top - bottom
    count = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + span_x * i / count

    def y(value: float) -> float:
        return top + span_y * (1 - value / scale_top)

    body: list[Markup] = _legend(series, 14)
    for tick in range(5):
        value = scale_top * tick / 4
        body.append(Markup(
            '<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#ddd"/>'
            '<text x="{3}" y="{4:.1f}" font-size="10" text-anchor="end">{5}</text>'
        ).format(left, y(value), WIDTH - right, left - 4, y(value) + 4, _number(value)))
    every = max(1, math.ceil(len(labels) / 12))
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(Markup('<text x="{0:.1f}" y="{1}" font-size="10" '
                               'text-anchor="middle">{2}</text>').format(
                x(i), height - bottom + 16, label))
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(Markup('<polyline fill="none" stroke="{0}" stroke-width="2" '
                           'points="{1}"><title>{2}</title></polyline>').format(
            colour, points, name))
        if len(values) == 1:
            body.append(Markup('<circle cx="{0:.1f}" cy="{1:.1f}" r="3" fill="{2}"/>').format(
                x(0), y(values[0]), colour))
    return _frame(chart_id, title, desc, height, body)
