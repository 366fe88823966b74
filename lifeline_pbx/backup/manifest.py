"""A backup's manifest, and the decisions about it: is the backup whole, and may it go here?

The manifest (manifest.json beside the dump) says when and from which schema and app
version the backup was made, which data keys its sealed values need (ids only: the keys
are never in a backup), each file's size and SHA-256, the row count of every table, and
which objects belong to the app's roles (restore gives them back to those roles). No
function here reads a file or a database: the shell (dump.py, restore.py) gathers the facts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lifeline_pbx.errors import LifelineError

FORMAT = "lifeline-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
Kind = Literal["table", "function"]


class BackupError(LifelineError):
    """A backup cannot be made, or is refused for a restore (the message says why)."""


@dataclass(frozen=True)
class FileEntry:
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Owned:
    """An object owned by one of the app's roles (lifeline_audit owns the audit log)."""

    kind: Kind
    name: str  # schema-qualified and quoted; a function with its argument types
    owner: str


@dataclass(frozen=True)
class Manifest:
    created_at: datetime
    app_version: str
    schema_version: int
    schema_migration: str  # the file name of the last migration applied
    server_version: str
    data_key_ids: tuple[str, ...]
    files: tuple[FileEntry, ...]
    row_counts: Mapping[str, int] = field(default_factory=dict)
    owned_by_roles: tuple[Owned, ...] = ()
    format: str = FORMAT


def to_json(m: Manifest) -> str:
    data = {
        "format": m.format,
        "created_at": m.created_at.isoformat(),
        "app_version": m.app_version,
        "schema_version": m.schema_version,
        "schema_migration": m.schema_migration,
        "server_version": m.server_version,
        "data_key_ids": list(m.data_key_ids),
        "files": [{"name": f.name, "bytes": f.bytes, "sha256": f.sha256} for f in m.files],
        "row_counts": dict(sorted(m.row_counts.items())),
        "owned_by_roles": [{"kind": o.kind, "name": o.name, "owner": o.owner}
                           for o in m.owned_by_roles],
    }
    return json.dumps(data, indent=2) + "\n"


def from_json(text: str) -> Manifest:
    """The manifest; BackupError naming what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupError(f"{MANIFEST} is not valid JSON ({exc}): the backup is damaged") from None
    if not isinstance(data, dict):
        raise BackupError(f"{MANIFEST} is not a Lifeline backup manifest")
    if data.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} has format {data.get('format')!r}; this version of "
                          f"lifeline reads {FORMAT!r} only")
    try:
        return Manifest(
            created_at=datetime.fromisoformat(_get(data, "created_at", str)),
            app_version=_get(data, "app_version", str),
            schema_version=_get(data, "schema_version", int),
            schema_migration=_get(data, "schema_migration", str),
            server_version=_get(data, "server_version", str),
            data_key_ids=tuple(_get(data, "data_key_ids", list)),
            files=tuple(FileEntry(_get(f, "name", str), _get(f, "bytes", int),
                                  _get(f, "sha256", str)) for f in _get(data, "files", list)),
            row_counts={str(k): int(v) for k, v in _get(data, "row_counts", dict).items()},
            owned_by_roles=tuple(_owned(o) for o in _get(data, "owned_by_roles", list)),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise BackupError(f"{MANIFEST} is damaged: {exc}") from None


def _owned(item: Any) -> Owned:
    kind = _get(item, "kind", str)
    if kind not in ("table", "function"):
        raise ValueError(f"unknown kind of owned object {kind!r}")
    return Owned(kind, _get(item, "name", str), _get(item, "owner", str))


def _get(data: Any, key: str, kind: type[Any]) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get(key), kind) \
            or (kind is int and isinstance(data.get(key), bool)):
        raise ValueError(f"{key!r} is missing or not {kind.__name__}")
    return data[key]


def file_problems(expected: Sequence[FileEntry],
                  found: Mapping[str, tuple[int, str | None]]) -> list[str]:
    """What is wrong with the files of a backup. found: name -> (size, SHA-256), the hash
    None where it was not computed because the size already differs."""
    if not expected:
        return [f"{MANIFEST} lists no files"]
    problems = []
    for entry in expected:
        if "/" in entry.name or entry.name in ("", ".", ".."):
            problems.append(f"{MANIFEST} names {entry.name!r}, which is not a file name")
        elif entry.name not in found:
            problems.append(f"{entry.name} is missing")
            continue
        size, digest = found[entry.name]
        if size != entry.bytes:
            what = "truncated" if size < entry.bytes else "longer than it was"
            problems.append(f"{entry.name} is {what}: {size} bytes, the manifest says "
                            f"{entry.bytes}")
        elif digest != entry.sha256:
            problems.append(f"{entry.name} is damaged: its SHA-256 differs from the manifest's")
    return problems


def schema_problem(m: Manifest, known: Sequence[int]) -> str:
    """Why this version of lifeline cannot restore the backup's schema; "" if it can (an
    older schema is brought up to date by `lifeline migrate` afterwards)."""
    newest = max(known, default=0)
    if m.schema_version > newest:
        return (f"the backup's schema is at migration {m.schema_version:04d} "
                f"({m.schema_migration}), newer than this lifeline knows ({newest:04d}): "
                f"restore it with lifeline {m.app_version} or later")
    if m.schema_version not in known:
        return (f"the backup's schema is at migration {m.schema_version:04d} "
                f"({m.schema_migration}), which this lifeline does not have")
    return ""


def target_problem(relations: int, *, clean: bool) -> str:
    """Whether a database holding this many tables, views and sequences may be restored
    into; "" if it may."""
    if relations and not clean:
        return (f"the target database is not empty ({relations} tables, views or sequences): "
                "restore into a new empty database, or pass --clean to replace what the "
                "backup holds")
    return ""


def count_problems(expected: Mapping[str, int], restored: Mapping[str, int]) -> list[str]:
    """Tables whose row count after a restore differs from the backup's."""
    return [f"{table}: {restored.get(table, 'no table')} rows restored, {rows} backed up"
            for table, rows in sorted(expected.items()) if restored.get(table) != rows]


def owner_sql(owned: Sequence[Owned]) -> str:
    """Statements giving each object back to its role (the restore itself makes the
    restoring admin own everything: the source's admin role may not exist here)."""
    keyword = {"table": "TABLE", "function": "FUNCTION"}
    return "".join(f"ALTER {keyword[o.kind]} {o.name} OWNER TO {quote_ident(o.owner)};\n"
                   for o in owned)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
