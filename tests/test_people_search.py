"""Finding people against a real PostgreSQL: by any part of a name, A-number, date of birth
and facility; tokens kept in step by edits and merges; rebuilt by key rotation (old tokens
stop matching); and nothing in the raw rows that shows a name without the key."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from lifeline_pbx import crypto, rotation
from lifeline_pbx.cases import people, person_merge, person_work, search, search_tokens
from lifeline_pbx.cases.forms import PersonEdit, PersonForm
from lifeline_pbx.web.paging import Window
from tests.pg_fixtures import connect
from tests.privacy import sensitive

KEYS = crypto.key_ring((("old", os.urandom(32)),), os.urandom(32))
ROTATED = crypto.key_ring((("new", os.urandom(32)), ("old", KEYS.keys["old"])),
                          os.urandom(32))
ALL = Window(1, 50)
PEOPLE = {
    "208000001": (("María José García López",), dt.date(1990, 2, 3)),
    "208000002": (("Seán O'Brien",), None),
    "208000003": (("Jean-Pierre Núñez", "Jean Pierre Nunes"), dt.date(1985, 7, 9)),
    "208000004": (("Maria Garcia",), dt.date(1990, 2, 3)),
    "208000005": (("K'iche' Tzul Batz",), None),
}


@pytest.fixture
async def con(app_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    async with connect(app_dsn) as connection:
        yield connection


async def _people(con: asyncpg.Connection) -> dict[str, uuid.UUID]:
    sensitive(*(n for names, _ in PEOPLE.values() for n in names), *PEOPLE)
    user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
    facilities = [r["id"] for r in await con.fetch("SELECT id FROM facilities ORDER BY id")]
    ids = {}
    for i, (a_number, (names, dob)) in enumerate(PEOPLE.items()):
        form = PersonForm(a_number, names, dob, "", facilities[i % 2])
        async with con.transaction():
            ids[a_number] = await people.create(con, KEYS, form, user)
    return ids


async def _found(con: asyncpg.Connection, keys: crypto.KeyRing = KEYS,
                 **criteria: object) -> set[str]:
    total, _, found = await search.find(con, keys, search.Criteria(**criteria),  # type: ignore[arg-type]
                                        ALL)
    assert total == len(found)
    return {p.a_number for p in found}


@pytest.mark.parametrize("typed, expected", [
    ("maria", {"208000001", "208000004"}),
    ("MARÍA garcía", {"208000001", "208000004"}),
    ("lopez", {"208000001"}),
    ("Lopez Garcia Jose", {"208000001"}),
    ("García-López", {"208000001"}),
    ("o'brien", {"208000002"}),
    ("OBrien", {"208000002"}),
    ("Brien Sean", {"208000002"}),
    ("jean pierre", {"208000003"}),
    ("Jeanpierre", {"208000003"}),
    ("nunez", {"208000003"}),
    ("Nunes", {"208000003"}),
    ("kiche batz", {"208000005"}),
    ("Garc", set()),
    ("maria obrien", set()),
])
async def test_names_are_found_by_any_part(con: asyncpg.Connection, typed: str,
                                           expected: set[str]) -> None:
    await _people(con)
    assert await _found(con, name=typed) == expected


async def test_a_number_date_of_birth_and_facility_narrow_the_search(
        con: asyncpg.Connection) -> None:
    ids = await _people(con)
    first, second = [r["id"] for r in await con.fetch("SELECT id FROM facilities ORDER BY id")][:2]
    assert await _found(con, a_number="208000002") == {"208000002"}
    assert await _found(con, a_number="208999999") == set()
    assert await _found(con, date_of_birth=dt.date(1990, 2, 3)) == {"208000001", "208000004"}
    assert await _found(con, facility_id=second) == {"208000002", "208000004"}
    assert await _found(con, name="maria", facility_id=first) == {"208000001"}
    assert await _found(con, name="maria", date_of_birth=dt.date(1990, 2, 4)) == set()
    assert await _found(con, name="garcia", a_number="208000004") == {"208000004"}
    assert await _found(con, name="garcia maria", date_of_birth=dt.date(1990, 2, 3),
                        facility_id=first) == {"208000001"}
    total, _, page = await search.find(con, KEYS, search.Criteria(name="maria"), Window(2, 1))
    assert total == 2 and len(page) == 1 and page[0].id in ids.values()
    pages = [await search.find(con, KEYS, search.Criteria(name="maria garcia"), Window(n, 1))
             for n in (1, 2, 3)]
    assert [(total, at, len(page)) for total, at, page in pages] == [
        (2, Window(1, 1), 1), (2, Window(2, 1), 1), (2, Window(2, 1, past_end=3), 1)]
    assert sorted(page[0].id for _, _, page in pages[:2]) == sorted(
        [ids["208000001"], ids["208000004"]])  # in a fixed order, the two pages differ


async def test_edits_and_merges_keep_the_tokens_in_step(con: asyncpg.Connection) -> None:
    ids = await _people(con)
    user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
    form = PersonForm("208000002", ("Sean Obrian Walsh",), dt.date(1970, 1, 1), "", None)
    _, opened = await person_work.person_to_edit(con, KEYS, ids["208000002"], user)
    await person_work.edit_person(con, KEYS, ids["208000002"], PersonEdit(form, ""), opened,
                                  user)
    assert await _found(con, name="walsh") == {"208000002"}
    assert await _found(con, name="o'brien") == set()  # the old spelling is gone
    assert await _found(con, date_of_birth=dt.date(1970, 1, 1)) == {"208000002"}
    preview = await person_merge.preview(con, KEYS, ids["208000004"], "208000001", user)
    await person_merge.confirm(con, KEYS, ids["208000004"], ids["208000001"], preview.mark,
                               user)
    # the kept record is found by the names it took over; the merged one is not listed
    assert await _found(con, name="lopez") == {"208000004"}
    assert await _found(con, name="maria") == {"208000004"}
    assert await con.fetchval("SELECT count(*) FROM person_search_tokens WHERE person_id = $1",
                              ids["208000001"]) == 0


async def test_a_merged_away_a_number_finds_the_kept_record(con: asyncpg.Connection) -> None:
    """As /people?a_number= and the console's lookup do (people.find_by_a_number)."""
    ids = await _people(con)
    user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
    for merged, kept in (("208000001", "208000004"), ("208000004", "208000003")):
        preview = await person_merge.preview(con, KEYS, ids[kept], merged, user)
        await person_merge.confirm(con, KEYS, ids[kept], ids[merged], preview.mark, user)
    # 208000001 went into 208000004, which went into 208000003
    for a_number in ("208000001", "208000004", "208000003"):
        assert await _found(con, a_number=a_number) == {"208000003"}
        found = await people.find_by_a_number(con, KEYS, a_number)
        assert found is not None and found.a_number == "208000003"
    assert await _found(con, a_number="208000001", name="lopez") == {"208000003"}
    assert await _found(con, a_number="208000001", name="obrien") == set()
    assert await _found(con, a_number="208000002") == {"208000002"}


async def test_rotation_rebuilds_the_tokens_and_old_ones_stop_matching(
        con: asyncpg.Connection) -> None:
    ids = await _people(con)
    before = {bytes(r["token"]) for r in await con.fetch("SELECT token FROM person_search_tokens")}
    old_query = search_tokens.name_query_tokens(KEYS, "garcia")
    assert await _found(con, name="garcia") == {"208000001", "208000004"}

    counts = await rotation.rotate(con, ROTATED)
    assert counts["person_search_tokens"].rehashed == len(PEOPLE)

    after = {bytes(r["token"]) for r in await con.fetch("SELECT token FROM person_search_tokens")}
    assert len(after) == len(before) and not before & after
    assert await _found(con, name="garcia") == set()  # the old key finds nobody
    assert await _found(con, ROTATED, name="garcia") == {"208000001", "208000004"}
    assert await _found(con, ROTATED, name="Núñez") == {"208000003"}
    assert await _found(con, ROTATED, date_of_birth=dt.date(1985, 7, 9)) == {"208000003"}
    assert not await con.fetchval(
        "SELECT count(*) FROM person_search_tokens WHERE token = ANY($1::bytea[])", old_query)
    assert (await rotation.rotate(con, ROTATED))["person_search_tokens"].rehashed == 0
    assert len(ids) == len(PEOPLE)


async def test_raw_rows_reveal_no_name(con: asyncpg.Connection) -> None:
    await _people(con)
    dump = b""
    for table in ("persons", "person_search_tokens"):
        for r in await con.fetch(f"SELECT * FROM {table}"):
            dump += str(tuple(r)).encode() + b"".join(v for v in r if isinstance(v, bytes))
    words = {w for names, _ in PEOPLE.values() for n in names
             for w in (*n.split(), *search_tokens.stored_terms([n]))}
    for word in words:
        for form in {word, word.lower(), word.upper(), word.capitalize()}:
            assert form.encode() not in dump, word
    # and the tokens are not an unkeyed hash anyone could compute from a list of names
    unkeyed = {hashlib.sha256(f"name:{w}".encode()).digest()[:16] for w in words}
    tokens = {bytes(r["token"]) for r in await con.fetch("SELECT token FROM person_search_tokens")}
    assert tokens and not unkeyed & tokens
