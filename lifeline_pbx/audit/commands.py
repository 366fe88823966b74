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


def cmd_app_role(admin_dsn: str, password_file: Path | None, new_password: bool) -> None:
    """The DSN alone on stdout, so that `$(lifeline db app-role)` captures it; what was
    done on stderr."""
    password = password_file.read_text().strip() if password_file else None
    if password_file and not password:
        raise MigrationError(f"{password_file} is empty")
    done = asyncio.run(db_roles.ensure_app_role(admin_dsn, new_password=new_password,
                                                password=password))
    print(app_role_said(done), file=sys.stderr)
    if done.dsn:
        print(done.dsn)


def app_role_said(done: db_roles.AppRoleDone) -> str:
    role = db_roles.APP_ROLE
    if done.action == "create":
        return f"{role} did not exist: made it, with a password; the app connects with " \
               "(database_url):"
    if done.action == "set password" and done.before.has_password is False:
        return f"{role} had no password: it has one now; the app connects with (database_url):"
    if done.action == "set password":
        return (f"{role} has a new password: put this in the app's settings (database_url) "
                "and restart it; the running app loses its connections until then:")
    unknown = ("" if done.before.has_password else
               " (the admin login cannot see whether it has one: on a new server, where it "
               "has none, use --new-password)")
    return (f"{role} exists, its grants are in place; its password is unchanged (the one in "
            f"your settings){unknown}. To set a new one: lifeline db app-role --new-password, "
            "then put it in the app's settings and restart: the running app loses its "
            "connections until then")


def add_subcommands(sub: Subparsers, app_url: DatabaseUrl, admin_url: DatabaseUrl) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser(
        "verify", help="recompute the audit log's hash chain; name the first broken entry"
    ).set_defaults(func=lambda args: cmd_verify(app_url(args)))
    database = sub.add_parser("db", help="database roles (with admin_database_url)")
    db_sub = database.add_subparsers(dest="db_command", required=True)
    app_role = db_sub.add_parser(
        "app-role", help=f"make {db_roles.APP_ROLE} and its grants; a password and its DSN "
        "only where it has none (or with --new-password)")
    app_role.add_argument("--new-password", action="store_true",
                          help="a new random password: the running app is logged out until "
                          "its settings have it and it is restarted")
    app_role.add_argument("--password-file", type=Path, default=None,
                          help="set this password (the file's content)")
    app_role.set_defaults(func=lambda args: cmd_app_role(
        admin_url(args), args.password_file, args.new_password))
