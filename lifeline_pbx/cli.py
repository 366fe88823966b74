"""The `lifeline` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from pathlib import Path

import asyncpg

from lifeline_pbx import cli_settings, demo, logs
from lifeline_pbx import config as config_module
from lifeline_pbx.accounts import commands as user_commands
from lifeline_pbx.admin import config_commands
from lifeline_pbx.audit import commands as audit_commands
from lifeline_pbx.backup import commands as backup_commands
from lifeline_pbx.doctor import commands as doctor_commands
from lifeline_pbx.errors import LifelineError
from lifeline_pbx.migrate import MIGRATIONS_DIR, migrate
from lifeline_pbx.operators import commands as operator_commands
from lifeline_pbx.prompts import commands as prompt_commands
from lifeline_pbx.prompts import work as prompt_work
from lifeline_pbx.queues import commands as queue_commands
from lifeline_pbx.retention import commands as retention_commands
from lifeline_pbx.start_checks import database_refusal


def _config(args: argparse.Namespace) -> config_module.Config:
    return config_module.load(args.config)


# A command's database settings are read through these: each notes on args the setting it
# gave, so that a database that cannot be opened is named by the setting to put right.
def _app_config(args: argparse.Namespace) -> config_module.Config:
    args.database_setting = "database_url"
    return _config(args)


def _app_url(args: argparse.Namespace) -> str:
    args.database_setting = "database_url"
    return config_module.database_url(args.config)


def _admin_url(args: argparse.Namespace) -> str:
    args.database_setting = "admin_database_url"
    return config_module.admin_database_url(args.config, fallback=False)


def _admin_or_app_url(args: argparse.Namespace) -> str:
    args.database_setting = config_module.admin_database_setting(args.config)
    return config_module.admin_database_url(args.config)


def cmd_migrate(args: argparse.Namespace) -> None:
    applied = asyncio.run(migrate(_admin_or_app_url(args), MIGRATIONS_DIR))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


def cmd_demo_data(args: argparse.Namespace) -> None:
    async def run() -> None:
        con = await asyncpg.connect(_app_url(args))
        try:
            await demo.load(con)
        finally:
            await con.close()

    asyncio.run(run())
    print("demo data loaded")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvloop

    from lifeline_pbx.app import serve

    cfg = _config(args)
    logs.use(cfg.log_format, cfg.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        # The engine's work is mostly the event loop's own (docs/decisions.md).
        uvloop.run(serve(cfg))


def cmd_config_check(args: argparse.Namespace) -> None:
    _config(args)
    print("settings ok")


def cmd_asterisk_config(args: argparse.Namespace) -> None:
    from lifeline_pbx.asterisk_config import SHIPPED_SOURCES, render_tree

    values = dict(item.split("=", 1) for item in args.set)
    for item in args.set_file:  # a secret from a file: never on the command line (ps)
        name, _, path = item.partition("=")
        values[name] = Path(path).read_text().strip()
    for path in render_tree(SHIPPED_SOURCES, Path(args.out), values):
        print(path)


def cmd_prompts(args: argparse.Namespace) -> None:
    from lifeline_pbx.prompts.synthesis import generate

    count = generate(Path(args.out), args.languages or None)
    print(f"generated {count} prompt file(s) in {args.out}")


def cmd_keys_new(args: argparse.Namespace) -> None:
    from lifeline_pbx.crypto import new_key

    print(new_key())


def cmd_keys_rotate(args: argparse.Namespace) -> None:
    from lifeline_pbx.rotation import Counts, rotate, summary

    dsn, keys = config_module.sealing(args.config)
    args.database_setting = "database_url"

    async def run() -> dict[str, Counts]:
        con = await asyncpg.connect(dsn)
        try:
            return await rotate(con, keys)
        finally:
            await con.close()

    print("\n".join(summary(asyncio.run(run()), keys.primary)))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lifeline", description="Lifeline PBX")
    top.add_argument("--config", type=Path, default=None, help="a TOML settings file")
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    sub.add_parser("demo-data", help="load demo facilities, lines and an operator").set_defaults(
        func=cmd_demo_data
    )
    sub.add_parser("serve", help="run the ARI app and the web server").set_defaults(
        func=cmd_serve
    )
    settings = sub.add_parser("config", help="the app's settings")
    settings.add_subparsers(dest="config_command", required=True).add_parser(
        "check", help="read the settings as `lifeline serve` does; name the first bad one"
    ).set_defaults(func=cmd_config_check)
    conf = sub.add_parser("asterisk-config", help="render asterisk-conf/ and dialplan/")
    conf.add_argument("--out", required=True)
    conf.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    conf.add_argument("--set-file", action="append", default=[], metavar="NAME=FILE",
                      help="a value read from a file (trunk_password: a secret)")
    conf.set_defaults(func=cmd_asterisk_config)
    prompts = sub.add_parser("prompts", help="generate the voice prompts")
    prompts.add_argument("--out", default="/var/lib/lifeline-pbx/prompts")
    prompts.add_argument("languages", nargs="*")
    prompts.set_defaults(func=cmd_prompts)
    keys = sub.add_parser("keys", help="keys that seal case data (docs/operations.md)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("new", help="print a new random key").set_defaults(func=cmd_keys_new)
    keys_sub.add_parser(
        "rotate", help="reseal everything under the first data key, rehash A-numbers and "
        "rebuild the search tokens"
    ).set_defaults(func=cmd_keys_rotate)
    operator_commands.add_subcommands(sub, _app_url)
    config_commands.add_subcommands(sub, lambda args: config_commands.Target(
        _app_url(args), prompt_work.folder_at(config_module.prompts_folder(args.config))))
    queue_commands.add_subcommands(sub, _app_url)
    user_commands.add_subcommands(sub, _app_url)
    audit_commands.add_subcommands(sub, _app_url, _admin_url)
    retention_commands.add_subcommands(sub, _app_url)
    doctor_commands.add_subcommands(sub)
    prompt_commands.add_subcommands(sub, _app_config)
    backup_commands.add_subcommands(sub, _admin_url)
    cli_settings.describe(top)
    return top


def main(argv: list[str] | None = None) -> None:
    # JSON from the first line when the environment asks (a bad value: text, until `serve`
    # reads the settings and names it).
    logs.install(os.environ.get(f"{config_module.ENV_PREFIX}LOG_FORMAT", "text").strip().lower())
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except LifelineError as exc:
        print(f"lifeline: {exc}", file=sys.stderr)
        sys.exit(2)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        setting = getattr(args, "database_setting", None)
        if setting is None or not opening_failed(exc):
            raise
        print(f"lifeline: {database_refusal(exc, setting)}", file=sys.stderr)
        sys.exit(2)


_REFUSED = (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidCatalogNameError,
            asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError)
_ASYNCPG = Path(asyncpg.__file__).parent


def opening_failed(exc: BaseException) -> bool:
    """Did the database refuse the login, or not answer? An OSError is the database's only
    when raised within asyncpg: a command's own files (a backup's folder) raise them too."""
    if isinstance(exc, _REFUSED):
        return True
    return isinstance(exc, (OSError, TimeoutError)) and any(
        Path(frame.filename).is_relative_to(_ASYNCPG)
        for frame in traceback.extract_tb(exc.__traceback__))


if __name__ == "__main__":
    main()
