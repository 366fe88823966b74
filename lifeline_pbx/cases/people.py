"""The SQL for persons and their transfer history; names, birth date and A-number sealed.

A person is found by the keyed hash of their normalised A-number (crypto.KeyRing.lookup),
never by the sealed value, and by blind-index tokens of their names and date of birth
(token_store.py), which every write here keeps in step. A merged person keeps their row,
marked `merged_into` the kept one; finding them leads to the kept person.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields, replace

import asyncpg

from lifeline_pbx.cases import merge_history, token_store
from lifeline_pbx.cases.forms import PersonForm
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn

_COLUMNS = """p.id, p.a_number, p.names, p.date_of_birth, p.country, p.languages,
              p.facility_id, f.name AS facility, p.merged_into, p.created_at"""
_FROM = "persons p LEFT JOIN facilities f ON f.id = p.facility_id"
MAX_MERGE_HOPS = 5


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    a_number: str  # normalised, 9 digits
    names: tuple[str, ...]
    date_of_birth: dt.date | None
    country: str
    languages: tuple[str, ...]
    facility_id: int | None
    facility: str
    merged_into: uuid.UUID | None
    created_at: dt.datetime


@dataclass(frozen=True)
class Moves:
    """What a merge moves onto the kept record: counts over the merged record and the
    records merged into it earlier."""

    intakes: int
    calls: int  # the calls of those intakes
    reports: int
    follow_ups: int
    transfers: int  # facilities noted (not struck as mistakes)
    holds: int  # legal holds in force (released ones move too, as their history)
    records: int  # earlier duplicates merged into it


@dataclass(frozen=True)
class Transfer:
    facility_id: int
    facility: str
    noted_at: dt.datetime
    merged: bool = False  # brought over from a record merged into this one


def _seal_fields(keys: KeyRing, person_id: uuid.UUID, a_number: str, names: tuple[str, ...],
                 dob: dt.date | None) -> tuple[bytes, bytes, bytes | None]:
    return (
        keys.seal(a_number, place("persons", "a_number", person_id)),
        keys.seal_json(list(names), place("persons", "names", person_id)),
        None if dob is None else keys.seal(dob.isoformat(),
                                            place("persons", "date_of_birth", person_id)),
    )


def _person(row: asyncpg.Record, keys: KeyRing) -> Person:
    pid = row["id"]
    dob = row["date_of_birth"]
    return Person(
        id=pid,
        a_number=keys.open(row["a_number"], place("persons", "a_number", pid)),
        names=tuple(keys.open_json(row["names"], place("persons", "names", pid))),
        date_of_birth=None if dob is None else dt.date.fromisoformat(
            keys.open(dob, place("persons", "date_of_birth", pid))),
        country=row["country"],
        languages=tuple(row["languages"]),
        facility_id=row["facility_id"],
        facility=row["facility"] or "",
        merged_into=row["merged_into"],
        created_at=row["created_at"],
    )


async def get(con: Conn, keys: KeyRing, person_id: uuid.UUID, *,
              follow: bool = True) -> Person | None:
    """The person, or the person they were merged into (when follow is true)."""
    for _ in range(MAX_MERGE_HOPS):
        row = await con.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.id = $1", person_id)
        if row is None:
            return None
        if not follow or row["merged_into"] is None:
            return _person(row, keys)
        person_id = row["merged_into"]
    return None


async def get_many(con: Conn, keys: KeyRing, person_ids: list[uuid.UUID]) -> list[Person]:
    """These people (not following merges), in the order given."""
    rows = await con.fetch(f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.id = ANY($1::uuid[])",
                           person_ids)
    found = {r["id"]: _person(r, keys) for r in rows}
    return [found[pid] for pid in person_ids if pid in found]


def kept_for_a_number(arg: int) -> str:
    """SQL: the id of the record holding the A-number's hash ${arg} or, merged, of the record
    it was merged into (and on): the kept record, which a lookup and a search both find."""
    return f"""WITH RECURSIVE chain (id, merged_into) AS (
                   SELECT id, merged_into FROM persons WHERE a_number_key = ${arg}
                   UNION SELECT q.id, q.merged_into FROM persons q JOIN chain c
                         ON q.id = c.merged_into)
               SELECT id FROM chain WHERE merged_into IS NULL"""


async def find_by_a_number(con: Conn, keys: KeyRing, normalised: str) -> Person | None:
    pid = await con.fetchval(kept_for_a_number(1), keys.lookup(normalised))
    return None if pid is None else await get(con, keys, pid, follow=False)


async def create(con: Conn, keys: KeyRing, form: PersonForm, user_id: int) -> uuid.UUID:
    pid = uuid.uuid4()
    a_number, names, dob = _seal_fields(keys, pid, form.a_number, form.names,
                                        form.date_of_birth)
    await con.execute(
        """INSERT INTO persons (id, a_number_key, a_number, names, date_of_birth, country,
                                languages, facility_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        pid, keys.lookup(form.a_number), a_number, names, dob, form.country,
        list(form.languages), form.facility_id,
    )
    await token_store.set_tokens(con, keys, pid, form.names, form.date_of_birth)
    if form.facility_id is not None:
        await note_facility(con, pid, form.facility_id, user_id)
    return pid


def updated(person: Person, form: PersonForm) -> Person:
    """The person with what the form adds or changes; empty fields change nothing."""
    return replace(
        person,
        names=tuple(dict.fromkeys((*person.names, *form.names))),
        date_of_birth=form.date_of_birth or person.date_of_birth,
        country=form.country or person.country,
        languages=tuple(dict.fromkeys((*person.languages, *form.languages))),
        facility_id=person.facility_id if form.facility_id is None else form.facility_id,
    )


def edited(person: Person, form: PersonForm) -> Person:
    """The person as the edit form says (every field replaced; the A-number stays)."""
    return replace(person, names=form.names, date_of_birth=form.date_of_birth,
                   country=form.country, languages=form.languages,
                   facility_id=form.facility_id)


def changed_fields(old: Person, new: Person) -> list[str]:
    return [f.name for f in fields(Person) if getattr(old, f.name) != getattr(new, f.name)]


async def lock(con: Conn, person_id: uuid.UUID) -> None:
    """Hold the person's row until the transaction ends (against a merge meanwhile)."""
    await con.execute("SELECT 1 FROM persons WHERE id = $1 FOR UPDATE", person_id)


async def locked(con: Conn, keys: KeyRing, person: Person) -> Person:
    """The person's row held until the transaction ends, and read again under the lock:
    a save on the copy read before it would undo whatever was saved in between."""
    await lock(con, person.id)
    return await get(con, keys, person.id, follow=False) or person


async def save(con: Conn, keys: KeyRing, person: Person, new: Person,
               user_id: int, *, transfer: bool = True) -> list[str]:
    """Write new over person; a new facility is noted as a transfer unless `transfer` is
    false (a mistake put right: the caller strikes the wrong entry instead). Returns what
    changed."""
    changed = changed_fields(person, new)
    if not changed:
        return []
    _, names, dob = _seal_fields(keys, new.id, new.a_number, new.names, new.date_of_birth)
    await con.execute(
        """UPDATE persons SET names = $2, date_of_birth = $3, country = $4, languages = $5,
                              facility_id = $6, updated_at = now()
           WHERE id = $1""",
        new.id, names, dob, new.country, list(new.languages), new.facility_id,
    )
    if {"names", "date_of_birth"} & set(changed):
        await token_store.set_tokens(con, keys, new.id, new.names, new.date_of_birth)
    if transfer and "facility_id" in changed and new.facility_id is not None:
        await note_facility(con, new.id, new.facility_id, user_id)
    return changed


async def note_facility(con: Conn, person_id: uuid.UUID, facility_id: int,
                        user_id: int) -> None:
    await con.execute(
        "INSERT INTO person_facilities (person_id, facility_id, noted_by) VALUES ($1, $2, $3)",
        person_id, facility_id, user_id,
    )


async def transfers(con: Conn, person_ids: list[uuid.UUID]) -> list[Transfer]:
    rows = await con.fetch(
        f"""SELECT pf.facility_id, f.name, pf.noted_at,
                   {merge_history.ENTRY_MERGED} AS merged
           FROM person_facilities pf JOIN facilities f ON f.id = pf.facility_id
           WHERE pf.person_id = ANY($1::uuid[]) AND pf.struck_at IS NULL
           ORDER BY pf.noted_at, pf.id""",
        person_ids,
    )
    return [Transfer(r["facility_id"], r["name"], r["noted_at"], r["merged"]) for r in rows]


async def merged_ids(con: Conn, person_id: uuid.UUID) -> list[uuid.UUID]:
    """The person and everyone merged into them (directly or through another)."""
    rows = await con.fetch(
        """WITH RECURSIVE tree(id) AS (
               SELECT $1::uuid
               UNION SELECT p.id FROM persons p JOIN tree t ON p.merged_into = t.id)
           SELECT id FROM tree""",
        person_id,
    )
    return [r["id"] for r in rows]


async def moves(con: Conn, person_ids: list[uuid.UUID]) -> Moves:
    """What merging these records (one and those merged into it) moves."""
    row = await con.fetchrow(
        """SELECT (SELECT count(*) FROM intakes WHERE person_id = ANY($1::uuid[])) AS intakes,
                  (SELECT count(DISTINCT call_id) FROM intakes
                   WHERE person_id = ANY($1::uuid[])) AS calls,
                  (SELECT count(*) FROM reports WHERE person_id = ANY($1::uuid[])) AS reports,
                  (SELECT count(*) FROM follow_ups
                   WHERE person_id = ANY($1::uuid[])) AS follow_ups,
                  (SELECT count(*) FROM person_facilities
                   WHERE person_id = ANY($1::uuid[]) AND struck_at IS NULL) AS transfers,
                  (SELECT count(*) FROM legal_holds WHERE person_id = ANY($1::uuid[])
                   AND released_at IS NULL) AS holds""",
        person_ids)
    assert row is not None  # an aggregate returns one row
    return Moves(row["intakes"], row["calls"], row["reports"], row["follow_ups"],
                 row["transfers"], row["holds"], len(person_ids) - 1)


async def holds_placed(con: Conn, person_ids: list[uuid.UUID]) -> int:
    """How many legal holds were ever placed on these records: placing one changes it."""
    placed: int = await con.fetchval(
        "SELECT count(*) FROM legal_holds WHERE person_id = ANY($1::uuid[])", person_ids)
    return placed


async def changed_at(con: Conn, person_ids: list[uuid.UUID], *,
                     lock: bool = False) -> dict[uuid.UUID, dt.datetime]:
    """When each record last changed; with lock, held until the transaction ends."""
    rows = await con.fetch(
        "SELECT id, updated_at FROM persons WHERE id = ANY($1::uuid[]) ORDER BY id"
        + (" FOR UPDATE" if lock else ""), person_ids)
    return {r["id"]: r["updated_at"] for r in rows}


async def merge(con: Conn, keys: KeyRing, keep: Person, other: Person) -> list[str]:
    """Move other's intakes, reports, follow-ups, history and legal holds (in force and
    released) onto keep; mark other merged. A hold's reasons are sealed at the hold's id,
    not the person's: they stay readable where they move.

    Returns the names of what was moved (for the audit entry). Run in a transaction.
    """
    moved: list[str] = []
    for table in ("intakes", "reports", "follow_ups", "person_facilities", "legal_holds"):
        status = await con.execute(
            f"UPDATE {table} SET person_id = $1 WHERE person_id = $2", keep.id, other.id)
        if not status.endswith(" 0"):
            moved.append(table)
    await con.execute("UPDATE persons SET merged_into = $1 WHERE merged_into = $2",
                      keep.id, other.id)
    names = tuple(dict.fromkeys((*keep.names, *other.names)))
    dob = keep.date_of_birth or other.date_of_birth
    _, sealed_names, sealed_dob = _seal_fields(keys, keep.id, keep.a_number, names, dob)
    await con.execute(
        """UPDATE persons SET names = $2, date_of_birth = $3, country = $4,
                              languages = $5, updated_at = now() WHERE id = $1""",
        keep.id, sealed_names, sealed_dob, keep.country or other.country,
        list(dict.fromkeys((*keep.languages, *other.languages))),
    )
    await con.execute("UPDATE persons SET merged_into = $1, updated_at = now() WHERE id = $2",
                      keep.id, other.id)
    await token_store.set_tokens(con, keys, keep.id, names, dob)
    await token_store.drop_tokens(con, other.id)
    return [*moved, "names", "merged_into"]
