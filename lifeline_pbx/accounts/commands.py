"""`lifeline user add|list|disable|enable|reset-password|reset-second-factor|unlock`.

The first admin is made here; later users can be made in the web UI by an admin.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable
from typing import TypeAlias

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.accounts import attempts, passwords, users
from lifeline_pbx.operators.commands import (
    DatabaseUrl,
    Subparsers,
    read_password,
    with_connection,
)

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
Command = Callable[[argparse.Namespace, str], None]
ENTITY = users.AUDITED_AS


def _new_password(args: argparse.Namespace) -> tuple[str, str]:
    """(hash, the password to show once) from stdin or generated; refuses a weak one."""
    generated = not args.password_stdin
    password = secrets.token_urlsafe(12) if generated else read_password(sys.stdin)
    problem = passwords.problem(password, args.username)
    if problem:
        raise users.UserError(problem)
    return passwords.hash_password(password), password if generated else ""


def _show_once(password: str) -> None:
    if password:
        print(f"password: {password}  (shown once)")


async def _user(con: Connection, username: str) -> users.User:
    user = await users.by_username(con, username)
    if user is None:
        raise users.UserError(f"no user {username!r}")
    return user


def cmd_add(args: argparse.Namespace, dsn: str) -> None:
    hashed, shown = _new_password(args)

    async def work(con: Connection) -> None:
        async with con.transaction():
            user_id = await users.create(con, args.username, args.name or args.username,
                                         args.role, hashed, args.operator)
            await audit.change(con, None, "create", ENTITY, user_id,
                               [*users.CREATED_FIELDS, *(["operator"] if args.operator else [])])

    with_connection(dsn, work)
    print(f"user {args.username} ({args.role}) added")
    _show_once(shown)
    if args.role == "admin":
        print("admins set up an authenticator app at their first sign-in")


def cmd_list(args: argparse.Namespace, dsn: str) -> None:
    async def work(con: Connection) -> None:
        for u in await users.all_users(con):
            print(f"{u.username:20} {u.role:10} {'enabled' if u.enabled else 'disabled':8} "
                  f"{'2FA' if u.totp_secret else '   '} {u.operator_username or '-'}")

    with_connection(dsn, work)


def _set_enabled(enabled: bool) -> Command:
    def cmd(args: argparse.Namespace, dsn: str) -> None:
        async def work(con: Connection) -> None:
            async with con.transaction():
                user = await _user(con, args.username)
                if user.enabled != enabled:
                    await users.set_enabled(con, user.username, enabled)
                    await audit.change(con, None, "update", ENTITY, user.id, ["enabled"])

        with_connection(dsn, work)
        print(f"user {args.username} {'enabled' if enabled else 'disabled'}")

    return cmd


def cmd_reset_password(args: argparse.Namespace, dsn: str) -> None:
    hashed, shown = _new_password(args)

    async def work(con: Connection) -> None:
        async with con.transaction():
            user = await _user(con, args.username)
            await users.set_password(con, user.id, hashed)
            await users.end_sessions(con, user.id)
            await audit.change(con, None, "update", ENTITY, user.id, ["password"])

    with_connection(dsn, work)
    print(f"password of {args.username} changed; their sessions ended")
    _show_once(shown)


def cmd_reset_second_factor(args: argparse.Namespace, dsn: str) -> None:
    async def work(con: Connection) -> None:
        async with con.transaction():
            user = await _user(con, args.username)
            await users.set_totp(con, user.id, None)
            await users.end_sessions(con, user.id)
            await audit.change(con, None, "update", ENTITY, user.id, ["second_factor"])

    with_connection(dsn, work)
    print(f"second factor of {args.username} removed, their sessions ended; they set a new "
          "one at next sign-in")


def cmd_unlock(args: argparse.Namespace, dsn: str) -> None:
    lifted: list[bool] = []

    async def work(con: Connection) -> None:
        async with con.transaction():
            user = await _user(con, args.username)
            if await attempts.unlock(con, user.username):
                await audit.change(con, None, "update", ENTITY, user.id, ["sign_in_lock"])
                lifted.append(True)

    with_connection(dsn, work)
    print(f"sign-in of {args.username} unlocked" if lifted
          else f"{args.username} had no failed sign-ins to clear")


def add_subcommands(sub: Subparsers, database_url: DatabaseUrl) -> None:
    top = sub.add_parser("user", help="web accounts: operators, supervisors, admins")
    cmds = top.add_subparsers(dest="user_command", required=True)

    def bind(parser: argparse.ArgumentParser, func: Command) -> None:
        parser.set_defaults(func=lambda args: func(args, database_url(args)))

    add = cmds.add_parser("add", help="add a user (prints a generated password)")
    add.add_argument("username")
    add.add_argument("--role", choices=users.ROLES, required=True)
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--operator", default=None, help="their SIP account (operator username)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    bind(add, cmd_add)
    bind(cmds.add_parser("list", help="list users"), cmd_list)
    for name, enabled in (("disable", False), ("enable", True)):
        p = cmds.add_parser(name, help=f"{name} a user (disabling ends their sessions)")
        p.add_argument("username")
        bind(p, _set_enabled(enabled))
    reset = cmds.add_parser("reset-password", help="set a new password, end their sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    bind(reset, cmd_reset_password)
    second = cmds.add_parser("reset-second-factor",
                             help="remove a lost authenticator, end their sessions")
    second.add_argument("username")
    bind(second, cmd_reset_second_factor)
    unlock = cmds.add_parser("unlock", help="lift a sign-in lock after failed attempts")
    unlock.add_argument("username")
    bind(unlock, cmd_unlock)
