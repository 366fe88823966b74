"""The database beyond the audit log: is the schema up to date, and do the configured keys
open what the database holds?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import crypto, sealed_keys
from lifeline_pbx.db import Conn
from lifeline_pbx.doctor.report import Check
from lifeline_pbx.migrate import Applied, Migration, standing

UPGRADE = ("stop lifeline serve, `lifeline backup`, then `lifeline migrate` with "
           "admin_database_url, and start it again (docs/operations.md, Upgrading)")


@dataclass(frozen=True)
class SchemaFacts:
    migrations: tuple[Migration, ...]  # the files this lifeline ships
    applied: tuple[Applied, ...] | None  # None: the app's role may not read them
    unreadable: str = ""


@dataclass(frozen=True)
class KeyFacts:
    configured: tuple[str, ...]
    in_use: Mapping[str, int]  # key id -> sealed values under it
    opens: Mapping[str, bool]  # configured key id -> a value sealed under it opened
    lookup_finds: bool | None  # a person's A-number hashes to their lookup key (None: untried)
    person_key: str = ""  # the key id of the A-number tried ("" = nobody in the database)


def schema_checks(f: SchemaFacts) -> list[Check]:
    name = "the database schema is up to date"
    if f.applied is None:
        return [Check(name, False, f"the app's role may not read schema_migrations "
                      f"({f.unreadable}): migration 0018 is not applied", UPGRADE)]
    found = standing(list(f.migrations), list(f.applied))
    if found.refused:
        return [Check(name, False, found.refused, "run this lifeline's own migrations "
                      "directory, the one the database was migrated with")]
    return [Check(name, not found.todo, f"{len(found.todo)} migration(s) not applied: "
                  + ", ".join(m.name for m in found.todo), UPGRADE)]


def behind(f: SchemaFacts) -> bool:
    """Is a migration this version ships not applied (the tables other checks read may
    not be there yet)? Not when history and files disagree: astray, schema_checks says so."""
    if f.applied is None:
        return True
    found = standing(list(f.migrations), list(f.applied))
    return bool(found.todo) and not found.refused


def key_checks(f: KeyFacts) -> list[Check]:
    missing = sealed_keys.missing(f.in_use, f.configured)
    wrong = sorted(kid for kid, opened in f.opens.items() if not opened)
    return [
        Check("every data key the database uses is configured", not missing,
              "values sealed under " + ", ".join(f"{k} ({f.in_use[k]})" for k in missing)
              + " do not open: data_keys lacks them",
              "add each as id:key to data_keys, from where the keys are kept (after a "
              "restore: the keys the backup was made with, whose ids its manifest.json lists "
              "as data_key_ids); a lost key cannot be made again"),
        Check("each configured data key opens what was sealed under its id", not wrong,
              "under the id " + ", ".join(wrong) + " is another key than the one that sealed",
              "put the original key back under that id, from where the keys are kept"),
        _lookup(f),
    ]


def _lookup(f: KeyFacts) -> Check:
    name = "the lookup key finds people by A-number"
    if f.lookup_finds is None and f.person_key:
        return Check(name, False, f"not checked: the A-numbers are sealed under "
                     f"{f.person_key}, which no configured data key opens",
                     "put that data key right (above), then run doctor again")
    return Check(name, f.lookup_finds is not False,
                 "a person's A-number does not hash to their lookup hash: repeat callers are "
                 "not found", "configure the lookup_key the records were written with, or run "
                 "`lifeline keys rotate` if it was changed on purpose")


async def gather_schema(con: Conn, migrations: list[Migration]) -> SchemaFacts:
    try:
        rows = await con.fetch(
            "SELECT version, name, checksum FROM public.schema_migrations ORDER BY version")
    except (asyncpg.InsufficientPrivilegeError, asyncpg.UndefinedTableError) as exc:
        return SchemaFacts(tuple(migrations), None, type(exc).__name__)
    return SchemaFacts(tuple(migrations),
                       tuple(Applied(r["version"], r["name"], r["checksum"]) for r in rows))


async def gather_keys(con: Conn, keys: crypto.KeyRing) -> KeyFacts:
    opens: dict[str, bool] = {}
    for sample in await sealed_keys.samples(con):
        if sample.key_id in keys.keys and opens.get(sample.key_id, True):
            opens[sample.key_id] = _opens(keys, sample.value, sample.place)
    person = await sealed_keys.a_person(con, list(keys.keys))
    if person is None:
        return KeyFacts(tuple(keys.keys), await sealed_keys.in_use(con), opens, None)
    place, a_number, lookup_hash = person
    finds = None
    if keys.key_id(a_number) in keys.keys and _opens(keys, a_number, place):
        finds = keys.lookup(keys.open(a_number, place)) == lookup_hash
    return KeyFacts(tuple(keys.keys), await sealed_keys.in_use(con), opens, finds,
                    keys.key_id(a_number))


def _opens(keys: crypto.KeyRing, sealed: bytes, place: str) -> bool:
    try:
        keys.open_bytes(sealed, place)
    except crypto.SealError:
        return False
    return True
