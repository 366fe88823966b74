"""The statistics' rules without a database: outcomes, percentiles, figures, periods and
the form, operators' time, tables and charts. Table-driven."""

from __future__ import annotations

import datetime as dt

import pytest

from lifeline_pbx.charts import svg
from lifeline_pbx.errors import Invalid
from lifeline_pbx.statistics import figures, operator_time, periods, table_html, tables
from lifeline_pbx.statistics.figures import Call, Figures
from lifeline_pbx.statistics.operator_time import Mark, Presence, Talk, Work


def call(disposition: str | None = "answered", queued: bool = True, connected: bool = True,
         ended: bool = True, reason: str | None = None, wait: float | None = 10.0,
         talk: float | None = 60.0) -> Call:
    return Call(disposition, queued, connected, ended, reason, wait, talk)


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("connected", call(), "answered"),
    ("connected wins over a voicemail reason", call(reason="closed"), "answered"),
    ("closed line", call("voicemail", False, False, reason="closed"), "closed"),
    ("closed line, hung up during the message", call("abandoned", False, False,
                                                     reason="closed"), "closed"),
    ("waited too long", call("voicemail", connected=False, reason="max_wait"), "voicemail"),
    ("no queue on the line", call("voicemail", False, False, reason="no_operators"),
     "voicemail"),
    ("gone during the voicemail invitation", call("no_message", connected=False,
                                                  reason="no_operators"), "no_message"),
    ("closed line, gone before the beep", call("no_message", False, False, reason="closed"),
     "closed"),
    ("hung up waiting", call("abandoned", connected=False), "abandoned_queue"),
    ("hung up in the IVR", call("abandoned", False, False), "abandoned_ivr"),
    ("unknown number", call("not_in_service", False, False), "other"),
    ("failed", call("failed", False, False), "other"),
    ("in progress", call(None, False, False, False), "other"),
])
def test_outcome(name: str, given: Call, expected: str) -> None:
    assert figures.outcome(given) == expected, name


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([], 0.5, None), ([7.0], 0.9, 7.0), ([1.0, 2.0], 0.5, 1.5), ([3.0, 1.0, 2.0], 0.5, 2.0),
    ([5.0, 10.0, 25.0, 30.0, 40.0, 600.0], 0.9, 320.0), ([0.0, 10.0], 0.9, 9.0),
])
def test_percentile_is_postgresqls_percentile_cont(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert figures.percentile(values, fraction) == expected


@pytest.mark.parametrize(("name", "calls", "expected"), [
    ("nothing", [], Figures()),
    ("answered at the threshold counts within", [call(wait=30.0)],
     Figures(received=1, answered=1, left_queue=1, within=1, wait_median=30.0, wait_p90=30.0,
             wait_max=30.0, talk_seconds=60.0, talked=1)),
    ("a second over does not", [call(wait=31.0)],
     Figures(received=1, answered=1, left_queue=1, wait_median=31.0, wait_p90=31.0,
             wait_max=31.0, talk_seconds=60.0, talked=1)),
    ("an abandon counts in the base, not within", [call("abandoned", connected=False, wait=2.0,
                                                        talk=None)],
     Figures(received=1, abandoned_queue=1, left_queue=1, wait_median=2.0, wait_p90=2.0,
             wait_max=2.0)),
    ("a voicemail after waiting: its wait counts, in the base, not within",
     [call("voicemail", connected=False, reason="max_wait", wait=42.0, talk=None)],
     Figures(received=1, voicemail=1, left_queue=1, wait_median=42.0, wait_p90=42.0,
             wait_max=42.0)),
    ("a voicemail at once waited nothing, however long the message",
     [call("voicemail", connected=False, reason="no_operators", wait=0.0, talk=None)],
     Figures(received=1, voicemail=1, left_queue=1, wait_median=0.0, wait_p90=0.0,
             wait_max=0.0)),
    ("gone before the beep: no message, in the base (nobody answered in time)",
     [call("no_message", connected=False, reason="max_wait", wait=42.0, talk=None)],
     Figures(received=1, no_message=1, left_queue=1, wait_median=42.0, wait_p90=42.0,
             wait_max=42.0)),
    ("still waiting: neither base nor wait", [call(None, connected=False, ended=False,
                                                   wait=None, talk=None)],
     Figures(received=1, other=1)),
    ("talking still: answered, no talk time yet", [call(ended=False, talk=None)],
     Figures(received=1, answered=1, left_queue=1, within=1, wait_median=10.0, wait_p90=10.0,
             wait_max=10.0)),
])
def test_figures(name: str, calls: list[Call], expected: Figures) -> None:
    assert figures.figures(calls, 30) == expected, name


def test_service_level_and_mean_talk_have_no_value_without_a_base() -> None:
    assert Figures().service_level is None and Figures().talk_mean is None
    assert Figures(left_queue=4, within=3, talked=2, talk_seconds=90).service_level == 0.75
    assert Figures(talked=2, talk_seconds=90).talk_mean == 45


NOW = dt.datetime(2024, 3, 12, 16, 0, tzinfo=dt.UTC)  # noon in New York


FORMS = [  # what the address gives, the period read, the Period choice the range replaced
    ({}, "month", "2024-03-01", "2024-03-31", None),
    ({"period": "day"}, "day", "2024-03-12", "2024-03-12", None),
    ({"period": "week", "date": "2024-03-17"}, "week", "2024-03-11", "2024-03-17", None),
    ({"period": "month", "date": "2024-02-10"}, "month", "2024-02-01", "2024-02-29", None),
    ({"period": "month", "date": "2023-12-31"}, "month", "2023-12-01", "2023-12-31", None),
    ({"period": "range", "since": "2020-01-01", "until": "2024-12-31"}, "range", "2020-01-01",
     "2024-12-31", None),
    ({"period": "day", "tz": "Asia/Tokyo"}, "day", "2024-03-13", "2024-03-13", None),
    # Dates in Range from/to mean that range, whatever the Period select says.
    ({"period": "month", "date": "2026-12-01", "since": "2026-11-01", "until": "2026-11-15"},
     "range", "2026-11-01", "2026-11-15", "month"),
    ({"since": "2026-11-01", "until": "2026-11-15"}, "range", "2026-11-01", "2026-11-15", None),
    ({"period": "week", "since": "2024-03-12", "until": "2024-03-12"}, "range", "2024-03-12",
     "2024-03-12", "week"),
    ({"period": "day", "since": " ", "until": ""}, "day", "2024-03-12", "2024-03-12", None),
    ({"period": "range", "date": "2026-02-30", "since": "2024-03-01", "until": "2024-03-02"},
     "range", "2024-03-01", "2024-03-02", None),  # the day in it is not used
]


@pytest.mark.parametrize(("query", "kind", "first", "last", "replaced"), FORMS)
def test_the_form_gives_a_period(query: dict[str, str], kind: str, first: str, last: str,
                                 replaced: str | None) -> None:
    read = periods.parse(query, NOW)
    period = read.period
    assert (period.kind, period.first.isoformat(), period.last.isoformat()) == (
        kind, first, last)
    assert read.replaced == replaced


@pytest.mark.parametrize("query", [row[0] for row in FORMS])
def test_the_form_shown_again_gives_the_same_period(query: dict[str, str]) -> None:
    read = periods.parse(query, NOW)
    again = periods.parse(periods.shown(read), NOW)
    assert (again.period, again.threshold, again.replaced) == (read.period, read.threshold, None)


def test_a_refused_form_shows_what_was_typed() -> None:
    typed = periods.typed({"date": " 2026-02-30 ", "since": "2026-12-01", "other": "x"})
    assert typed == {"period": "month", "date": "2026-02-30", "since": "2026-12-01",
                     "until": "", "tz": "", "threshold": "", "facility": "", "line": "",
                     "queue": ""}


@pytest.mark.parametrize(("kind", "first", "last", "title"), [
    ("day", "2024-03-12", "2024-03-12", "Day 2024-03-12"),
    ("week", "2024-03-11", "2024-03-17", "Week 2024-03-11 to 2024-03-17"),
    ("month", "2024-02-01", "2024-02-29", "Month 2024-02-01 to 2024-02-29"),
    ("range", "2026-11-01", "2026-11-15", "Dates between 2026-11-01 and 2026-11-15"),
    ("range", "2026-11-01", "2026-11-01", "Day 2026-11-01"),  # a range of one day
])
def test_a_period_is_named_in_words(kind: str, first: str, last: str, title: str) -> None:
    period = periods.Period(kind, dt.date.fromisoformat(first), dt.date.fromisoformat(last),
                            "UTC")
    assert period.title == title


@pytest.mark.parametrize(("query", "fields"), [
    ({"period": "fortnight"}, {"period"}),
    ({"period": "range", "since": "2024-03-01"}, {"until"}),
    ({"period": "range"}, {"since", "until"}),
    ({"period": "month", "since": "2026-11-01"}, {"until"}),  # one end only
    ({"until": "2026-11-15"}, {"since"}),
    ({"since": "2026-12-01", "until": "2025-01-01"}, {"until"}),  # reversed
    ({"period": "month", "date": "2026-12-01", "since": "2026-12-01", "until": "2025-01-01"},
     {"until"}),
    ({"period": "range", "since": "1900-01-01", "until": "2024-01-01"}, {"since"}),
    ({"since": "2000-01-01", "until": "2024-03-01"}, {"until"}),  # too long
    ({"date": "12/03/2024"}, {"date"}),
    ({"date": "2026-02-30"}, {"date"}),  # no such day
    ({"since": "2026-02-30", "until": "2026-03-31"}, {"since"}),
    ({"tz": "../../etc/passwd"}, {"tz"}),
    ({"threshold": "3601"}, {"threshold"}),
    ({"facility": "1.5", "queue": "-1"}, {"facility", "queue"}),
])
def test_the_form_refuses_naming_each_field(query: dict[str, str], fields: set[str]) -> None:
    with pytest.raises(Invalid) as refused:
        periods.parse(query, NOW)
    assert set(refused.value.errors) == fields
    assert all(message.startswith(f"{name}: ")
               for name, message in refused.value.errors.items())


@pytest.mark.parametrize(("first", "zone", "hours"), [
    ("2024-03-12", "America/New_York", 24), ("2024-03-10", "America/New_York", 23),
    ("2024-11-03", "America/New_York", 25), ("2024-03-10", "UTC", 24),
])
def test_a_day_is_midnight_to_midnight_in_its_zone(first: str, zone: str, hours: int) -> None:
    period = periods.period_of("day", dt.date.fromisoformat(first), zone)
    assert period.end - period.start == dt.timedelta(hours=hours)


@pytest.mark.parametrize(("first", "last", "bucket", "count"), [
    ("2024-03-12", "2024-03-12", "hour", 24), ("2024-03-01", "2024-03-31", "day", 31),
    ("2024-01-01", "2024-06-30", "week", 26), ("2020-01-01", "2024-12-31", "month", 60),
])
def test_the_trend_has_every_step(first: str, last: str, bucket: str, count: int) -> None:
    period = periods.Period("range", dt.date.fromisoformat(first),
                            dt.date.fromisoformat(last), "UTC")
    assert period.bucket == bucket and len(periods.steps(period)) == count


def t(hour: float) -> dt.datetime:
    return dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


START, END = t(0), t(24)


@pytest.mark.parametrize(("name", "marks", "expected"), [
    ("nothing logged", [], {}),
    ("a shift", [Mark(1, t(8), "login"), Mark(1, t(12), "logout")],
     {1: Presence(4 * 3600.0)}),
    ("logged in before the period and after it",
     [Mark(1, t(-2), "login"), Mark(1, t(30), "logout")], {1: Presence(24 * 3600.0)}),
    ("a pause ends at the logout", [Mark(1, t(8), "login"), Mark(1, t(9), "pause", "lunch"),
                                    Mark(1, t(10), "logout")],
     {1: Presence(2 * 3600.0, {"lunch": 3600.0})}),
    ("a pause again changes the reason",
     [Mark(1, t(8), "login"), Mark(1, t(9), "pause", "a"), Mark(1, t(9.5), "pause", "b"),
      Mark(1, t(10), "unpause"), Mark(1, t(11), "logout")],
     {1: Presence(3 * 3600.0, {"a": 1800.0, "b": 1800.0})}),
    ("the same line from two queues counts once",
     [Mark(1, t(8), "login"), Mark(1, t(8), "login"), Mark(1, t(9), "logout"),
      Mark(1, t(9), "logout")], {1: Presence(3600.0)}),
    ("a logout and a login at one moment", [Mark(1, t(8), "login"), Mark(1, t(9), "logout"),
                                            Mark(1, t(9), "login"), Mark(1, t(10), "logout")],
     {1: Presence(2 * 3600.0)}),
    ("a pause while logged out is no pause", [Mark(1, t(8), "pause", "x")], {}),
])
def test_presence(name: str, marks: list[Mark], expected: dict[int, Presence]) -> None:
    assert operator_time.presence(marks, START, END) == expected, name


@pytest.mark.parametrize(("name", "talks", "marks", "expected"), [
    ("a call and its whole wrap-up", [Talk(1, t(9), t(9.5), 60)], [],
     {1: Work(1, 1800.0, 60.0)}),
    ("ready early", [Talk(1, t(9), t(9.5), 60)], [Mark(1, t(9.5) + dt.timedelta(seconds=5),
                                                        "ready")],
     {1: Work(1, 1800.0, 5.0)}),
    ("the next call ends the wrap-up",
     [Talk(1, t(9), t(9.5), 3600), Talk(1, t(9.75), t(10), 0)], [],
     {1: Work(2, 2700.0, 900.0)}),
    ("a ready before the call's end does not cut it",
     [Talk(1, t(9), t(9.5), 60)], [Mark(1, t(9.25), "ready")], {1: Work(1, 1800.0, 60.0)}),
    ("a call from before the period: only its part in it",
     [Talk(1, t(-0.5), t(0.5), 60)], [], {1: Work(0, 1800.0, 60.0)}),
    ("still talking at the end", [Talk(1, t(23.5), None, 60)], [], {1: Work(1, 1800.0, 0.0)}),
])
def test_work(name: str, talks: list[Talk], marks: list[Mark],
              expected: dict[int, Work]) -> None:
    assert operator_time.work(talks, marks, START, END) == expected, name


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (None, "seconds", "\u2013"), (27.5, "seconds", "0:28"), (3725.0, "seconds", "1:02:05"),
    (0.5, "share", "50.0%"), (7, "count", "7"), ("=cmd", "text", "=cmd"),
])
def test_cells_as_shown(value: tables.Cell, kind: str, shown: str) -> None:
    assert tables.shown(value, kind) == shown


def test_csv_cells_are_raw_numbers_and_inert_text() -> None:
    table = tables.Table("x", "X", ("Name", "Wait", "Level"), ("text", "seconds", "share"),
                         [("=HYPERLINK(1)", 27.5, 0.5), ("b", None, None)])
    assert tables.to_csv(table) == ("Name,Wait,Level\r\n'=HYPERLINK(1),27.5,0.5000\r\n"
                                    "b,,\r\n")


def test_charts_are_accessible_svg_with_their_text_escaped() -> None:
    bars = str(svg.bars("c1", "Calls <by> line", "desc & more", ["<script>", "b"],
                        [("Received", [3, 0]), ("Answered", [1, 0])]))
    assert bars.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="c1"')
    assert 'role="img"' in bars and 'aria-labelledby="c1-title c1-desc"' in bars
    assert "<title id=\"c1-title\">Calls &lt;by&gt; line</title>" in bars
    assert "desc &amp; more" in bars and "<script>" not in bars
    assert bars.count("<rect") == 2 + 4  # the legend's two, and a bar per series and row
    line = str(svg.lines("c2", "T", "D", ["a", "b", "c"], [("R", [0, 5, 10])]))
    assert 'points="48.0,220.0 376.0,122.0 704.0,24.0"' in line


@pytest.mark.parametrize(("value", "top"), [
    (0, 1.0), (1, 1.0), (3, 5.0), (11, 20.0), (24, 25.0), (26, 50.0), (999, 1000.0),
    (0.3, 0.5),
])
def test_the_axis_ends_on_a_round_number(value: float, top: float) -> None:
    assert svg.nice_top(value) == top


@pytest.mark.parametrize(("cells", "kinds", "html"), [
    (("Line <1> & co", 12, 27.5, 0.5), ("text", "count", "seconds", "share"),
     '<tr><th scope="row">Line &lt;1&gt; &amp; co</th><td>12</td><td>0:28</td>'
     "<td>50.0%</td></tr>"),
    (("Total", None, 3725.0), ("text", "seconds", "seconds"),
     '<tr><th scope="row">Total</th><td>\u2013</td><td>1:02:05</td></tr>'),
    (("Ana", "<b>", 60.0), ("text", "text", "seconds"),
     '<tr><th scope="row">Ana</th><td>&lt;b&gt;</td><td>1:00</td></tr>'),
])
def test_a_table_row_is_written_as_the_page_shows_it_with_its_text_escaped(
        cells: tuple[tables.Cell, ...], kinds: tuple[str, ...], html: str) -> None:
    assert table_html.row(cells, kinds) == html


def test_a_tables_body_and_total_are_its_rows() -> None:
    table = tables.Table("x", "X", ("Name", "Calls"), ("text", "count"),
                         [("a", 1), ("b", 2)], ("Total", 3))
    assert str(table_html.body(table)).split("\n") == [
        '<tr><th scope="row">a</th><td>1</td></tr>', '<tr><th scope="row">b</th><td>2</td></tr>']
    assert str(table_html.total(table)) == '<tr><th scope="row">Total</th><td>3</td></tr>'
    assert str(table_html.total(tables.Table("y", "Y", ("N",), ("text",), []))) == ""
