"""The audit viewer's person filter as the address gives it: an id or an A-number."""

from __future__ import annotations

import uuid

import pytest

from lifeline_pbx.audit import query
from lifeline_pbx.web.filters import FilterInvalid

PERSON = uuid.UUID("00000000-0000-4000-8000-00000000a001")


@pytest.mark.parametrize("typed, person_id, a_number", [
    ("", None, None),
    (str(PERSON), PERSON, None),  # the id, as links from other pages give it
    (f" {str(PERSON).upper()} ", PERSON, None),
    ("A208-555-777", None, "208555777"),
    (" a 20855577 ", None, "020855577"),  # 8 digits take a leading 0
    ("208555777", None, "208555777"),
])
def test_the_person_is_given_by_id_or_by_a_number(typed: str, person_id: uuid.UUID | None,
                                                  a_number: str | None) -> None:
    found = query.parse({"person": typed})
    assert (found.person_id, found.a_number) == (person_id, a_number)


@pytest.mark.parametrize("typed", ["someone", "A01234", "A000000000", str(PERSON)[:-1]])
def test_neither_an_id_nor_an_a_number_is_refused_by_name(typed: str) -> None:
    with pytest.raises(FilterInvalid) as refused:
        query.parse({"person": typed})
    assert list(refused.value.errors) == ["person"]
    assert "A-number" in refused.value.message
