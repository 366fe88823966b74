"""`lifeline operator add|set|link|rotate-secret|disable|enable|list`: operators, their SIP
accounts, languages, queues and web user.

The commands are the admin pages' units of work (admin/operator_changes.py: validated,
audited without a user); they write PostgreSQL only, and the running app is notified by
the tables' triggers: it updates Asterisk and the queues within seconds. A new operator
serves the queues named by --queues, none by default. SIP secrets are generated, shown
once, and never chosen by a person (a chosen one falls to a dictionary attack).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO, TypeAlias

import asyncpg

from lifeline_pbx.admin import operator_changes, queue_changes
from lifeline_pbx.db import run_on_pool
from lifeline_pbx.operators import softphone, store
from lifeline_pbx.operators.sip_credentials import SIP_REALM

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


def with_connection(dsn: str, work: Callable[[Connection], Awaitable[None]]) -> None:
    async def main() -> None:
        con = await asyncpg.connect(dsn)
        try:
            await work(con)
        finally:
            await con.close()

    asyncio.run(main())


def read_password(stdin: TextIO) -> str:
    """The first line of stdin, without its line ending (web accounts' chosen passwords)."""
    return stdin.readline().rstrip("\r\n")


def print_secret(username: str, password: str, sip_address: str = "") -> None:
    phone = softphone.settings(username, sip_address, "")
    server = phone.server if sip_address else "this hotline's SIP address (setting sip_address)"
    print(f"""SIP account for the operator's softphone:
  user:      {username}
  password:  {password}
  server:    {server}
  port:      {phone.port}
  transport: {phone.transport}
  realm:     {SIP_REALM} (most softphones find it by themselves)
The password is shown only this once: give it to the operator now.""")


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


async def _queues(pool: Pool, text: str | None) -> list[str]:
    """--queues NAME,... as the form's ticked queue ids."""
    names = _names(text)
    return [str(i) for i in await queue_changes.ids_by_name(pool, names)] if names else []


def cmd_add(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> str:
        made = await operator_changes.create(pool, None, {
            "sip_username": args.username, "display_name": args.name,
            "languages": _names(args.languages), "queues": await _queues(pool, args.queues),
            "user": args.user or ""})
        op, queue_ids = made.profile.operator, made.profile.queue_ids
        serving = (f"serving {len(queue_ids)} queue(s)" if queue_ids else
                   "serving no queue yet: give them one with "
                   f"`lifeline operator set {op.sip_username} --queues NAME`")
        print(f"added operator {op.sip_username} ({op.display_name}), "
              f"languages {', '.join(op.languages)}, {serving}")
        return made.password

    print_secret(args.username, run_on_pool(dsn, work), args.sip_address)


def cmd_set(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await operator_changes.by_username(pool, args.username)
        op = found.operator
        changed = await operator_changes.update(pool, None, op.id, {
            "display_name": op.display_name if args.name is None else args.name,
            "languages": op.languages if args.languages is None else _names(args.languages),
            "queues": ([str(q) for q in found.queue_ids] if args.queues is None
                       else await _queues(pool, args.queues))})
        print(f"operator {op.sip_username}: " + (f"changed {', '.join(changed)}" if changed
                                                 else "nothing changed"))

    run_on_pool(dsn, work)


def cmd_rotate_secret(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> str:
        found = await operator_changes.by_username(pool, args.username)
        made = await operator_changes.reset_secret(pool, None, found.operator.id)
        print(f"new SIP secret for operator {found.operator.sip_username} "
              f"({found.operator.display_name}); the old one stops working within seconds")
        return made.password

    print_secret(args.username, run_on_pool(dsn, work), args.sip_address)


def cmd_set_enabled(args: argparse.Namespace, dsn: str, enabled: bool) -> None:
    async def work(pool: Pool) -> None:
        found = await operator_changes.by_username(pool, args.username)
        await operator_changes.set_enabled(pool, None, found.operator.id, enabled)
        state = "enabled" if enabled else "disabled (a call in progress goes on)"
        print(f"operator {found.operator.sip_username} ({found.operator.display_name}) {state}")

    run_on_pool(dsn, work)


def cmd_link(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await operator_changes.by_username(pool, args.username)
        await operator_changes.link_user(pool, None, found.operator.id, args.user or "")
        print(f"operator {args.username}: web user {args.user}" if args.user
              else f"operator {args.username}: no web user")

    run_on_pool(dsn, work)


def format_table(operators: list[store.Profile], queue_names: dict[int, str]) -> str:
    rows = [("USERNAME", "STATE", "LANGUAGES", "QUEUES", "USER", "NAME")] + [
        (p.operator.sip_username, "enabled" if p.operator.enabled else "disabled",
         ",".join(p.operator.languages),
         ",".join(queue_names.get(q, str(q)) for q in p.queue_ids) or "-",
         p.user or "-", p.operator.display_name)
        for p in operators
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                   row[5]])
        for row in rows
    )


def cmd_list(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await operator_changes.listing(pool)
        print(format_table(found.operators, dict(found.choices.queues)) if found.operators
              else "no operators")

    run_on_pool(dsn, work)


def add_subcommands(sub: Subparsers, database_url: DatabaseUrl) -> None:
    """Add `operator ...` to the `lifeline` command's subparsers."""
    top = sub.add_parser("operator", help="operators' SIP accounts")
    ops = top.add_subparsers(dest="operator_command", required=True)

    add = ops.add_parser("add", help="add an operator (prints a generated SIP secret once)")
    add.add_argument("--name", required=True, help="display name, e.g. 'Ana Pérez'")
    add.add_argument("--username", required=True, help="SIP user name, e.g. ana.perez")
    add.add_argument("--languages", required=True, help="languages spoken, e.g. es,en")
    add.add_argument("--queues", default=None,
                     help="queues served, by name, e.g. Hotline (or 'all'); default: none")
    add.add_argument("--user", default=None, help="the web user who takes calls on it")
    add.add_argument("--sip-address", default="",
                     help="where softphones reach the PBX, to print with the secret")
    add.set_defaults(func=lambda args: cmd_add(args, database_url(args)))

    change = ops.add_parser("set", help="change an operator's name, languages or queues")
    change.add_argument("username")
    change.add_argument("--name", default=None, help="display name")
    change.add_argument("--languages", default=None, help="languages spoken, e.g. es,en")
    change.add_argument("--queues", default=None,
                        help="queues served, by name ('' for none, 'all' for every queue)")
    change.set_defaults(func=lambda args: cmd_set(args, database_url(args)))

    link = ops.add_parser("link", help="the web user who takes calls on this SIP account")
    link.add_argument("username")
    link.add_argument("user", nargs="?", default="", help="web username; none to unlink")
    link.set_defaults(func=lambda args: cmd_link(args, database_url(args)))

    rotate = ops.add_parser(
        "rotate-secret", help="give an operator a new generated SIP secret (printed once)")
    rotate.add_argument("username")
    rotate.add_argument("--sip-address", default="",
                        help="where softphones reach the PBX, to print with the secret")
    rotate.set_defaults(func=lambda args: cmd_rotate_secret(args, database_url(args)))

    for name, enabled in (("disable", False), ("enable", True)):
        cmd = ops.add_parser(name, help=f"{name} an operator's SIP account (disabled: a call "
                             "in progress goes on, the account goes when it ends)")
        cmd.add_argument("username")
        cmd.set_defaults(func=lambda args, on=enabled: cmd_set_enabled(
            args, database_url(args), on))

    ops.add_parser("list", help="list operators").set_defaults(
        func=lambda args: cmd_list(args, database_url(args))
    )
