"""`lifeline retention run [--dry-run]`: the retention run now, as the scheduled job does it,
for sysadmins; --dry-run prints what it would remove and removes nothing."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import TypeAlias

import asyncpg

from lifeline_pbx.retention import work
from lifeline_pbx.retention.rules import KINDS, Removed

DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def summary(removed: Removed, dry_run: bool) -> str:
    verb = "would remove" if dry_run else "removed"
    lines = [f"retention {verb}:"]
    lines += [f"  {k.label.lower():14} {getattr(removed, k.name):8d}" for k in KINDS]
    lines.append(f"  {'excerpts':14} {removed.excerpts:8d}")
    lines.append(f"  kept for legal holds {removed.held:d}")
    lines.append(f"  kept unreviewed (voicemails, their audio) {removed.unreviewed:d}")
    return "\n".join(lines)


def cmd_run(dsn: str, dry_run: bool) -> None:
    async def go() -> Removed | None:
        con = await asyncpg.connect(dsn)
        try:
            return await work.run(con, "command", dry_run=dry_run)
        finally:
            await con.close()

    removed = asyncio.run(go())
    if removed is None:
        print("retention: another run is in progress; nothing done")
        return
    print(summary(removed, dry_run))


def add_subcommands(sub: Subparsers, app_url: DatabaseUrl) -> None:
    retention = sub.add_parser("retention", help="removing records past their retention time")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    run = retention_sub.add_parser(
        "run", help="remove what is due now under the admins' settings (as the daily job)")
    run.add_argument("--dry-run", action="store_true",
                     help="print what would be removed, remove nothing")
    run.set_defaults(func=lambda args: cmd_run(app_url(args), args.dry_run))
