"""`lifeline facility ...` and `lifeline line ...`: the admin pages' facilities and lines, for
scripts. The same checks and units of work as the web pages (audited with no user: the
command); the running engine is notified by the tables' triggers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import asyncpg

from lifeline_pbx.admin import facility_changes, line_changes, line_rules
from lifeline_pbx.admin.facilities_store import Facility
from lifeline_pbx.admin.line_rules import WEEKDAYS
from lifeline_pbx.db import run_on_pool
from lifeline_pbx.errors import Invalid, LifelineError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Settings = Callable[[argparse.Namespace], "Target"]


@dataclass(frozen=True)
class Target:
    """What the commands need of the settings: the database, and the prompts folder as
    this process sees it (None: not here, every prompt file trusted)."""

    database_url: str
    prompts: Path | None


def _run(cfg: Target, work: Callable[[asyncpg.Pool], Awaitable[None]]) -> None:
    try:
        run_on_pool(cfg.database_url, work)
    except Invalid as refused:
        raise LifelineError("refused, nothing saved:\n  " + "\n  ".join(
            f"{field.removeprefix('_form') or 'form'}: {problem}"
            for field, problem in refused.errors.items())) from None


def _facility_id(facilities: list[Facility], given: str) -> int:
    for f in facilities:
        if given == str(f.id) or given.lower() == f.name.lower():
            return f.id
    raise LifelineError(f"no facility {given!r}: see `lifeline facility list`")


# Facilities


def cmd_facility_add(args: argparse.Namespace, cfg: Target) -> None:
    form = {"name": args.name, "city": args.city, "state": args.state,
            "address": args.address, "contractor": args.contractor,
            "timezone": args.timezone, "notes": args.notes}

    async def work(pool: asyncpg.Pool) -> None:
        facility_id = await facility_changes.create(pool, None, form)
        found = await facility_changes.facility(pool, facility_id)
        print(f"added facility {facility_id}: {found.name} ({found.fields.timezone})")

    _run(cfg, work)


def cmd_facility_import(args: argparse.Namespace, cfg: Target) -> None:
    content = sys.stdin.read() if str(args.file) == "-" else Path(args.file).read_text(
        encoding="utf-8-sig")

    async def work(pool: asyncpg.Pool) -> None:
        print(f"imported {await facility_changes.import_csv(pool, None, content)} facilities")

    _run(cfg, work)


def cmd_facility_list(args: argparse.Namespace, cfg: Target) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        for f in await facility_changes.all_facilities(pool):
            state = "enabled" if f.enabled else "disabled"
            print(f"{f.id:5}  {state:8}  {f.fields.state:2}  {f.fields.timezone:24}  "
                  f"{f.lines} line(s)  {f.name}")

    _run(cfg, work)


def cmd_facility_enabled(args: argparse.Namespace, cfg: Target, enabled: bool) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        facility_id = _facility_id(await facility_changes.all_facilities(pool), args.facility)
        await facility_changes.set_enabled(pool, None, facility_id, enabled)
        print(f"facility {facility_id} {'enabled' if enabled else 'disabled'}")

    _run(cfg, work)


# Lines


def line_form(args: argparse.Namespace, facility_id: int, queue_id: int | None
              ) -> dict[str, str]:
    """The options of `line add` as the web form's fields, to go through the same checks."""
    form = {"did": args.did, "name": args.name, "facility_id": str(facility_id),
            "queue_id": "" if queue_id is None else str(queue_id),
            "default_language": args.default_language, "triage_digit": args.triage_digit,
            "menu_timeout": str(args.menu_timeout), "call_limit": str(args.call_limit),
            "limit_warning": str(args.limit_warning), "voicemail_max": str(args.voicemail_max),
            "max_wait": "" if args.max_wait is None else str(args.max_wait)}
    for row, item in enumerate(filter(None, args.menu.split(",")), 1):
        language, _, digit = item.strip().partition(":")
        form[f"menu_language_{row}"], form[f"menu_digit_{row}"] = language, digit
    for item in args.hours:
        day, _, spans = item.partition("=")
        if day.strip().lower() not in WEEKDAYS:
            raise LifelineError(f"--hours {item!r}: start with a day ({', '.join(WEEKDAYS)})=")
        form[f"hours_{day.strip().lower()}"] = spans
    flags = {"always_open": not args.hours, "record_calls": args.record_calls,
             "transfer_allowed": args.transfer_allowed,
             "three_way_allowed": args.three_way_allowed}
    form.update({name: "on" for name, on in flags.items() if on})
    return form


def cmd_line_add(args: argparse.Namespace, cfg: Target) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        facility_id = _facility_id(await facility_changes.all_facilities(pool), args.facility)
        choices = await line_changes.form_choices(pool, cfg.prompts)
        queue_id = None
        if args.queue:
            queue_id = next((q for q, name in choices.queues if name == args.queue), None)
            if queue_id is None:
                raise LifelineError(f"no queue named {args.queue!r}")
        line_id = await line_changes.create(pool, None, line_form(args, facility_id, queue_id),
                                            cfg.prompts)
        print(f"added line {line_id}: +{line_rules.normalise_did(args.did)}, answering from "
              "the next call")

    _run(cfg, work)


async def _line_id(pool: asyncpg.Pool, did: str) -> int:
    wanted = line_rules.normalise_did(did)
    for found in await line_changes.all_lines(pool):
        if found.settings.did == wanted:
            return found.id
    raise LifelineError(f"no line +{wanted}: see `lifeline line list`")


def cmd_line_list(args: argparse.Namespace, cfg: Target) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        for found in await line_changes.all_lines(pool):
            s = found.settings
            menu = ",".join(f"{lang}:{digit}" for lang, digit in s.menu) or s.default_language
            print(f"+{s.did:16} {'enabled' if found.enabled else 'disabled':8}  {menu:18}  "
                  f"{found.queue_name or '(voicemail)':12}  {found.facility_name}: {s.name}")

    _run(cfg, work)


def cmd_line_enabled(args: argparse.Namespace, cfg: Target, enabled: bool) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        await line_changes.set_enabled(pool, None, await _line_id(pool, args.did), enabled)
        print(f"line +{line_rules.normalise_did(args.did)} "
              f"{'enabled' if enabled else 'disabled'}")

    _run(cfg, work)


def cmd_line_delete(args: argparse.Namespace, cfg: Target) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        await line_changes.delete(pool, None, await _line_id(pool, args.did))
        print(f"line +{line_rules.normalise_did(args.did)} deleted")

    _run(cfg, work)


def cmd_line_close(args: argparse.Namespace, cfg: Target) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        form = {"first": args.first, "last": args.last or "", "name": args.reason,
                "prompt": args.prompt}
        days = await line_changes.add_closure(pool, None, await _line_id(pool, args.did),
                                              form, cfg.prompts)
        print(f"line +{line_rules.normalise_did(args.did)} closed on {days} day(s)")

    _run(cfg, work)


def add_subcommands(sub: Subparsers, settings: Settings) -> None:
    """Add `facility ...` and `line ...` to the `lifeline` command's subparsers."""
    top = sub.add_parser("facility", help="detention facilities (as on /admin/facilities)")
    fac = top.add_subparsers(dest="facility_command", required=True)
    add = fac.add_parser("add", help="add a facility")
    add.add_argument("--name", required=True)
    add.add_argument("--state", required=True, help="postal code, e.g. GA")
    for option in ("city", "address", "contractor", "notes"):
        add.add_argument(f"--{option}", default="")
    add.add_argument("--timezone", default="", help="IANA zone; default: the state's usual one")
    add.set_defaults(func=lambda a: cmd_facility_add(a, settings(a)))
    imp = fac.add_parser("import", help="add every facility of a CSV file (name,city,state,"
                         "contractor[,timezone]), or none if any line is wrong")
    imp.add_argument("file", help="the CSV file, or - for standard input")
    imp.set_defaults(func=lambda a: cmd_facility_import(a, settings(a)))
    fac.add_parser("list", help="list facilities").set_defaults(
        func=lambda a: cmd_facility_list(a, settings(a)))
    for name, enabled in (("enable", True), ("disable", False)):
        toggle = fac.add_parser(name, help=f"{name} a facility (by id or name)")
        toggle.add_argument("facility")
        toggle.set_defaults(func=lambda a, e=enabled: cmd_facility_enabled(a, settings(a), e))

    top = sub.add_parser("line", help="phone lines (DIDs) and their policy (as on /admin/lines)")
    lines = top.add_subparsers(dest="line_command", required=True)
    add = lines.add_parser("add", help="add a line; it answers from the next call")
    add.add_argument("--did", required=True, help="e.g. +15550100301")
    add.add_argument("--facility", required=True, help="facility id or name")
    add.add_argument("--name", required=True)
    add.add_argument("--queue", default="", help="queue name; none: every call to voicemail")
    add.add_argument("--default-language", required=True)
    add.add_argument("--menu", default="", help="language:key in menu order, e.g. es:1,en:2")
    add.add_argument("--hours", action="append", default=[], metavar="DAY=SPANS",
                     help="e.g. mon=09:00-17:00 (repeat per day); none: open at all hours")
    add.add_argument("--triage-digit", default="9")
    add.add_argument("--menu-timeout", type=int, default=5)
    add.add_argument("--call-limit", type=int, default=900, help="seconds")
    add.add_argument("--limit-warning", type=int, default=120, help="seconds before the cut")
    add.add_argument("--voicemail-max", type=int, default=180)
    add.add_argument("--max-wait", type=int, default=None, help="default: the queue's")
    for flag in ("record-calls", "transfer-allowed", "three-way-allowed"):
        add.add_argument(f"--{flag}", action="store_true")
    add.set_defaults(func=lambda a: cmd_line_add(a, settings(a)))
    lines.add_parser("list", help="list lines").set_defaults(
        func=lambda a: cmd_line_list(a, settings(a)))
    for name, enabled in (("enable", True), ("disable", False)):
        toggle = lines.add_parser(name, help=f"{name} a line")
        toggle.add_argument("did")
        toggle.set_defaults(func=lambda a, e=enabled: cmd_line_enabled(a, settings(a), e))
    delete = lines.add_parser("delete", help="delete a line never called (else: disable it)")
    delete.add_argument("did")
    delete.set_defaults(func=lambda a: cmd_line_delete(a, settings(a)))
    close = lines.add_parser("close", help="close a line on a day or days (a holiday)")
    close.add_argument("did")
    close.add_argument("--first", required=True, help="YYYY-MM-DD")
    close.add_argument("--last", default="", help="YYYY-MM-DD; default: the first day")
    close.add_argument("--reason", required=True)
    close.add_argument("--prompt", default="voicemail-closed", help="what callers hear")
    close.set_defaults(func=lambda a: cmd_line_close(a, settings(a)))
