"""Pages of a long list: which rows the address asks for, and the links to the others.

Every list page shows its total count, so nothing is ever cut off without saying so; past
COUNT_CAP matches it says "more than 10,000" instead of counting a million rows on every
page view (the pages still go on). A malformed page number is refused (an Invalid: 422);
a page size above the maximum is brought down to it. A page past the end of an exactly
counted list shows the last page, saying so (`clamped`): each list's unit of work counts,
then clamps, then reads the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from lifeline_pbx.errors import Invalid

T = TypeVar("T")
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
COUNT_CAP = 10_000


def capped_count(select: str) -> str:
    """SQL counting the rows of select, but no further than one past COUNT_CAP."""
    return f"SELECT count(*) FROM ({select} LIMIT {COUNT_CAP + 1}) AS counted"


class PageError(Invalid):
    """The address asks for a page that cannot exist; the message is for the screen."""


@dataclass(frozen=True)
class Window:
    number: int
    per_page: int
    past_end: int | None = None  # the page asked for, when past the end (this is the last)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def _whole(raw: str, name: str, default: int) -> int:
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7:
        raise PageError(f"{name}: give a whole number from 1.", name)
    return int(raw)


def window(query: Mapping[str, str], *, param: str = "page",
           default_per_page: int = DEFAULT_PER_PAGE) -> Window:
    """The page the query asks for (param, and per_page) or the first."""
    number = _whole(query.get(param, "").strip(), param, 1)
    per_page = _whole(query.get("per_page", "").strip(), "per_page", default_per_page)
    if number < 1 or number > MAX_PAGE or per_page < 1:
        raise PageError(f"{param}: give a whole number from 1.", param)
    return Window(number, min(per_page, MAX_PER_PAGE))


def requested(request: web.Request, *, param: str = "page",
              default_per_page: int = DEFAULT_PER_PAGE) -> Window:
    return window(request.query, param=param, default_per_page=default_per_page)


def clamped(at: Window, total: int) -> Window:
    """A page past the end of an exactly counted list shows its last page instead (and
    remembers the page asked for, for the pager to say so)."""
    last = max(1, math.ceil(total / at.per_page))
    if total > COUNT_CAP or at.number <= last:
        return at
    return Window(last, at.per_page, past_end=at.number)


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    window: Window
    query: tuple[tuple[str, str], ...] = ()  # the address's other parameters, kept in links
    param: str = "page"

    @property
    def number(self) -> int:
        return self.window.number

    @property
    def exact(self) -> bool:
        return self.total <= COUNT_CAP

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def pages(self) -> int:
        """How many pages there are (when not exact: at least this many)."""
        return max(1, math.ceil(self.total / self.window.per_page))

    @property
    def first_row(self) -> int:
        return self.window.offset + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.window.offset + len(self.rows) if self.rows else 0

    @property
    def previous(self) -> int | None:
        if self.number == 1:
            return None
        return min(self.number - 1, self.pages) if self.exact else self.number - 1

    @property
    def next(self) -> int | None:
        more = (self.number < self.pages if self.exact
                else len(self.rows) == self.window.per_page)
        return self.number + 1 if more else None

    @property
    def past_end(self) -> str:
        """What the pager says when the page asked for was past the end ("" otherwise)."""
        asked = self.window.past_end
        if asked is None:
            return ""
        pages = "is only 1 page" if self.pages == 1 else f"are only {self.pages} pages"
        return f"There is no page {asked}: there {pages}, and this is the last."

    def href(self, number: int) -> str:
        kept = [(k, v) for k, v in self.query if k != self.param]
        return "?" + urlencode([*kept, (self.param, str(number))])


def page(rows: Sequence[T], total: int, at: Window, request: web.Request | None = None,
         param: str = "page") -> Page[T]:
    query = tuple(request.query.items()) if request is not None else ()
    return Page(rows, total, at, query, param)
