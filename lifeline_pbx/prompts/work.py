"""Units of work behind the languages and prompts admin (the web pages and `lifeline`).

Each change is one transaction with its audit entry (field names, never audio) and a
NOTIFY on lifeline_config ('prompts'), which makes every engine look at the prompts folder
again; the file itself is written (or removed and synthesised again) after the commit, so
the database, which keeps every recording, is always the newer of the two.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.config import Config
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, Unavailable, page_on_refusal
from lifeline_pbx.prompts import convert, coverage, files, forms, store
from lifeline_pbx.prompts.library import scan

log = logging.getLogger(__name__)
Pool = asyncpg.Pool
Form = Mapping[str, str]
RECORDING_FIELDS = ("audio", "original", "original_format", "duration_ms", "source")
NO_FOLDER = ("This server cannot see the prompts folder Asterisk plays from: set "
             "prompts_local_dir (docs/operations.md). Nothing was saved.")


def folder_of(cfg: Config) -> Path | None:
    """The prompts folder as this process sees it (prompts_local_dir, else prompts_dir), or
    None when it is not here (the app runs apart from Asterisk and nothing is mounted)."""
    return folder_at(cfg.prompts_local_dir or cfg.prompts_dir)


def folder_at(given: str) -> Path | None:
    """The folder named, if this process can see it (config.prompts_folder names it for the
    commands that read no other setting)."""
    return Path(given) if given and Path(given).is_dir() else None


def _folder(folder: Path | None) -> Path:
    if folder is None:
        raise Unavailable(NO_FOLDER)
    return folder


# Languages


async def languages(pool: Pool) -> list[store.Language]:
    async with pool.acquire() as con:
        return await store.languages(con)


async def language(pool: Pool, code: str) -> store.Language:
    async with pool.acquire() as con:
        found = await store.language(con, code)
    if found is None:
        raise NotFound("There is no language with that code.")
    return found


@dataclass(frozen=True)
class LanguagesPage:
    """What the languages page lists (and shows again beside a refused form)."""

    languages: list[store.Language]


async def add_language(pool: Pool, actor: int | None, form: Form) -> str:
    """Add the language the form describes; its code. Invalid names the bad fields and
    carries the page to show the form again."""
    async with pool.acquire() as con, page_on_refusal(lambda: _languages_page(con)):
        code, fields = forms.parse_new_language(form)
        async with con.transaction():
            await _add_language(con, actor, code, fields)
    return code


async def _languages_page(con: Conn) -> LanguagesPage:
    return LanguagesPage(await store.languages(con))


async def _add_language(con: Conn, actor: int | None, code: str,
                        form: forms.LanguageForm) -> None:
    if await store.language(con, code) is not None:
        raise Invalid(f"The code '{code}' is taken.", "code")
    if await store.name_taken(con, form.name):
        raise Invalid(f"A language named '{form.name}' exists.", "name")
    if not await store.add_language(con, code, form.name, form.menu_label):
        raise Invalid("That code or name was taken meanwhile.", "code")
    await audit.change(con, actor, "create", "language", code, ["code", "name", "menu_label"])


async def edit_language(pool: Pool, actor: int | None, code: str, form: Form) -> list[str]:
    """The fields that changed (none: nothing written). Invalid names the bad fields and
    carries the page to show the form again."""
    async with pool.acquire() as con, page_on_refusal(lambda: _languages_page(con)):
        fields = forms.parse_language(form)
        async with con.transaction():
            return await _edit_language(con, actor, code, fields)


async def _edit_language(con: Conn, actor: int | None, code: str,
                         form: forms.LanguageForm) -> list[str]:
    before = await store.language(con, code)
    if before is None:
        raise NotFound("There is no language with that code.")
    if await store.name_taken(con, form.name, other_than=code):
        raise Invalid(f"A language named '{form.name}' exists.", "name")
    changed = [field for field, old, new in (("name", before.name, form.name),
                                             ("menu_label", before.menu_label,
                                              form.menu_label)) if old != new]
    if changed:
        await store.update_language(con, code, form.name, form.menu_label)
        await audit.change(con, actor, "update", "language", code, changed)
    return changed


# Coverage


@dataclass(frozen=True)
class LanguagePrompts:
    """Every language (the table's order) with what is known of its prompts, and the prompt
    files found (None: the folder is not seen here, and every file is trusted)."""

    languages: list[store.Language]
    known: dict[str, coverage.Known]
    files: frozenset[tuple[str, str]] | None

    @property
    def names(self) -> dict[str, str]:
        return {lang.code: lang.name for lang in self.languages}


async def language_prompts(con: Conn, folder: Path | None) -> LanguagePrompts:
    """The languages and their prompts: the table, the recordings, the folder's files."""
    langs = await store.languages(con)
    recorded = await store.recorded(con)
    found = None if folder is None else await asyncio.to_thread(scan, folder)
    on_disk: dict[str, set[str]] = {}
    for code, name in found or ():
        on_disk.setdefault(code, set()).add(name)
    return LanguagePrompts(langs, {lang.code: coverage.Known(
        lang.synthesised, recorded.get(lang.code, frozenset()),
        None if found is None else frozenset(on_disk.get(lang.code, ()))) for lang in langs},
        found)


@dataclass(frozen=True)
class Coverage:
    languages: list[store.Language]
    rows: list[coverage.Row]
    folder_seen: bool


async def coverage_table(pool: Pool, folder: Path | None) -> Coverage:
    async with pool.acquire() as con:
        found = await language_prompts(con, folder)
    return Coverage(found.languages, coverage.table(found.known), folder is not None)


async def missing_for(pool: Pool, folder: Path | None, code: str, digit: str = "1",
                      triage_digit: str = "9") -> tuple[str, ...]:
    """What keeps a language off a line's menu (the pure rule, with the folder's files)."""
    async with pool.acquire() as con:
        found = (await language_prompts(con, folder)).known
    if code not in found:
        raise NotFound("There is no language with that code.")
    return coverage.missing_for(found[code], digit, triage_digit)


# One prompt


@dataclass(frozen=True)
class Prompt:
    language: store.Language
    name: str
    state: coverage.State
    recording: store.Recording | None
    lines: list[str]  # lines whose menu offers the language


async def checked(con: Conn, code: str, name: str) -> store.Language:
    if problem := forms.prompt_problem(name):
        raise Invalid(problem, "name")
    found = await store.language(con, code)
    if found is None:
        raise Invalid("There is no language with that code.", "language")
    return found


async def prompt(pool: Pool, folder: Path | None, code: str, name: str) -> Prompt:
    async with pool.acquire() as con:
        try:
            lang = await checked(con, code, name)
        except Invalid as exc:
            raise NotFound(exc.message) from None
        found = (await language_prompts(con, folder)).known
        return Prompt(lang, name, coverage.of(found[code], name),
                      await store.recording(con, code, name), await store.lines_using(con, code))


async def upload(pool: Pool, actor: int | None, folder: Path | None, code: str, name: str,
                 data: bytes, source: str = "upload") -> convert.Converted:
    """Convert and keep a recording; it replaces what the prompt played before."""
    target = _folder(folder)
    async with pool.acquire() as con:
        await checked(con, code, name)
    made = await asyncio.to_thread(convert.convert, data)
    async with pool.acquire() as con, con.transaction():
        await checked(con, code, name)
        replaced = await store.save_recording(con, code, name, made.audio, data,
                                              made.original_format, made.duration_ms, source,
                                              actor)
        await audit.change(con, actor, "update" if replaced else "create", "prompt",
                           f"{code}/{name}", RECORDING_FIELDS)
        await store.notify(con)
    await asyncio.to_thread(files.write, target, code, name, made.audio)
    return made


async def revert(pool: Pool, actor: int | None, folder: Path | None, code: str,
                 name: str) -> coverage.State:
    """Drop the recording: the synthesised prompt plays again (or none, for a language the
    app cannot synthesise). Refused while a line's menu needs it."""
    target = _folder(folder)
    async with pool.acquire() as con, con.transaction():
        lang = await checked(con, code, name)
        try:
            if not await store.delete_recording(con, code, name):
                raise Conflict("That prompt has no recording to remove.")
        except asyncpg.CheckViolationError:
            lines = ", ".join(await store.lines_using(con, code))
            raise Conflict(f"The menu of {lines} offers {lang.name} and needs this prompt: "
                           "take the language off the menu first, or upload another "
                           "recording.") from None
        await audit.change(con, actor, "delete", "prompt", f"{code}/{name}", RECORDING_FIELDS)
        await store.notify(con)
    await asyncio.to_thread(files.remove, target, code, name)
    if lang.synthesised:
        await asyncio.to_thread(files.resynthesise, target, code, name)
        return coverage.State.SYNTHESISED
    return coverage.State.MISSING


async def audio(pool: Pool, folder: Path | None, code: str, name: str) -> bytes:
    """What the prompt plays now: its recording, else the file on disk."""
    async with pool.acquire() as con:
        try:
            await checked(con, code, name)
        except Invalid as exc:
            raise NotFound(exc.message) from None
        data = await store.audio(con, code, name)
    if data is None and folder is not None:
        with_file = files.path(folder, code, name)
        data = await asyncio.to_thread(lambda: with_file.read_bytes() if with_file.is_file()
                                       else None)
    if data is None:
        raise NotFound("That prompt has no sound in this language yet.")
    return data


async def materialise(pool: Pool, folder: Path) -> int:
    """Write every recording whose file is missing or differs (a new volume, a restore, a
    second node); how many were written."""
    async with pool.acquire() as con:
        wanted = await store.digests(con)
        stale = await asyncio.to_thread(files.stale, folder, wanted)
        fetched = {key: data for key in stale
                   if (data := await store.audio(con, *key)) is not None}
    written = await asyncio.to_thread(files.put_missing, folder, wanted, fetched)
    if written:
        log.info("prompt recordings written to disk count=%d", len(written))
    return len(written)
