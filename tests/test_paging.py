"""The shared pager: which rows an address asks for, refusals, and the links it makes."""

from __future__ import annotations

import pytest

from lifeline_pbx.web import paging
from lifeline_pbx.web.paging import Page, PageError, Window


@pytest.mark.parametrize("query, expected", [
    ({}, Window(1, 50)),
    ({"page": "3"}, Window(3, 50)),
    ({"page": " 2 ", "per_page": "10"}, Window(2, 10)),
    ({"per_page": "100000"}, Window(1, paging.MAX_PER_PAGE)),  # brought down, not refused
    ({"page": ""}, Window(1, 50)),
])
def test_window(query: dict[str, str], expected: Window) -> None:
    assert paging.window(query) == expected


@pytest.mark.parametrize("query", [
    {"page": "0"}, {"page": "-1"}, {"page": "x"}, {"page": "1.5"}, {"page": "²"},
    {"page": "99999999999999999999"}, {"per_page": "0"}, {"page": "1000001"},
])
def test_a_page_that_cannot_exist_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(PageError):
        paging.window(query)


@pytest.mark.parametrize("total, number, pages, first, last, previous, following", [
    (0, 1, 1, 0, 0, None, None),
    (10, 1, 1, 1, 10, None, None),
    (25, 1, 3, 1, 10, None, 2),
    (25, 2, 3, 11, 20, 1, 3),
    (25, 3, 3, 21, 25, 2, None),
    (25, 9, 3, 0, 0, 3, None),  # past the end: nothing, and a way back to the last page
])
def test_page(total: int, number: int, pages: int, first: int, last: int,
              previous: int | None, following: int | None) -> None:
    at = Window(number, 10)
    shown = max(0, min(10, total - at.offset))
    p = Page(list(range(shown)), total, at)
    assert (p.pages, p.first_row, p.last_row, p.previous, p.next) == (
        pages, first, last, previous, following)


def test_links_keep_the_other_filters_and_replace_the_page() -> None:
    p = Page([1], 30, Window(2, 10), (("category", "a&b"), ("page", "2")))
    assert p.href(3) == "?category=a%26b&page=3"
    calls = Page([1], 30, Window(1, 10), (("page", "4"),), param="calls_page")
    assert calls.href(2) == "?page=4&calls_page=2"


def test_past_the_count_cap_the_page_says_more_and_still_goes_on() -> None:
    more = paging.COUNT_CAP + 1
    full = Page(list(range(10)), more, Window(1500, 10))
    assert not full.exact and full.next == 1501 and full.previous == 1499
    assert Page(list(range(3)), more, Window(1501, 10)).next is None
    assert Page(list(range(10)), paging.COUNT_CAP, Window(1000, 10)).next is None
    assert paging.capped_count("SELECT 1 FROM calls") == (
        f"SELECT count(*) FROM (SELECT 1 FROM calls LIMIT {more}) AS counted")


@pytest.mark.parametrize("number, total, shown, note", [
    (1, 0, Window(1, 10), ""),
    (3, 25, Window(3, 10), ""),
    (2, 11, Window(2, 10), ""),
    (9999, 40, Window(4, 10, past_end=9999),
     "There is no page 9999: there are only 4 pages, and this is the last."),
    (9, 25, Window(3, 10, past_end=9),
     "There is no page 9: there are only 3 pages, and this is the last."),
    (2, 10, Window(1, 10, past_end=2),
     "There is no page 2: there is only 1 page, and this is the last."),
    (9, 0, Window(1, 10, past_end=9),
     "There is no page 9: there is only 1 page, and this is the last."),
    (1001, paging.COUNT_CAP, Window(1000, 10, past_end=1001),
     "There is no page 1001: there are only 1000 pages, and this is the last."),
    # past the cap the end is not known: as asked
    (2000, paging.COUNT_CAP + 1, Window(2000, 10), ""),
])
def test_a_page_past_the_end_is_the_last_and_says_so(number: int, total: int, shown: Window,
                                                     note: str) -> None:
    at = paging.clamped(Window(number, 10), total)
    assert at == shown
    assert Page([], total, at).past_end == note
