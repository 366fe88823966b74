"""`lifeline restore BACKUP_DIR`: check the backup whole, then bring it into an empty database.

Nothing is written until every file matches its manifest (size and SHA-256) and this
version of lifeline knows the backup's schema. The dump is replayed with the restoring
admin as owner (the source's admin role need not exist here), in one transaction that also
gives the audit log and its functions back to lifeline_audit; the two app roles are made
first where the cluster lacks them. The audit chain's hashes are restored as they were, so
`lifeline audit verify` still passes. lifeline_app has no password on a new cluster:
`lifeline db app-role --new-password` gives it one; where it existed, its password (the
server's, which a running app may be using) is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg

from lifeline_pbx import db_roles
from lifeline_pbx.backup import pg_tools
from lifeline_pbx.backup.dump import describe, row_counts
from lifeline_pbx.backup.manifest import (
    DUMP,
    MANIFEST,
    BackupError,
    Manifest,
    count_problems,
    file_problems,
    from_json,
    owner_sql,
    schema_problem,
    target_problem,
)
from lifeline_pbx.db import Conn
from lifeline_pbx.migrate import MIGRATIONS_DIR, load

_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_%'
"""


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    problems: list[str]  # tables whose row counts differ from the backup's
    app_role: db_roles.AppRole  # as it was before the restore


def checked(directory: Path) -> Manifest:
    """The backup's manifest, once every file it lists is there and whole."""
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        raise BackupError(f"{directory} {what}: name the folder `lifeline backup` wrote")
    if not (directory / MANIFEST).is_file():
        raise BackupError(f"{directory} has no {MANIFEST}: it is not a Lifeline backup, or "
                          "its making did not finish")
    manifest = from_json((directory / MANIFEST).read_text(errors="replace"))
    found: dict[str, tuple[int, str | None]] = {}
    for entry in manifest.files:
        path = directory / entry.name
        if path.parent != directory or not path.is_file():
            continue
        size = path.stat().st_size
        found[entry.name] = (size, describe(path).sha256 if size == entry.bytes else None)
    problems = file_problems(manifest.files, found)
    problem = schema_problem(manifest, [m.version for m in load(MIGRATIONS_DIR)])
    if problem:
        problems.append(problem)
    if problems:
        raise BackupError(f"the backup in {directory} is refused; nothing was restored:\n  "
                          + "\n  ".join(problems))
    return manifest


async def relations(con: Conn) -> int:
    """Tables, views and sequences in the database: 0 when it is empty."""
    return int(await con.fetchval(_RELATIONS))


async def restore(admin_dsn: str, directory: Path, manifest: Manifest, *,
                  clean: bool = False) -> Restored:
    """The backup in directory, whose manifest checked() returned, into admin_dsn's
    database."""
    con = await asyncpg.connect(admin_dsn)
    try:
        problem = target_problem(await relations(con), clean=clean)
        if problem:
            raise BackupError(problem + "; nothing was restored")
        app_role = await db_roles.app_role(con)
        try:
            await con.execute(db_roles.ENSURE_ROLES)
        except asyncpg.InsufficientPrivilegeError as exc:
            raise BackupError(f"the admin login may not make the app's roles ({exc}): "
                              "restore as the PostgreSQL superuser, or as a role with "
                              "CREATEROLE") from None
    finally:
        await con.close()
    await pg_tools.restore(admin_dsn, directory / DUMP, owner_sql(manifest.owned_by_roles),
                           clean=clean)
    con = await asyncpg.connect(admin_dsn)
    try:
        restored = await row_counts(con)
    finally:
        await con.close()
    return Restored(manifest, count_problems(manifest.row_counts, restored), app_role)
