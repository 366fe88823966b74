"""The summary's decisions without a database: the period asked for and the one before it,
the change against it, the people figure, and report counts split by period."""

from __future__ import annotations

import datetime as dt

import pytest

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence import summary
from lifeline_pbx.evidence.heatmap import Count
from lifeline_pbx.evidence.months import Months


def m(first: str, last: str) -> Months:
    return Months(dt.date.fromisoformat(first + "-01"), dt.date.fromisoformat(last + "-01"))


# (now, before) -> text, percent, direction
CHANGES = [
    ((0, 0), "no change", None, "same"),
    ((5, 5), "no change", 0, "same"),
    ((3, 0), "new", None, "up"),
    ((0, 4), "-4 (-100%)", -100, "down"),
    ((9, 4), "+5 (+125%)", 125, "up"),
    ((2, 3), "-1 (-33%)", -33, "down"),
    ((1, 3), "-2 (-67%)", -67, "down"),
    ((9, 8), "+1 (+13%)", 13, "up"),  # 12.5: half away from zero
    ((7, 8), "-1 (-13%)", -13, "down"),
    ((201, 200), "+1 (+1%)", 1, "up"),  # 0.5
    ((1, 1000), "-999 (-100%)", -100, "down"),  # 99.9
]


@pytest.mark.parametrize(("counts", "text", "percent", "direction"), CHANGES)
def test_a_change_gives_its_sign_and_percentage_or_new(counts: tuple[int, int], text: str,
                                                       percent: int | None,
                                                       direction: str) -> None:
    change = summary.Change(*counts)
    assert (change.text, change.percent, change.direction) == (text, percent, direction)
    assert change.difference == counts[0] - counts[1]


# (named, nameless, grouped, unsized) -> text
# (named, nameless, largest, others, unsized) -> the figure
PEOPLE = [
    ((0, 0, 0, 0, 0), "0"),
    ((3, 0, 0, 0, 0), "3"),  # every report names its person: exact
    ((1, 2, 0, 0, 0), "at least 1"),
    ((0, 2, 0, 0, 0), "at least 1"),  # reports name no one: someone at least
    ((0, 0, 2, 0, 1), "at least 2"),  # a group that does not say is two people at least
    ((0, 0, 2, 1, 2), "at least 2"),  # two at one facility: maybe the same people
    ((0, 0, 4, 0, 2), "at least 4"),  # one at each of two facilities
    ((5, 0, 2, 0, 1), "at least 7"),
    ((0, 3, 4, 0, 2), "at least 4"),
    ((0, 0, 3, 0, 0), "3"),  # a group of about 3, said: exact
    ((2, 0, 7, 0, 0), "9"),  # two people named, groups of 3 and 4 at two facilities
    ((2, 0, 4, 1, 0), "at least 6"),  # ... at one facility: the larger, a lower bound
    ((0, 1, 3, 0, 0), "at least 3"),  # and a report that records no one
    ((1, 0, 3, 1, 1), "at least 4"),  # a group of 3 said, one not, at one facility
]


@pytest.mark.parametrize(("counts", "text"), PEOPLE)
def test_people_are_exact_only_when_every_report_names_its_person_or_group_size(
        counts: tuple[int, int, int, int, int], text: str) -> None:
    assert summary.people(*counts).text == text


# today -> the last full quarter
QUARTERS = [
    ("2024-01-01", ("2023-10", "2023-12")),
    ("2024-03-31", ("2023-10", "2023-12")),
    ("2024-04-01", ("2024-01", "2024-03")),
    ("2024-08-15", ("2024-04", "2024-06")),
    ("2024-12-31", ("2024-07", "2024-09")),
]


@pytest.mark.parametrize(("today", "quarter"), QUARTERS)
def test_the_default_is_the_last_full_quarter(today: str, quarter: tuple[str, str]) -> None:
    assert summary.period({}, dt.date.fromisoformat(today)) == m(*quarter)
    assert summary.period({"from": " ", "to": ""}, dt.date.fromisoformat(today)) == m(*quarter)


# asked -> the period, the one before
PERIODS = [
    ({"from": "2024-01", "to": "2024-03"}, ("2024-01", "2024-03"), ("2023-10", "2023-12")),
    ({"from": "2024-02", "to": "2024-02"}, ("2024-02", "2024-02"), ("2024-01", "2024-01")),
    ({"from": "2023-07", "to": "2024-06"}, ("2023-07", "2024-06"), ("2022-07", "2023-06")),
    ({"from": "2020-01", "to": "2024-12"}, ("2020-01", "2024-12"), ("2015-01", "2019-12")),
    ({"to": "2024-06"}, ("2023-07", "2024-06"), ("2022-07", "2023-06")),  # as /evidence
]


@pytest.mark.parametrize(("asked", "period", "before"), PERIODS)
def test_the_period_before_has_as_many_months(asked: dict[str, str], period: tuple[str, str],
                                              before: tuple[str, str]) -> None:
    found = summary.period(asked, dt.date(2025, 5, 5))
    assert found == m(*period)
    assert summary.before(found) == m(*before)
    assert len(summary.before(found).all) == len(found.all)


@pytest.mark.parametrize(("asked", "field"), [
    ({"from": "2024-13"}, "from"),
    ({"from": "2024-04", "to": "2024-03"}, "to"),
    ({"from": "2019-12", "to": "2024-12"}, "to"),  # 61 months
])
def test_a_bad_period_is_refused_naming_the_field(asked: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        summary.period(asked, dt.date(2025, 5, 5))
    assert set(refused.value.errors) == {field}


@pytest.mark.parametrize(("period", "today", "day"), [
    (("2024-01", "2024-03"), "2025-05-05", "2024-04-01"),  # over: the day after it
    (("2024-01", "2024-03"), "2024-02-10", "2024-02-10"),  # not over: today
    (("2024-01", "2024-03"), "2024-04-01", "2024-04-01"),
])
def test_follow_ups_are_found_overdue_at_the_end_or_today(period: tuple[str, str], today: str,
                                                          day: str) -> None:
    assert summary.overdue_on(m(*period), dt.date.fromisoformat(today)) == \
        dt.date.fromisoformat(day)


def test_counts_split_into_the_two_periods_and_line_up_by_label() -> None:
    jan, dec, sep = dt.date(2024, 1, 1), dt.date(2023, 12, 1), dt.date(2023, 9, 1)
    counts = [Count(1, None, jan, 2, 3), Count(1, None, dec, 1, 2), Count(2, None, dec, 4, 1),
              Count(3, None, sep, 7, 1),  # before both periods: left out
              Count(1, None, dt.date(2024, 3, 1), 1, 1)]
    now, then = summary.split(counts, m("2024-01", "2024-03"), m("2023-10", "2023-12"),
                              "facility_id")
    assert (now, then) == ({1: 3}, {1: 1, 2: 4})
    found = summary.lines(now, then, {2: "Beta", 1: "Alpha", 4: "Delta"})
    assert [(x.key, x.label, x.change.text) for x in found] == [
        (2, "Beta", "-4 (-100%)"), (1, "Alpha", "+2 (+200%)")]
    everyone = summary.lines(now, then, {2: "Beta", 1: "Alpha", 4: "Delta"}, every=True)
    assert [(x.label, x.change.now, x.change.before) for x in everyone] == [
        ("Beta", 0, 4), ("Alpha", 3, 1), ("Delta", 0, 0)]
    assert summary.total(found) == summary.Change(3, 5)
