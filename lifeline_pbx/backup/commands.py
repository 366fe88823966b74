"""`lifeline backup OUT_DIR` and `lifeline restore BACKUP_DIR` (with admin_database_url)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from lifeline_pbx.backup import dump, restore

DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_backup(admin_dsn: str, out_dir: Path) -> None:
    made = asyncio.run(dump.backup(admin_dsn, out_dir))
    size = sum(f.bytes for f in made.files)
    print(f"backup written to {out_dir}: {size:,} bytes, schema at "
          f"{made.schema_migration}, {sum(made.row_counts.values()):,} rows")
    keys = ", ".join(made.data_key_ids) or "none yet"
    print(f"its sealed values need the data keys {keys} and the lookup key, which are not "
          "in it: keep them apart (docs/operations.md)")


def cmd_restore(admin_dsn: str, backup_dir: Path, clean: bool) -> None:
    done = asyncio.run(restore.restore(admin_dsn, backup_dir, clean=clean))
    m = done.manifest
    for problem in done.problems:
        print(f"FAIL  {problem}")
    if done.problems:
        sys.exit(1)
    print(f"restored the backup of {m.created_at:%Y-%m-%d %H:%M:%S %Z} (lifeline "
          f"{m.app_version}, schema at {m.schema_migration}); the row counts of "
          f"{len(m.row_counts)} tables match it")
    print("next: lifeline migrate, lifeline db app-role (a new cluster's lifeline_app has "
          f"no password), lifeline doctor; configure the data keys {', '.join(m.data_key_ids)}"
          " and the lookup key")


def add_subcommands(sub: Subparsers, admin_url: DatabaseUrl) -> None:
    made = sub.add_parser("backup", help="dump the database with a manifest (not the keys)")
    made.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new directory")
    made.set_defaults(func=lambda args: cmd_backup(admin_url(args), args.out_dir))
    back = sub.add_parser("restore", help="check a backup and restore it into an empty "
                          "database")
    back.add_argument("backup_dir", type=Path, metavar="BACKUP_DIR")
    back.add_argument("--clean", action="store_true",
                      help="replace what the backup holds in a database that is not empty")
    back.set_defaults(func=lambda args: cmd_restore(admin_url(args), args.backup_dir,
                                                    args.clean))
