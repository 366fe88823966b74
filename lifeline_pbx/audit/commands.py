"""`lifeline audit verify` and `lifeline db app-role`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TypeAlias

import asyncpg

from lifeline_pbx import db_roles
from lifeline_pbx.audit import chain

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


def cmd_app_role(admin_dsn: str) -> None:
    app_dsn = asyncio.run(db_roles.set_app_password(admin_dsn))
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
    db_sub.add_parser(
        "app-role", help=f"give {db_roles.APP_ROLE} a new password and print its DSN"
    ).set_defaults(func=lambda args: cmd_app_role(admin_url(args)))
