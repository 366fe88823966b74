"""Units of work on lines, each one transaction with its audit entry (the fields changed,
never their values). `actor` is the admin's user id, None for the `lifeline` command.

The engine hears of each change through the tables' NOTIFY (migrations/0019) and reloads
its copy of the lines; it looks every new call's line up in the database anyway, so a
change is in effect for the next call. A line with calls in progress is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from lifeline_pbx.admin import facilities_store
from lifeline_pbx.admin import lines_store as store
from lifeline_pbx.admin.changes import audit_change
from lifeline_pbx.admin.line_preview import Stage, engine_line, stages
from lifeline_pbx.admin.line_rules import (
    Choices,
    Closure,
    LineSettings,
    changed_fields,
    choice_problems,
    closure_prompts,
)
from lifeline_pbx.admin.lines_store import Holiday, Line
from lifeline_pbx.admin.prompt_files import PromptFiles, language_names
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound

Pool = asyncpg.Pool
ENTITY = "line"


@dataclass(frozen=True)
class FormChoices:
    """What the line form offers: enabled facilities, queues, languages with prompts."""

    facilities: list[tuple[int, str]]
    queues: list[tuple[int, str]]
    languages: list[tuple[str, str]]  # (code, name)
    closure_prompts: tuple[str, ...]


async def all_lines(pool: Pool) -> list[Line]:
    async with pool.acquire() as con:
        return await store.all_lines(con)


async def _line(con: Conn, line_id: int, *, lock: bool = False) -> Line:
    found = await store.by_id(con, line_id, lock=lock)
    if found is None:
        raise NotFound("There is no such line.")
    return found


async def line(pool: Pool, line_id: int) -> tuple[Line, list[Holiday]]:
    async with pool.acquire() as con:
        return await _line(con, line_id), await store.holidays(con, line_id)


async def form_choices(pool: Pool, files: PromptFiles) -> FormChoices:
    async with pool.acquire() as con:
        facilities = [(f.id, f.name) for f in await facilities_store.all_facilities(con)
                      if f.enabled]
        queues = await store.queues(con)
    found = files.found()
    names = language_names()
    complete = files.complete_languages(found)
    return FormChoices(facilities, queues,
                       [(code, names.get(code, code)) for code in sorted(complete)],
                       closure_prompts(None if found is None else frozenset(n for _, n in found)))


async def _check(con: Conn, new: LineSettings, old: Line | None,
                 files: PromptFiles) -> None:
    """What the line names must exist; what it already had may stay (a facility disabled
    since, a language whose prompts went missing) so that other fields can still change."""
    kept = old.settings if old else None
    choices = Choices(
        facilities=await facilities_store.enabled_ids(con)
        | ({kept.facility_id} if kept else set()),
        queues=frozenset(q for q, _ in await store.queues(con)),
        languages=files.complete_languages(files.found())
        | ({lang for lang, _ in kept.menu} | {kept.default_language} if kept else set()))
    errors = choice_problems(new, choices)
    if await store.did_taken(con, new.did, old.id if old else None):
        errors["did"] = _did_taken(new.did).message
    if errors:
        raise Invalid(errors)


def _did_taken(did: str) -> Invalid:
    return Invalid(f"The number {did} is already a line.", "did")


async def create(pool: Pool, actor: int | None, new: LineSettings, files: PromptFiles) -> int:
    async with pool.acquire() as con, con.transaction():
        await _check(con, new, None, files)
        line_id = await store.insert(con, new)
        if line_id is None:
            raise _did_taken(new.did)
        await audit_change(con, actor, "create", ENTITY, line_id, changed_fields(None, new))
    return line_id


async def update(pool: Pool, actor: int | None, line_id: int, new: LineSettings,
                 files: PromptFiles) -> list[str]:
    """Save the line; the names of the fields changed (none: nothing written)."""
    async with pool.acquire() as con, con.transaction():
        old = await _line(con, line_id, lock=True)
        changed = changed_fields(old.settings, new)
        if not changed:
            return []
        await _check(con, new, old, files)
        if not await store.update(con, line_id, new, menu="menu" in changed,
                                  hours="hours" in changed):
            raise _did_taken(new.did)
        await audit_change(con, actor, "update", ENTITY, line_id, changed)
    return changed


async def set_enabled(pool: Pool, actor: int | None, line_id: int, enabled: bool) -> None:
    """A disabled line answers 'not in service' from its next call; calls on it go on."""
    async with pool.acquire() as con, con.transaction():
        old = await _line(con, line_id, lock=True)
        if old.enabled != enabled:
            await store.set_enabled(con, line_id, enabled)
            await audit_change(con, actor, "update", ENTITY, line_id, ["enabled"])


async def delete(pool: Pool, actor: int | None, line_id: int) -> None:
    """Only a line that never had a call: calls in progress or on record refuse it."""
    async with pool.acquire() as con, con.transaction():
        await _line(con, line_id, lock=True)
        if active := await store.calls_in_progress(con, line_id):
            raise Conflict(f"The line has {active} call(s) in progress: it cannot be deleted "
                           "now. Disable it instead; the calls go on and no new call comes in.")
        if kept := await store.calls_on_record(con, line_id):
            raise Conflict(f"The line has {kept} call(s) or voicemail(s) on record, which "
                           "refer to it: disable it instead of deleting it.")
        await store.delete(con, line_id)
        await audit_change(con, actor, "delete", ENTITY, line_id, ["did"])


async def add_closure(pool: Pool, actor: int | None, line_id: int, closure: Closure) -> int:
    """Close the line on each day of the closure; how many days."""
    async with pool.acquire() as con, con.transaction():
        await _line(con, line_id, lock=True)
        days = await store.add_closure(con, line_id, closure)
        await audit_change(con, actor, "update", ENTITY, line_id, ["holidays"])
    return days


async def remove_holiday(pool: Pool, actor: int | None, line_id: int, day: date) -> None:
    async with pool.acquire() as con, con.transaction():
        await _line(con, line_id, lock=True)
        if not await store.remove_holiday(con, line_id, day):
            raise NotFound("The line is not closed on that day.")
        await audit_change(con, actor, "update", ENTITY, line_id, ["holidays"])


@dataclass(frozen=True)
class Preview:
    line: Line
    stages: list[Stage]
    holidays: list[Holiday]
    languages: dict[str, str]  # code -> name


async def preview(pool: Pool, line_id: int, files: PromptFiles) -> Preview:
    found_line, holidays = await line(pool, line_id)
    names = language_names()
    engine = engine_line(found_line.id, found_line.facility_name, found_line.settings)
    return Preview(found_line, stages(engine, names, files.found(), found_line.queue_name),
                   holidays, names)
