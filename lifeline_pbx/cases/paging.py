"""One page of a long list, with the total: a list never stops short without saying so."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 25
MAX_PAGE = 1_000_000


class PageInvalid(ValueError):
    """The page asked for is not a page number; the message is for the screen."""


def parse_page(raw: str) -> int:
    """The page number from the address ("" is the first page)."""
    text = raw.strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise PageInvalid("page: give a page number (1, 2, ...).")
    return int(text)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    size: int
    total: int  # items in the whole list

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_item(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_item(self) -> int:
        return min(self.offset + self.size, self.total)


def page_of(requested: int, total: int, size: int = PAGE_SIZE) -> Page:
    """The page to show: a number past the end shows the last page."""
    page = Page(1, size, total)
    return Page(min(max(requested, 1), page.last), size, total)
