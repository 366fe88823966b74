"""`lifeline language list|add|edit` and `lifeline prompt coverage|upload|revert`: the
languages and prompts admin for scripts. Same checks, audit entries (with no user) and
NOTIFY as the web pages (prompts/work.py); the running engine follows within a second.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias

import asyncpg

from lifeline_pbx.config import Config
from lifeline_pbx.errors import Invalid
from lifeline_pbx.prompts import coverage, work

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
LoadConfig = Callable[[argparse.Namespace], Config]
Work = Callable[[asyncpg.Pool, Path | None], Awaitable[None]]


def _run(cfg: Config, job: Work) -> None:
    async def main() -> None:
        async with asyncpg.create_pool(cfg.database_url, min_size=1, max_size=2) as pool:
            await job(pool, work.folder_of(cfg))

    asyncio.run(main())


def cmd_language_list(cfg: Config, _args: argparse.Namespace) -> None:
    async def job(pool: asyncpg.Pool, _folder: Path | None) -> None:
        for lang in await work.languages(pool):
            voice = "synthesised" if lang.synthesised else "recordings"
            print(f"{lang.code:8} {lang.name:20} {voice:12} {lang.menu_label}")

    _run(cfg, job)


def cmd_language_add(cfg: Config, args: argparse.Namespace) -> None:
    form = {"code": args.code, "name": args.name, "menu_label": args.menu_label}

    async def job(pool: asyncpg.Pool, _folder: Path | None) -> None:
        print(f"added language {await work.add_language(pool, None, form)}")

    _run(cfg, job)


def cmd_language_edit(cfg: Config, args: argparse.Namespace) -> None:
    async def job(pool: asyncpg.Pool, _folder: Path | None) -> None:
        before = await work.language(pool, args.code)
        form = {"name": before.name if args.name is None else args.name,
                "menu_label": before.menu_label if args.menu_label is None
                else args.menu_label}
        changed = await work.edit_language(pool, None, args.code, form)
        print(f"changed {', '.join(changed)}" if changed else "nothing changed")

    _run(cfg, job)


def cmd_prompt_coverage(cfg: Config, args: argparse.Namespace) -> None:
    async def job(pool: asyncpg.Pool, folder: Path | None) -> None:
        found = await work.coverage_table(pool, folder)
        for lang in found.languages:
            if args.language and lang.code != args.language:
                continue
            cells = [cell for row in found.rows for cell in row.cells[lang.code]]
            tally = coverage.counts(cells)
            missing = await work.missing_for(pool, folder, lang.code)
            print(f"{lang.code:8} " + " ".join(f"{kind.value} {n}" for kind, n in tally.items())
                  + ("; menu-ready" if not missing else "; not for a menu, lacks: "
                     + ", ".join(missing)))

    _run(cfg, job)


def cmd_prompt_upload(cfg: Config, args: argparse.Namespace) -> None:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {args.file}: {exc.strerror}", "file") from None

    async def job(pool: asyncpg.Pool, folder: Path | None) -> None:
        made = await work.upload(pool, None, folder, args.language, args.name, data)
        print(f"{args.language}/{args.name}: recorded ({made.original_format}, "
              f"{made.duration_ms / 1000:.1f} s)")

    _run(cfg, job)


def cmd_prompt_revert(cfg: Config, args: argparse.Namespace) -> None:
    async def job(pool: asyncpg.Pool, folder: Path | None) -> None:
        now = await work.revert(pool, None, folder, args.language, args.name)
        print(f"{args.language}/{args.name}: {now.value}")

    _run(cfg, job)


def add_subcommands(sub: Subparsers, load: LoadConfig) -> None:
    def bind(command: Callable[[Config, argparse.Namespace], None]) -> Callable[
            [argparse.Namespace], None]:
        return lambda args: command(load(args), args)

    langs = sub.add_parser("language", help="the languages callers speak").add_subparsers(
        dest="language_command", required=True)
    langs.add_parser("list", help="list languages").set_defaults(func=bind(cmd_language_list))
    add = langs.add_parser("add", help="add a language (its prompts are then recorded)")
    add.add_argument("code", help="ISO 639 code: quc, mam, pt-br")
    add.add_argument("name", help="the name staff read: K'iche'")
    add.add_argument("menu_label", help="the menu entry in the language, with {digit}")
    add.set_defaults(func=bind(cmd_language_add))
    edit = langs.add_parser("edit", help="change a language's name or menu label")
    edit.add_argument("code")
    edit.add_argument("--name")
    edit.add_argument("--menu-label", dest="menu_label")
    edit.set_defaults(func=bind(cmd_language_edit))

    prompt = sub.add_parser("prompt", help="recorded prompts").add_subparsers(
        dest="prompt_command", required=True)
    cover = prompt.add_parser("coverage", help="recorded, synthesised and missing per language")
    cover.add_argument("language", nargs="?")
    cover.set_defaults(func=bind(cmd_prompt_coverage))
    upload = prompt.add_parser("upload", help="replace a prompt by a recording (WAV, MP3, "
                               "OGG, M4A)")
    upload.add_argument("language")
    upload.add_argument("name", help="a prompt name: greeting, triage-9, queue-wait-5")
    upload.add_argument("file")
    upload.set_defaults(func=bind(cmd_prompt_upload))
    revert = prompt.add_parser("revert", help="drop a recording (back to synthesised)")
    revert.add_argument("language")
    revert.add_argument("name")
    revert.set_defaults(func=bind(cmd_prompt_revert))
