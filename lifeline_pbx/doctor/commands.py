"""`lifeline doctor [--only PART]`: every part's checks, one line each; exit 1 if any fails."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias

import asyncpg

from lifeline_pbx import config, sealed_keys
from lifeline_pbx.db import Conn
from lifeline_pbx.doctor import asterisk, audit_roles, database, settings
from lifeline_pbx.doctor.report import Check, report
from lifeline_pbx.errors import ConfigError, LifelineError
from lifeline_pbx.migrate import MIGRATIONS_DIR, load
from lifeline_pbx.start_checks import database_fault

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
PARTS = ("settings", "database", "schema", "keys", "asterisk")
AUDIT = "the audit log is out of the app's reach"
KEYS = "the data keys open the sealed values"
BEHIND = "not checked: the schema is behind (run `lifeline migrate` first)"


async def run(path: Path | None, parts: frozenset[str]) -> list[Check]:
    facts, cfg = settings.gather(path)
    if "settings" in parts and facts.problem_setting in settings.KEY_SETTINGS:
        facts = dataclasses.replace(facts, sealed=await _sealed(path))
    results = settings.checks(facts) if "settings" in parts else []
    unchecked = ("not checked: the settings do not load"
                 + (" (see above)" if "settings" in parts else f": {facts.problem}"))
    if parts & {"database", "schema", "keys"}:
        results += await _part("the database answers the app's login (database_url)", False,
                               lambda: _database(path, cfg, parts, unchecked))
    if "asterisk" in parts:
        results += (await _part("Asterisk's ARI answers", False, lambda: _asterisk(cfg))
                    if cfg is not None else [Check("Asterisk's ARI answers", False, unchecked)])
    return results


async def _asterisk(cfg: config.Config) -> list[Check]:
    return asterisk.checks(await asterisk.gather(cfg))


async def _sealed(path: Path | None) -> dict[str, int] | None:
    """Which key ids the database's sealed values name, when the keys do not load: the ones
    to configure (None: the database cannot be asked)."""
    try:
        con = await asyncpg.connect(config.database_url(path), timeout=10)
    except (ConfigError, OSError, TimeoutError, asyncpg.PostgresError):
        return None
    try:
        return await sealed_keys.in_use(con)
    except asyncpg.PostgresError:
        return None
    finally:
        await con.close()


async def _database(path: Path | None, cfg: config.Config | None,
                    parts: frozenset[str], unchecked: str) -> list[Check]:
    name = "the database answers the app's login (database_url)"
    try:
        dsn = cfg.database_url if cfg is not None else config.database_url(path)
        con = await asyncpg.connect(dsn, timeout=10)
    except ConfigError as exc:
        return [Check(name, False, str(exc))]
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return [Check(name, False, *database_fault(exc))]
    try:
        # The schema first: on a schema behind this version the other parts' tables (or
        # their columns) are not there yet.
        schema = await database.gather_schema(con, load(MIGRATIONS_DIR))
        behind = database.behind(schema)
        results = database.schema_checks(schema) if "schema" in parts else []
        if "database" in parts:
            results += await _part(AUDIT, behind, lambda: _audit(con))
        if "keys" in parts:
            results += (await _part(KEYS, behind, lambda: _keys(con, cfg)) if cfg is not None
                        else [Check(KEYS, False, unchecked)])
    finally:
        await con.close()
    return results


async def _part(name: str, behind: bool,
                check: Callable[[], Awaitable[list[Check]]]) -> list[Check]:
    if behind:
        return [Check(name, False, BEHIND)]
    try:
        return await check()
    except Exception as exc:  # unforeseen: said as this part's fault, and the others run
        return [Check(name, False, f"not checked: {type(exc).__name__}: {exc}")]


async def _audit(con: Conn) -> list[Check]:
    try:
        return audit_roles.checks(await audit_roles.gather(con))
    except LifelineError as exc:
        return [Check(AUDIT, False, str(exc))]


async def _keys(con: Conn, cfg: config.Config) -> list[Check]:
    return database.key_checks(await database.gather_keys(con, config.key_ring(cfg)))


def cmd_doctor(args: argparse.Namespace) -> None:
    results = asyncio.run(run(args.config, frozenset(args.only or PARTS)))
    print(report(results))
    if not all(c.ok for c in results):
        sys.exit(1)


def add_subcommands(sub: Subparsers) -> None:
    doctor = sub.add_parser("doctor", help="check the settings, keys, database roles, schema "
                            "and Asterisk; name what is wrong and how to fix it")
    doctor.add_argument("--only", action="append", choices=PARTS,
                        help="check only this part (repeatable)")
    doctor.set_defaults(func=cmd_doctor)
