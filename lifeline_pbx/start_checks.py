"""What `lifeline serve` checks as it starts (lifeline_pbx/app.py).

The schema must be the one this version was written for, else the first query that meets
a missing column fails deep in a call or a page: the app refuses to start and names the
first migration missing (or says the database is newer than this version).

Every data key the database's sealed values name must be configured. A missing one does
not stop the start (a settings slip at a restart must not silence the hotline): calls are
answered, and the app says so once in the log at ERROR, on /healthz ("degraded") and to
admins on every page, until the key is added and the app restarted.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

import asyncpg

from lifeline_pbx import sealed_keys
from lifeline_pbx.errors import StartRefused
from lifeline_pbx.migrate import MIGRATIONS_DIR, Applied, Migration, load, standing

log = logging.getLogger(__name__)
DOCTOR = "`lifeline doctor` checks the settings"
MIGRATE = "run `lifeline migrate` (as LIFELINE_ADMIN_DATABASE_URL) first"


def database_fault(exc: BaseException, setting: str = "database_url") -> tuple[str, str]:
    """What went wrong opening the database in `setting` (database_url, the app's login;
    admin_database_url, the admin's), and how to put it right ("": no more to say): the
    error's own text names host, port, user or database, never the password. `lifeline
    serve` and the commands say both in one line, doctor as a check and its fix."""
    said = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):  # password, no role
        return (f"the database refused {setting}'s login ({said})",
                "put lifeline_app's password in database_url (`lifeline db app-role "
                "--new-password` sets a new one)" if setting == "database_url" else
                f"{setting} is a superuser's or the tables' owner's login: check its user and "
                "password")
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{setting} names a database that does not exist ({said})", ""
    return (f"the database in {setting} cannot be reached ({said})",
            "is PostgreSQL running, at that address?")


def database_refusal(exc: BaseException, setting: str = "database_url") -> str:
    """database_fault in one line, for whoever set `setting`."""
    what, fix = database_fault(exc, setting)
    said = f"{what}: {fix}" if fix else what
    if setting != "database_url":
        return said
    return said + (" " if said.endswith("?") else "; ") + DOCTOR


def schema_refusal(migrations: list[Migration], applied: list[Applied] | None) -> str | None:
    """Why this version cannot run on a database with `applied` (None: the app's role may
    not read them) given the migrations it ships; None if it can."""
    if applied is None:  # the grant came with 0018 (migrations/0018_app_reads_schema_version)
        return ("the app's role may not read schema_migrations: the schema is older than "
                f"migration 0018; {MIGRATE}")
    found = standing(migrations, applied)
    if found.newer:
        return (f"the database has migration {found.newer[0].name}, which this version of "
                "lifeline does not have: a newer version migrated it; start that version "
                "(or restore a backup made with this one)")
    if found.astray:
        return (f"the database's migrations are not this version's: {found.astray} "
                "(`lifeline migrate` refuses it too)")
    if found.todo:
        more = f" (nor the {len(found.todo) - 1} after it)" if len(found.todo) > 1 else ""
        return f"migration {found.todo[0].name} is not applied{more}: {MIGRATE}"
    return None


async def check_schema(pool: asyncpg.Pool[asyncpg.Record]) -> None:
    """StartRefused if the schema is not the one this version's migrations make."""
    applied: list[Applied] | None
    try:
        rows = await pool.fetch("SELECT version, name, checksum FROM public.schema_migrations "
                                "ORDER BY version")
        applied = [Applied(row["version"], row["name"], row["checksum"]) for row in rows]
    except asyncpg.UndefinedTableError:  # never migrated
        applied = []
    except asyncpg.InsufficientPrivilegeError:
        applied = None
    refusal = schema_refusal(load(MIGRATIONS_DIR), applied)
    if refusal is not None:
        raise StartRefused(refusal)


def missing_keys(in_use: Mapping[str, int], configured: Collection[str]) -> list[str]:
    """One problem per key id that sealed values name (key id -> how many) and data_keys
    lacks."""
    return [f"values sealed under key {key_id!r} ({in_use[key_id]}) cannot be opened: data_keys "
            "lacks it" for key_id in sealed_keys.missing(in_use, configured)]


async def check_keys(dsn: str, configured: Collection[str], problems: list[str]) -> None:
    """Add to problems each data key id in use and not configured (ids only: no key is
    read). On a connection of its own: no command timeout, as the query reads every
    sealed table."""
    try:
        con = await asyncpg.connect(dsn, timeout=10)
        try:
            in_use = await sealed_keys.in_use(con)
        finally:
            await con.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        log.error("data keys not checked error=%s", type(exc).__name__)
        return
    found = missing_keys(in_use, configured)
    log.info("data keys checked in_use=%s", ",".join(sorted(in_use)) or "none")
    if found:
        log.error("data keys: %s; calls are answered, pages that open those values fail "
                  "(lifeline doctor)", "; ".join(found))
    problems.extend(found)
