"""`lifeline operator add|rotate-secret|disable|enable|list`: operators' SIP accounts.

The commands write PostgreSQL only; the running app is notified by the table's trigger
and updates Asterisk within seconds (operators/sip_sync.py). SIP secrets are generated,
shown once, and never chosen by a person (a chosen one falls to a dictionary attack).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TextIO, TypeAlias

import asyncpg

from lifeline_pbx.operators import store
from lifeline_pbx.operators.sip_credentials import SIP_REALM

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
DatabaseUrl = Callable[[argparse.Namespace], str]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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


def print_secret(username: str, password: str) -> None:
    print(f"""SIP account for the operator's softphone:
  user:     {username}
  password: {password}
  realm:    {SIP_REALM} (most softphones find it by themselves)
  server:   this hotline's SIP address, UDP port 5060 unless set otherwise
The password is shown only this once: give it to the operator now.""")


def cmd_add(args: argparse.Namespace, dsn: str) -> None:
    password = store.generate_password(args.username)
    new = store.validate(args.name, args.username, password, store.parse_languages(args.languages))

    async def work(con: Connection) -> None:
        async with con.transaction():
            op = await store.add(con, new)
            # Until queues can be chosen in the web UI, a new operator serves every queue.
            queues = await con.fetch(
                "INSERT INTO operator_queues SELECT $1, id FROM queues RETURNING queue_id", op.id)
        print(f"added operator {op.sip_username} ({op.display_name}), "
              f"languages {', '.join(op.languages)}, serving {len(queues)} queue(s)")

    with_connection(dsn, work)
    print_secret(new.sip_username, password)


def cmd_rotate_secret(args: argparse.Namespace, dsn: str) -> None:
    password = store.generate_password(args.username)

    async def work(con: Connection) -> None:
        op = await store.set_secret(con, args.username, password)
        print(f"new SIP secret for operator {op.sip_username} ({op.display_name}); "
              "the old one stops working within seconds")

    with_connection(dsn, work)
    print_secret(args.username, password)


def cmd_set_enabled(args: argparse.Namespace, dsn: str, enabled: bool) -> None:
    async def work(con: Connection) -> None:
        op = await store.set_enabled(con, args.username, enabled)
        state = "enabled" if op.enabled else "disabled"
        print(f"operator {op.sip_username} ({op.display_name}) {state}")

    with_connection(dsn, work)


def format_table(operators: list[store.Operator]) -> str:
    rows = [("USERNAME", "STATE", "LANGUAGES", "NAME")] + [
        (op.sip_username, "enabled" if op.enabled else "disabled",
         ",".join(op.languages), op.display_name)
        for op in operators
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                   row[3]])
        for row in rows
    )


def cmd_list(args: argparse.Namespace, dsn: str) -> None:
    async def work(con: Connection) -> None:
        operators = await store.list_all(con)
        print(format_table(operators) if operators else "no operators")

    with_connection(dsn, work)


def add_subcommands(sub: Subparsers, database_url: DatabaseUrl) -> None:
    """Add `operator ...` to the `lifeline` command's subparsers."""
    top = sub.add_parser("operator", help="operators' SIP accounts")
    ops = top.add_subparsers(dest="operator_command", required=True)

    add = ops.add_parser("add", help="add an operator (prints a generated SIP secret once)")
    add.add_argument("--name", required=True, help="display name, e.g. 'Ana Pérez'")
    add.add_argument("--username", required=True, help="SIP user name, e.g. ana.perez")
    add.add_argument("--languages", required=True, help="languages spoken, e.g. es,en")
    add.set_defaults(func=lambda args: cmd_add(args, database_url(args)))

    rotate = ops.add_parser(
        "rotate-secret", help="give an operator a new generated SIP secret (printed once)")
    rotate.add_argument("username")
    rotate.set_defaults(func=lambda args: cmd_rotate_secret(args, database_url(args)))

    for name, enabled in (("disable", False), ("enable", True)):
        cmd = ops.add_parser(name, help=f"{name} an operator's SIP account")
        cmd.add_argument("username")
        cmd.set_defaults(func=lambda args, on=enabled: cmd_set_enabled(
            args, database_url(args), on))

    ops.add_parser("list", help="list operators").set_defaults(
        func=lambda args: cmd_list(args, database_url(args))
    )
