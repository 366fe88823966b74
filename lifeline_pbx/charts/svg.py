"""Charts drawn on the server as inline SVG: bars and lines, no script, nothing fetched.

Each chart is an <svg role="img"> whose <title> and <desc> (referred to by aria-labelledby)
say what it shows, for screen readers; the numbers themselves are in the table beside it.
Every text is escaped: each name, label and title passes through markupsafe's escape
as it is put into the markup (numbers are formatted, never text); f-strings, not
Markup.format, which cost a chart of fifteen rows several milliseconds. Colours come from
one palette chosen to stay apart for the common forms of colour blindness, and every
series is named in a legend. Lines differ in width and dashes too, so two series with the
same values both show (the first widest and solid, the next over it, thinner and dashed)
and a line can be told from another without its colour; the legend draws each the same.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
# A line's stroke per series (width, dashes): each drawn over the ones before it.
STROKES = ((5, ""), (3, "8 4"), (2, "3 3"), (2, "10 3 2 3"), (2, "1 3"), (2, "6 2"))
WIDTH = 720
LABEL_CHAR = 6  # px: about the widest a character of a 10 px axis label is drawn
BAR_LABEL_CHAR = 7  # px: the same for an 11 px row label of the bars
BAR_LABELS = 190  # px: the bars' column of row labels
LINE_HEIGHT = 12  # px: between the lines of a row label
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


def _frame(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> Markup:
    i = escape(chart_id)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{i}" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-labelledby="{i}-title {i}-desc">'
            f'<title id="{i}-title">{escape(title)}</title><desc id="{i}-desc">{escape(desc)}'
            '</desc>')
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text escaped


def _stroke(n: int) -> str:
    """The n-th series' line: its colour, width and dashes."""
    width, dashes = STROKES[n % len(STROKES)]
    dashed = f' stroke-dasharray="{dashes}"' if dashes else ""
    return f'stroke="{PALETTE[n % len(PALETTE)]}" stroke-width="{width}"{dashed}'


def _legend(series: Sequence[Series], y: int, *, lined: bool = False) -> list[str]:
    """Each series' name after its swatch: a square of its colour, or (`lined`) a piece
    of its line."""
    parts, x = [], 8
    for n, (name, _) in enumerate(series):
        if lined:
            parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" '
                         f'{_stroke(n)}/>')
            swatch = 28
        else:
            parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" '
                         f'fill="{PALETTE[n % len(PALETTE)]}"/>')
            swatch = 14
        parts.append(f'<text x="{x + swatch}" y="{y}" font-size="11">{escape(name)}</text>')
        x += swatch + 10 + 7 * len(name)
    return parts


def wrapped(label: str, width: int) -> list[str]:
    """The label in lines of at most `width` characters, broken between words (a word
    longer than a line is broken inside); every character kept but the breaking spaces."""
    lines: list[str] = []
    for word in label.split():
        while len(word) > width:
            lines.append(word[:width])
            word = word[width:]
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        elif word:
            lines.append(word)
    return lines or [""]


def _row_label(lines: list[str], x: int, middle: float) -> str:
    """A bar row's label, right-aligned at x, its lines centred on `middle`."""
    first = middle + 4 - LINE_HEIGHT * (len(lines) - 1) / 2
    if len(lines) == 1:
        return (f'<text x="{x}" y="{first:.1f}" font-size="11" text-anchor="end">'
                f'{escape(lines[0])}</text>')
    spans = "".join(f'<tspan x="{x}" dy="{0 if n == 0 else LINE_HEIGHT}">{escape(line)}'
                    "</tspan>" for n, line in enumerate(lines))
    return f'<text x="{x}" y="{first:.1f}" font-size="11" text-anchor="end">{spans}</text>'


def bars(chart_id: str, title: str, desc: str, labels: Sequence[str],
         series: Sequence[Series]) -> Markup:
    """Horizontal bars: a row per label, a bar per series in each row; a label too long
    for its column is wrapped onto more lines, and its row made as tall."""
    left, right, row_gap = BAR_LABELS, 60, 6
    bar = 12
    bars_height = bar * max(1, len(series))
    label_lines = [wrapped(label, (left - 6) // BAR_LABEL_CHAR) for label in labels]
    top = 24
    starts = list(itertools.accumulate(
        (max(bars_height, LINE_HEIGHT * len(lines)) + row_gap for lines in label_lines),
        initial=top))
    axis_y = starts[-1] if labels else top + bars_height + row_gap
    height = axis_y + 24
    scale_top = nice_top(max((v for _, values in series for v in values), default=0))
    span = WIDTH - left - right
    body = _legend(series, 14)
    names = [escape(name) for name, _ in series]
    for i, label in enumerate(labels):
        y = starts[i]
        text = escape(label)
        body.append(_row_label(label_lines[i], left - 6,
                               y + (starts[i + 1] - y - row_gap) / 2))
        for n, (_, values) in enumerate(series):
            value = values[i]
            width = span * value / scale_top
            shown = _number(value)
            body.append(f'<rect x="{left}" y="{y + n * bar}" width="{width:.1f}" '
                        f'height="{bar - 2}" fill="{PALETTE[n % len(PALETTE)]}">'
                        f'<title>{text}, {names[n]}: {shown}</title></rect>'
                        f'<text x="{left + width + 4:.1f}" y="{y + n * bar + bar - 3}" '
                        f'font-size="10">{shown}</text>')
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{axis_y}" stroke="#555"/>')
    return _frame(chart_id, title, desc, height, body)


def lines(chart_id: str, title: str, desc: str, labels: Sequence[str],
          series: Sequence[Series]) -> Markup:
    """A line per series over the labels (in order, evenly spaced)."""
    # The first and last labels are centred on the plot's edges: room for half of each.
    half = LABEL_CHAR * max((len(label) for label in labels), default=0) // 2 + 2
    left, right, top, bottom = max(48, half), max(16, half), 24, 40
    height = 260
    scale_top = nice_top(max((v for _, values in series for v in values), default=0))
    span_x, span_y = WIDTH - left - right, height - top - bottom
    count = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + span_x * i / count

    def y(value: float) -> float:
        return top + span_y * (1 - value / scale_top)

    body = _legend(series, 14, lined=True)
    for tick in range(5):
        value = scale_top * tick / 4
        body.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{WIDTH - right}" '
                    f'y2="{y(value):.1f}" stroke="#ddd"/>'
                    f'<text x="{left - 4}" y="{y(value) + 4:.1f}" font-size="10" '
                    f'text-anchor="end">{_number(value)}</text>')
    every = max(1, math.ceil(len(labels) / 12))
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="10" '
                        f'text-anchor="middle">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline fill="none" {_stroke(n)} '
                    f'points="{points}"><title>{escape(name)}</title></polyline>')
        if len(values) == 1:  # a point, not a line: a ring, inside the one before
            body.append(f'<circle cx="{x(0):.1f}" cy="{y(values[0]):.1f}" '
                        f'r="{max(2, 8 - 2 * n)}" fill="none" '
                        f'stroke="{PALETTE[n % len(PALETTE)]}" stroke-width="2"/>')
    return _frame(chart_id, title, desc, height, body)
