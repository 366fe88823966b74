"""Units of work behind the languages and prompts admin (the web pages and `lifeline`).

Each change is one transaction with its audit entry (field names, never audio) and a
NOTIFY on lifeline_config ('prompts'), which makes every engine look at the prompts folder
again; the file itself is written (or removed and synthesised again) after the commit, so
the database, which keeps every recording, is always the newer of the two.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, Unavailable
from lifeline_pbx.prompts import convert, coverage, files, forms, store

log = logging.getLogger(__name__)
Pool = asyncpg.Pool
NO_FOLDER = ("This server cannot see the prompts folder Asterisk plays from: set "
             "prompts_local_dir (docs/operations.md). Nothing was saved.")


async def _audit(con: Conn, actor: int | None, action: audit.Action, entity: str,
                 entity_id: str, fields: Sequence[str]) -> None:
    await audit.record(con, actor, action, entity, entity_id, fields)
    log.info("prompts %s by user_id=%s entity=%s id=%s fields=%s", action, actor, entity,
             entity_id, ",".join(sorted(fields)))


def folder_of(local_dir: str, asterisk_dir: str) -> Path | None:
    """The prompts folder as this process sees it, or None when it is not here."""
    given = local_dir or asterisk_dir
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


async def add_language(pool: Pool, actor: int | None, code: str,
                       form: forms.LanguageForm) -> None:
    async with pool.acquire() as con, con.transaction():
        if await store.language(con, code) is not None:
            raise Invalid(f"The code '{code}' is taken.", "code")
        if await store.name_taken(con, form.name):
            raise Invalid(f"A language named '{form.name}' exists.", "name")
        if not await store.add_language(con, code, form.name, form.menu_label):
            raise Invalid("That code or name was taken meanwhile.", "code")
        await _audit(con, actor, "create", "language", code, ["code", "name", "menu_label"])


async def edit_language(pool: Pool, actor: int | None, code: str,
                        form: forms.LanguageForm) -> list[str]:
    """The fields that changed (none: nothing written)."""
    async with pool.acquire() as con, con.transaction():
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
            await _audit(con, actor, "update", "language", code, changed)
        return changed


# Coverage


@dataclass(frozen=True)
class Coverage:
    languages: list[store.Language]
    rows: list[coverage.Row]
    folder_seen: bool


async def known(con: Conn, folder: Path | None) -> dict[str, coverage.Known]:
    langs = await store.languages(con)
    recorded = await store.recorded(con)
    disk = await asyncio.to_thread(files.on_disk, folder) if folder is not None else None
    return {lang.code: coverage.Known(
        lang.synthesised, recorded.get(lang.code, frozenset()),
        None if disk is None else disk.get(lang.code, frozenset())) for lang in langs}


async def coverage_table(pool: Pool, folder: Path | None) -> Coverage:
    async with pool.acquire() as con:
        langs = await store.languages(con)
        found = await known(con, folder)
    return Coverage(langs, coverage.table(found), folder is not None)


async def missing_for(pool: Pool, folder: Path | None, code: str, digit: str = "1",
                      triage_digit: str = "9") -> tuple[str, ...]:
    """What keeps a language off a line's menu (the pure rule, with the folder's files)."""
    async with pool.acquire() as con:
        found = await known(con, folder)
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
        found = await known(con, folder)
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
        await _audit(con, actor, "update" if replaced else "create", "prompt", f"{code}/{name}",
                     ["audio", "original", "original_format", "duration_ms", "source"])
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
        await _audit(con, actor, "delete", "prompt", f"{code}/{name}",
                     ["audio", "original", "original_format", "duration_ms", "source"])
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
