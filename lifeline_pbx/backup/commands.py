"""`lifeline backup OUT_DIR` and `lifeline restore BACKUP_DIR` (with admin_database_url)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from lifeline_pbx import db_roles
from lifeline_pbx.backup import dump, replacing, restore
from lifeline_pbx.backup.manifest import BackupError, Manifest

DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_backup(admin_dsn: str, out_dir: Path) -> None:
    made = asyncio.run(dump.backup(admin_dsn, out_dir))
    size = sum(f.bytes for f in made.files)
    print(f"backup written to {out_dir}: {size:,} bytes, schema at "
          f"{made.schema_migration}, {sum(made.row_counts.values()):,} rows")
    if made.data_key_ids:
        print(f"keys needed to read it: the data keys {', '.join(made.data_key_ids)} and the "
              "lookup key, which are not in it: keep them apart (docs/operations.md)")
    else:
        print("keys needed to read it: none yet (nothing sealed)")


def cmd_restore(admin_dsn: str, backup_dir: Path, *, clean: bool, yes: bool) -> None:
    manifest = restore.checked(backup_dir)
    if clean:
        _agree_to_replace(admin_dsn, manifest, yes=yes)
    done = asyncio.run(restore.restore(admin_dsn, backup_dir, manifest, clean=clean))
    m = done.manifest
    for problem in done.problems:
        print(f"FAIL  {problem}")
    if done.problems:
        sys.exit(1)
    print(f"restored the backup of {m.created_at:%Y-%m-%d %H:%M:%S %Z} (lifeline "
          f"{m.app_version}, schema at {m.schema_migration}); the row counts of "
          f"{len(m.row_counts)} tables match it")
    print(next_steps(m, done.app_role))


def _agree_to_replace(admin_dsn: str, manifest: Manifest, *, yes: bool) -> None:
    target = asyncio.run(replacing.target(admin_dsn, manifest.created_at))
    verdict, why = replacing.decide(target, yes=yes, interactive=sys.stdin.isatty())
    if verdict == "refuse" and target.app_connections:  # nothing else matters until it stops
        raise BackupError(why)
    if target.relations:
        print("\n".join(replacing.summary(target, manifest)))
    if verdict == "refuse":
        raise BackupError(why)
    if verdict == "ask":
        print(f"type the database's name ({target.database}) to replace its data: ", end="",
              flush=True)
        if not replacing.confirmed(sys.stdin.readline(), target.database):
            raise BackupError("not confirmed; nothing was restored")


def next_steps(m: Manifest, app_role: db_roles.AppRole) -> str:
    role = db_roles.APP_ROLE
    if not app_role.exists or app_role.has_password is False:
        login = (f"lifeline db app-role --new-password ({role} is new on this server and has "
                 "no password: put the DSN it prints in database_url)")
    elif app_role.has_password:
        login = f"{role} was here already: its password is unchanged, keep database_url as is"
    else:
        login = (f"{role} was here already: its password is unchanged (if it has none yet: "
                 "lifeline db app-role --new-password)")
    keys = (f"configure the data keys {', '.join(m.data_key_ids)} and the lookup key"
            if m.data_key_ids else
            "nothing in it is sealed: configure data keys and a lookup key as when installing")
    return f"next: lifeline migrate; {login}; lifeline doctor; {keys}"


def add_subcommands(sub: Subparsers, admin_url: DatabaseUrl) -> None:
    made = sub.add_parser("backup", help="dump the database with a manifest (not the keys)")
    made.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="a new directory")
    made.set_defaults(func=lambda args: cmd_backup(admin_url(args), args.out_dir))
    back = sub.add_parser("restore", help="check a backup and restore it into an empty "
                          "database")
    back.add_argument("backup_dir", type=Path, metavar="BACKUP_DIR")
    back.add_argument("--clean", action="store_true",
                      help="replace the data of a database that is not empty (refused while "
                      "the app is connected to it; asks to confirm)")
    back.add_argument("--yes", action="store_true",
                      help="with --clean, from a script: replace without asking")
    back.set_defaults(func=lambda args: cmd_restore(admin_url(args), args.backup_dir,
                                                    clean=args.clean, yes=args.yes))
