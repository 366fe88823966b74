"""The schema migration runner behind `lifeline migrate`.

Migrations are files named NNNN_some_name.sql, applied in number order, each in its own
transaction together with its row in schema_migrations. A session-level advisory lock makes
concurrent runners take turns, and files that were applied are never applied again: one whose
contents changed since (sha256 checksum), or that disappeared, stops the runner before it
applies anything. After every run the application role gets its DML on every table again
(db_roles.GRANTS), so tables added by new migrations are covered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from lifeline_pbx.db_roles import GRANTS
from lifeline_pbx.errors import MigrationError
from lifeline_pbx.paths import HOME

MIGRATIONS_DIR = HOME / "migrations"
LOCK_KEY = 0x4C49_4645_4C49_4E45  # "LIFELINE": the advisory lock all runners take turns on
_FILE_NAME = re.compile(r"(?P<version>[0-9]{4})_[a-z0-9_]+\.sql")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version int PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


@dataclass(frozen=True)
class Applied:
    version: int
    name: str
    checksum: str


def load(directory: Path) -> list[Migration]:
    """The migration files in directory, in order; MigrationError if any is misnamed."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationError(
                f"{path.name}: migration files must be named NNNN_name.sql "
                "(4 digits, underscore, lowercase letters, digits and underscores)"
            )
        version = int(match["version"])
        if version in found:
            raise MigrationError(
                f"{found[version].name} and {path.name} have the same number {version:04d}"
            )
        data = path.read_bytes()
        try:
            sql = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MigrationError(f"{path.name} is not UTF-8: {exc}") from exc
        found[version] = Migration(version, path.name, sql, hashlib.sha256(data).hexdigest())
    return [found[version] for version in sorted(found)]


@dataclass(frozen=True)
class Standing:
    """How a database's applied migrations stand against the files this version ships:
    the one decision behind `lifeline migrate`, `lifeline serve`'s start and doctor."""

    todo: tuple[Migration, ...] = ()  # shipped, not applied: the schema is behind
    newer: tuple[Applied, ...] = ()  # applied, not shipped: a newer version migrated it
    astray: str = ""  # else why history and files disagree (a file changed, renamed...)

    @property
    def refused(self) -> str:
        """Why `lifeline migrate` will not run on it; "" when it will."""
        if self.newer:
            return (f"{self.newer[0].name} is recorded as applied but is missing from the "
                    "migrations directory")
        return self.astray


def standing(migrations: list[Migration], applied: list[Applied]) -> Standing:
    by_version = {m.version: m for m in migrations}
    newer = tuple(sorted((row for row in applied if row.version not in by_version),
                         key=lambda row: row.version))
    astray = next(filter(None, (_astray(row, by_version[row.version]) for row in applied
                                if row.version in by_version)), "")
    done = {row.version for row in applied}
    todo = tuple(m for m in migrations if m.version not in done)
    if not astray and todo and done and todo[0].version < max(done):
        astray = (f"{todo[0].name} is numbered below migrations already applied "
                  f"(up to {max(done):04d}); renumber it")
    return Standing(todo, newer, astray)


def _astray(row: Applied, current: Migration) -> str:
    if current.name != row.name:
        return (f"version {row.version:04d} was applied as {row.name} but the file is now "
                f"{current.name}")
    if current.checksum != row.checksum:
        return (f"{row.name} was changed after it was applied (checksum differs); "
                "restore it and put the change in a new migration")
    return ""


def pending(migrations: list[Migration], applied: list[Applied]) -> list[Migration]:
    """The migrations still to apply; MigrationError if history and files disagree."""
    found = standing(migrations, applied)
    if found.refused:
        raise MigrationError(found.refused)
    return list(found.todo)


async def migrate(
    dsn: str, directory: Path = MIGRATIONS_DIR, *, lock_wait: float = 300.0
) -> list[str]:
    """Apply the pending migrations in directory; return the names of the files applied."""
    migrations = load(directory)
    conn = await asyncpg.connect(dsn)
    try:
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY, timeout=lock_wait)
        except TimeoutError:
            raise MigrationError(
                f"another migration runner held the lock for more than {lock_wait:g}s"
            ) from None
        try:
            await conn.execute(_CREATE_TABLE)
        except asyncpg.InsufficientPrivilegeError:
            raise MigrationError(
                f"the role {await conn.fetchval('SELECT current_user')} may not change the "
                "schema: run lifeline migrate with admin_database_url "
                "(LIFELINE_ADMIN_DATABASE_URL) set to a superuser's or the tables' owner's DSN"
            ) from None
        rows = await conn.fetch(
            "SELECT version, name, checksum FROM public.schema_migrations ORDER BY version"
        )
        applied = [Applied(row["version"], row["name"], row["checksum"]) for row in rows]
        names: list[str] = []
        for migration in pending(migrations, applied):
            await _apply(conn, migration)
            names.append(migration.name)
        await conn.execute(GRANTS)
        return names
    finally:
        await conn.close()  # ends the session, which releases the advisory lock


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            if not conn.is_in_transaction():
                raise MigrationError(
                    f"{migration.name} ended the runner's transaction itself; "
                    "remove its BEGIN/COMMIT/ROLLBACK statements"
                )
            await conn.execute(
                "INSERT INTO public.schema_migrations (version, name, checksum)"
                " VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as exc:
        raise MigrationError(f"{migration.name} failed: {_describe(exc, migration.sql)}") from exc


def _describe(exc: asyncpg.PostgresError, sql: str) -> str:
    """The database's message, with the file's line number and any detail or hint."""
    text = str(exc)
    position = getattr(exc, "position", None)
    if position:
        line = sql[: int(position) - 1].count("\n") + 1
        text += f" (line {line})"
    for extra in ("detail", "hint"):
        value = getattr(exc, extra, None)
        if value:
            text += f"\n{extra.upper()}: {value}"
    return text
