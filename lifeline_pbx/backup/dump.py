"""`lifeline backup OUT_DIR`: the database as pg_dump's custom format, with its manifest.

One snapshot: a repeatable-read transaction exports it, reads the manifest's facts (schema
version, data key ids, row counts, the app roles' objects) and holds it while pg_dump dumps
the same snapshot, so the manifest describes exactly the dump. Recorded voice lives in the
database (voicemail_audio and call_recordings, sealed by the vault), so the dump holds it;
a recording the vault has not fetched yet is still only on the PBX.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import asyncpg

from lifeline_pbx import db_roles, sealed_keys
from lifeline_pbx.backup import pg_tools
from lifeline_pbx.backup.manifest import (
    DUMP,
    MANIFEST,
    BackupError,
    FileEntry,
    Manifest,
    Owned,
    quote_ident,
    to_json,
)
from lifeline_pbx.db import Conn

OWNED = """
SELECT 'table' AS kind, format('%I.%I', n.nspname, c.relname) AS name, r.rolname AS owner
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_roles r ON r.oid = c.relowner
 WHERE r.rolname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'function', format('%I.%I(%s)', n.nspname, p.proname,
                          pg_get_function_identity_arguments(p.oid)), r.rolname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_roles r ON r.oid = p.proowner
 WHERE r.rolname = ANY($1)
 ORDER BY 1, 2
"""
_TABLES = """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"""


def app_version() -> str:
    try:
        return metadata.version("lifeline-pbx")
    except metadata.PackageNotFoundError:
        return "unknown"


def describe(path: Path) -> FileEntry:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return FileEntry(path.name, path.stat().st_size, digest.hexdigest())


async def row_counts(con: Conn) -> dict[str, int]:
    """Rows of every table in public."""
    counts = {}
    for row in await con.fetch(_TABLES):
        name = row["relname"]
        counts[name] = int(await con.fetchval(f"SELECT count(*) FROM public.{quote_ident(name)}"))
    return counts


async def _schema(con: Conn) -> tuple[int, str]:
    if not await con.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL"):
        raise BackupError("the database has no schema_migrations table: it is not a Lifeline "
                          "database (check admin_database_url)")
    row = await con.fetchrow(
        "SELECT version, name FROM public.schema_migrations ORDER BY version DESC LIMIT 1")
    if row is None:
        raise BackupError("no migration was ever applied to the database: nothing to back up")
    return int(row["version"]), str(row["name"])


def _prepare(out_dir: Path) -> None:
    """A new directory only the backup's owner may enter (it holds the operators' SIP
    digests in clear and every sealed value)."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BackupError(f"{out_dir} exists and is not an empty directory: name a new one")
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    out_dir.chmod(0o700)


async def backup(admin_dsn: str, out_dir: Path) -> Manifest:
    con = await asyncpg.connect(admin_dsn)  # first: a login refused leaves no folder behind
    try:
        _prepare(out_dir)
        async with con.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await con.fetchval("SELECT pg_export_snapshot()")
            version, migration = await _schema(con)
            keys = await sealed_keys.in_use(con)
            counts = await row_counts(con)
            owned = [Owned(r["kind"], r["name"], r["owner"]) for r in await con.fetch(
                OWNED, [db_roles.AUDIT_ROLE, db_roles.APP_ROLE])]
            server = str(await con.fetchval("SHOW server_version"))
            created = datetime.now(UTC)
            await pg_tools.dump(admin_dsn, snapshot, out_dir / DUMP)
    finally:
        await con.close()
    (out_dir / DUMP).chmod(0o600)
    result = Manifest(created_at=created, app_version=app_version(), schema_version=version,
                      schema_migration=migration, server_version=server,
                      data_key_ids=tuple(sorted(keys)), files=(describe(out_dir / DUMP),),
                      row_counts=counts, owned_by_roles=tuple(owned))
    partial = out_dir / f".{MANIFEST}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(to_json(result))
    partial.rename(out_dir / MANIFEST)  # a backup without its manifest is plainly unfinished
    return result
