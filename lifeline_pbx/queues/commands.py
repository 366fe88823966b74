"""`lifeline queue add|set|list|delete`: queues' settings and who serves them, for scripts.

The same units of work as the admin pages (admin/queue_changes.py: validated with the
field named, audited without a user); the running app reads the change within seconds
(the tables' triggers, config_watch.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from lifeline_pbx.admin import operator_changes, queue_changes
from lifeline_pbx.db import run_on_pool
from lifeline_pbx.operators.commands import DatabaseUrl, Pool, Subparsers
from lifeline_pbx.queues import queue_rules
from lifeline_pbx.queues.queue_rules import BOUNDS

# Option -> the setting (the form's field) it sets.
OPTIONS = {
    "language_wait": "language_wait_seconds", "ring_time": "ring_timeout_seconds",
    "max_missed": "max_missed", "wrapup": "wrapup_seconds", "max_wait": "max_wait_seconds",
    "announce_every": "announce_every_seconds",
}


def settings_form(args: argparse.Namespace, base: dict[str, str]) -> dict[str, str]:
    """The options given, over `base` (the defaults, or the queue's settings now)."""
    form = dict(base)
    for option, field in OPTIONS.items():
        if getattr(args, option) is not None:
            form[field] = getattr(args, option)
    if args.accept_by_key is not None:
        form["accept_by_key"] = "on" if args.accept_by_key else ""
    return form


async def _operators(pool: Pool, text: str) -> list[str]:
    """--operators NAME,... as the form's ticked operator ids."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    return [str(i) for i in await operator_changes.ids_by_username(pool, names)]


def cmd_add(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        form: dict[str, Any] = settings_form(args, {**queue_rules.DEFAULTS, "name": args.name})
        form["operators"] = await _operators(pool, args.operators or "")
        queue_id = await queue_changes.create(pool, None, form)
        print(f"added queue {form['name'].strip()} (id {queue_id}), served by "
              f"{len(form['operators'])} operator(s)")

    run_on_pool(dsn, work)


def cmd_set(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await queue_changes.by_name(pool, args.name)
        base = queue_rules.as_form(found.settings)
        if args.rename is not None:
            base["name"] = args.rename
        form: dict[str, Any] = settings_form(args, base)
        if args.operators is not None:
            form["operators"] = await _operators(pool, args.operators)
        changed = await queue_changes.update(pool, None, found.id, form)
        print(f"queue {form['name'].strip()}: " + (f"changed {', '.join(changed)}" if changed
                                                   else "nothing changed"))

    run_on_pool(dsn, work)


def cmd_delete(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await queue_changes.by_name(pool, args.name)
        print(f"deleted queue {await queue_changes.delete(pool, None, found.id)}")

    run_on_pool(dsn, work)


def cmd_list(args: argparse.Namespace, dsn: str) -> None:
    async def work(pool: Pool) -> None:
        found = await queue_changes.listing(pool)
        names = {p.operator.id: p.operator.sip_username for p in found.operators}
        for q in found.queues:
            s = q.settings
            print(f"{s.name}: ring {s.ring_timeout_seconds}s, language wait "
                  f"{s.language_wait_seconds}s, max wait {s.max_wait_seconds}s, missed "
                  f"{s.max_missed}, wrap-up {s.wrapup_seconds}s, announce every "
                  f"{s.announce_every_seconds}s, press 1: {'yes' if s.accept_by_key else 'no'};"
                  f" operators: {','.join(names[i] for i in q.operator_ids) or '-'};"
                  f" lines: {','.join(q.lines) or '-'}")
        if not found.queues:
            print("no queues")

    run_on_pool(dsn, work)


def _settings_options(parser: argparse.ArgumentParser) -> None:
    for option, field in OPTIONS.items():
        bound = BOUNDS[field]
        parser.add_argument(f"--{option.replace('_', '-')}", default=None,
                            help=f"{bound.label}, {bound.low}-{bound.high}")
    parser.add_argument("--accept-by-key", action=argparse.BooleanOptionalAction, default=None,
                        help="operators press 1 to take a call")
    parser.add_argument("--operators", default=None,
                        help="who serves it: SIP usernames, comma-separated ('' for nobody)")


def add_subcommands(sub: Subparsers, database_url: DatabaseUrl) -> None:
    top = sub.add_parser("queue", help="queues: settings and the operators who serve them")
    cmds = top.add_subparsers(dest="queue_command", required=True)
    add = cmds.add_parser("add", help="add a queue")
    add.add_argument("name")
    _settings_options(add)
    add.set_defaults(func=lambda args: cmd_add(args, database_url(args)))
    change = cmds.add_parser("set", help="change a queue's settings or operators")
    change.add_argument("name")
    change.add_argument("--rename", default=None, help="a new name")
    _settings_options(change)
    change.set_defaults(func=lambda args: cmd_set(args, database_url(args)))
    delete = cmds.add_parser("delete", help="delete a queue no line and no call uses")
    delete.add_argument("name")
    delete.set_defaults(func=lambda args: cmd_delete(args, database_url(args)))
    cmds.add_parser("list", help="list queues").set_defaults(
        func=lambda args: cmd_list(args, database_url(args)))
