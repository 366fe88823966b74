"""Blind-index tokens: how a person is found by a word of their name or their date of birth
without anything readable in the database.

A name is normalised (NFKD, accents dropped, casefolded), cut into words at spaces and
punctuation, and each word into parts at hyphens and apostrophes. A record is stored under
every part, every hyphenated word joined up ("jean-pierre" -> "jeanpierre") and every two
neighbouring words joined up ("garcia lopez" -> "garcialopez"), so that "Jean Pierre",
"Jean-Pierre" and "JeanPierre" find each other. A query needs every one of its words: a
plain word as it is, a hyphenated one joined up. Each term is stored only as an HMAC under
a key derived from the lookup key (docs/decisions.md: "Finding people by name").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import re
import unicodedata
from collections.abc import Iterable

from lifeline_pbx.crypto import KeyRing

TOKEN_BYTES = 16
MIN_PART = 2  # a lone initial or "O" of "O'Brien" finds too many people to be worth a token
_LABEL = b"lifeline-pbx person search tokens v1"
_JOINERS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212'`\u2018\u2019\u02bc\u00b4"
_JOINER = re.compile(f"[{re.escape(_JOINERS)}]")
_SEPARATOR = re.compile(r"[^\w-]+|_+")
# Letters that NFKD does not take apart into a base letter and an accent.
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "\u0131": "i", "æ": "ae",
                       "œ": "oe", "þ": "th", "ð": "d"})


def normalise(text: str) -> str:
    """Lower case without accents: 'Núñez-O\u2019Brien' -> 'nunez-o-brien' (joiners kept as '-')."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _JOINER.sub("-", bare.casefold().translate(_FOLD))


def words(text: str) -> list[list[str]]:
    """The words of a name, each as its parts: 'María José Núñez-O\u2019Brien' ->
    [['maria'], ['jose'], ['nunez', 'o', 'brien']]."""
    chunks = _SEPARATOR.sub(" ", normalise(text)).split()
    found = [[part for part in chunk.split("-") if part] for chunk in chunks]
    return [parts for parts in found if parts]


def stored_terms(names: Iterable[str]) -> set[str]:
    """Every term a person with these names (spellings) is found under."""
    terms: set[str] = set()
    for name in names:
        split = words(name)
        joined = ["".join(parts) for parts in split]
        for parts, whole in zip(split, joined, strict=True):
            terms.update(p for p in parts if len(p) >= MIN_PART)
            terms.add(whole)
        terms.update(a + b for a, b in itertools.pairwise(joined))
    return {t for t in terms if len(t) >= MIN_PART}


def query_terms(text: str) -> list[str]:
    """The terms a query needs, each one: its words, hyphenated ones joined up."""
    terms = ("".join(parts) for parts in words(text))
    return list(dict.fromkeys(t for t in terms if len(t) >= MIN_PART))


def dob_term(day: dt.date) -> str:
    return f"dob:{day.isoformat()}"


def _name_term(term: str) -> str:
    return f"name:{term}"


def search_key(keys: KeyRing) -> bytes:
    """A key of its own, so that a name token can never equal an A-number lookup hash."""
    return hmac.new(keys.lookup_key, _LABEL, hashlib.sha256).digest()


def token(key: bytes, term: str) -> bytes:
    return hmac.new(key, term.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]


def person_tokens(keys: KeyRing, names: Iterable[str], dob: dt.date | None) -> set[bytes]:
    key = search_key(keys)
    terms = [_name_term(t) for t in stored_terms(names)]
    if dob is not None:
        terms.append(dob_term(dob))
    return {token(key, t) for t in terms}


def name_query_tokens(keys: KeyRing, text: str) -> list[bytes]:
    key = search_key(keys)
    return [token(key, _name_term(t)) for t in query_terms(text)]


def dob_query_token(keys: KeyRing, day: dt.date) -> bytes:
    return token(search_key(keys), dob_term(day))
