"""List filters as an address gives them: checked, or refused with a message for the screen
(a 422 from the view), never a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

from lifeline_pbx.errors import Invalid

MAX_VALUE = 200


class FilterInvalid(Invalid):
    """A filter value that cannot be meant; the message is for the screen."""


def checked(query: Mapping[str, str]) -> Mapping[str, str]:
    for name, value in query.items():
        if len(value) > MAX_VALUE:
            raise FilterInvalid(f"{name}: at most {MAX_VALUE} characters.")
    return query


def text(query: Mapping[str, str], name: str) -> str | None:
    return query.get(name, "").strip() or None


def day(query: Mapping[str, str], name: str) -> dt.date | None:
    value = query.get(name, "").strip()
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise FilterInvalid(f"{name}: give a date as YYYY-MM-DD.") from None


def period(query: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None]:
    since, until = day(query, "since"), day(query, "until")
    if since and until and until < since:
        raise FilterInvalid("until: the end comes before the start.")
    return since, until


def number(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise FilterInvalid(f"Choose a {name} from the list.")
    return int(value)


def choice(query: Mapping[str, str], name: str, allowed: Collection[str]) -> str | None:
    value = text(query, name)
    if value is not None and value not in allowed:
        raise FilterInvalid(f"Choose a {name} from the list.")
    return value


def known(chosen: Iterable[tuple[str, object, Collection[object]]]) -> None:
    """Refuses the values chosen (name, value or None, the values there are) that are not
    there (any more), each beside its field."""
    errors = {name: f"{name}: there is no such {name}; choose one from the list."
              for name, value, there in chosen if value is not None and value not in there}
    if errors:
        raise Invalid(errors)
