"""The name normaliser and tokeniser behind the people search: pure, table-driven."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from lifeline_pbx import crypto
from lifeline_pbx.cases import search_tokens as st

KEYS = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))


@pytest.mark.parametrize("typed, normal", [
    ("María José", "maria jose"),
    ("NÚÑEZ", "nunez"),
    ("O\u2019Brien", "o-brien"),
    ("D'Angelo", "d-angelo"),
    ("Jean\u2013Pierre", "jean-pierre"),
    ("Straße", "strasse"),
    ("Øyvind Łukasz", "oyvind lukasz"),
    ("Ç\u0327", "c"),  # a combining mark typed separately
    ("\uff4d\uff41\uff52\uff49\uff41", "maria"),  # full-width letters
])
def test_normalise(typed: str, normal: str) -> None:
    assert st.normalise(typed) == normal


@pytest.mark.parametrize("name, expected", [
    ("María José García López", {"maria", "jose", "garcia", "lopez", "mariajose",
                                 "josegarcia", "garcialopez"}),
    ("Jean-Pierre Núñez", {"jean", "pierre", "jeanpierre", "nunez", "jeanpierrenunez"}),
    ("Seán O'Brien", {"sean", "brien", "obrien", "seanobrien"}),
    ("K'iche' Tzul", {"kiche", "iche", "tzul", "kichetzul"}),
    ("J. R. Smith", {"smith", "jr", "rsmith"}),  # initials only as part of a pair
    ("  ", set()),
])
def test_a_record_is_stored_under_its_words_parts_and_joined_neighbours(
        name: str, expected: set[str]) -> None:
    assert st.stored_terms([name]) == expected


@pytest.mark.parametrize("stored, query, found", [
    # accents and case ignored, both ways
    ("María García", "maria", True),
    ("Maria Garcia", "MARÍA", True),
    # any part, in any order
    ("María José García López", "López", True),
    ("María José García López", "lopez maria", True),
    ("María José García López", "Garcia Lopez Jose Maria", True),
    # two surnames typed joined by a hyphen, or only one of them
    ("María García López", "García-López", True),
    ("María García-López", "Garcia Lopez", True),
    ("María García-López", "lopez", True),
    # apostrophes: with, without, or the part after it
    ("Seán O'Brien", "obrien", True),
    ("Seán O\u2019Brien", "O'Brien", True),
    ("Sean OBrien", "O'Brien", True),
    ("Seán O'Brien", "brien", True),
    # hyphenated first names, typed with a space, a hyphen or joined up
    ("Jean-Pierre Dupont", "jean pierre", True),
    ("Jean Pierre Dupont", "jean-pierre", True),
    ("Jeanpierre Dupont", "jean-pierre", True),
    # every word typed must be there; a part of a word is not a word
    ("María García", "maria lopez", False),
    ("María García", "gar", False),
    ("Maria Garcia", "mariagarci", False),
])
def test_a_query_finds_a_record_by_any_part(stored: str, query: str, found: bool) -> None:
    terms = st.query_terms(query)
    assert terms
    assert (set(terms) <= st.stored_terms([stored])) is found


def test_a_query_with_nothing_to_search_by_has_no_terms() -> None:
    assert st.query_terms("J . ' -") == []


def test_tokens_are_keyed_truncated_and_separate_names_from_dates() -> None:
    tokens = st.person_tokens(KEYS, ["Ana Pérez"], dt.date(1990, 2, 3))
    assert len(tokens) == 4 and all(len(t) == st.TOKEN_BYTES for t in tokens)
    assert set(st.name_query_tokens(KEYS, "perez ANA")) < tokens
    assert st.dob_query_token(KEYS, dt.date(1990, 2, 3)) in tokens
    assert st.dob_query_token(KEYS, dt.date(1990, 2, 4)) not in tokens
    other = crypto.key_ring((("k1", KEYS.keys["k1"]),), os.urandom(32))
    assert not set(st.name_query_tokens(other, "ana")) & tokens
    # never the A-number's lookup hash, even for the same text
    assert KEYS.lookup("name:ana")[:st.TOKEN_BYTES] not in tokens
