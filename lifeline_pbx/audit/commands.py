"""`lifeline audit verify` and `lifeline db app-role`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

import asyncpg

from lifeline_pbx import db_roles
from lifeline_pbx.audit import chain
from lifeline_pbx.errors import MigrationError

DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_verify(dsn: str) -> None:
    async def run() -> chain.Verdict:
        con = await asyncpg.connect(dsn)
        try:
            return await chain.verify(con)
        finally:
            await con.close()

    verdict = asyncio.run(run())
    print(chain.describe(verdict))
    if verdict.broken is not None:
        sys.exit(1)


def cmd_app_role(admin_dsn: str, password_file: Path | None) -> None:
    password = password_file.read_text().strip() if password_file else None
    if password_file and not password:
        raise MigrationError(f"{password_file} is empty")
    app_dsn = asyncio.run(db_roles.set_app_password(admin_dsn, password))
    print(f"{db_roles.APP_ROLE} has a new password; the app connects with (database_url):")
    print(app_dsn)


def add_subcommands(sub: Subparsers, app_url: DatabaseUrl, admin_url: DatabaseUrl) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser(
        "verify", help="recompute the audit log's hash chain; name the first broken entry"
    ).set_defaults(func=lambda args: cmd_verify(app_url(args)))
    database = sub.add_parser("db", help="database roles (with admin_database_url)")
    db_sub = database.add_subparsers(dest="db_command", required=True)
    app_role = db_sub.add_parser(
        "app-role", help=f"give {db_roles.APP_ROLE} a new password and print its DSN")
    app_role.add_argument("--password-file", type=Path, default=None,
                          help="set this password (the file's content) instead of a random one")
    app_role.set_defaults(func=lambda args: cmd_app_role(admin_url(args), args.password_file))
