"""The audit viewer's filters as the address gives them: checked, or refused with a message
naming the filter (a 422), never a server error."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import get_args

from lifeline_pbx.audit import Action
from lifeline_pbx.cases import anumber
from lifeline_pbx.web.filters import FilterInvalid, checked, choice, number, period, text

ACTIONS: tuple[str, ...] = get_args(Action)
_ENTITY = re.compile(r"[a-z][a-z0-9_]{0,59}")


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    person_id: uuid.UUID | None = None
    a_number: str | None = None  # normalised: the person is looked up by it (viewer)
    action: str | None = None
    entity: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def used(self) -> list[str]:
        """The names of the filters given (what an audit entry of this view records)."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


def parse(query: Mapping[str, str]) -> AuditFilter:
    checked(query)
    since, until = period(query)
    person_id, a_number = _person(text(query, "person"))
    entity = text(query, "entity")
    if entity is not None and not _ENTITY.fullmatch(entity):
        raise FilterInvalid("entity: choose a kind of record from the list.", "entity")
    return AuditFilter(user_id=number(query, "user"), person_id=person_id, a_number=a_number,
                       action=choice(query, "action", ACTIONS), entity=entity,
                       since=since, until=until)


def _person(typed: str | None) -> tuple[uuid.UUID | None, str | None]:
    """The person filter: their id (as on their page, and in links from other pages) or
    their A-number (normalised), or neither."""
    if typed is None:
        return None, None
    try:
        return uuid.UUID(typed), None
    except ValueError:
        pass
    try:
        return None, anumber.normalise(typed)
    except anumber.ANumberError:
        raise FilterInvalid("person: give an A-number (the letter A and 8 or 9 digits) or "
                            "the person's id as on their page.", "person") from None
