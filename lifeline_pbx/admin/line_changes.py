"""Units of work on lines, each one transaction with its audit entry (the fields changed,
never their values). `actor` is the admin's user id, None for the `lifeline` command.

A save takes the form as sent and parses it here, so that a refusal (Invalid) carries the
line's page to show the form again (errors.RequestError.page). Which languages a line may
offer is the prompts admin's rule (prompts/coverage.py) over the `languages` table; the
database's trigger on line_languages holds every writer to it too, and its refusal comes
back as a problem on the menu, not an error page.

The engine hears of each change through the tables' NOTIFY (migrations/0019) and reloads
its copy of the lines; it looks every new call's line up in the database anyway, so a
change is in effect for the next call. A line with calls in progress is never deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from lifeline_pbx import audit, prompts
from lifeline_pbx.admin import facilities_store
from lifeline_pbx.admin import lines_store as store
from lifeline_pbx.admin.line_preview import Stage, engine_line, stages, words_known
from lifeline_pbx.admin.line_rules import (
    Choices,
    LineSettings,
    changed_fields,
    choice_problems,
    closure_problems,
    closure_prompts,
    parse_closure,
    parse_line,
)
from lifeline_pbx.admin.lines_store import Holiday, Line
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, page_on_refusal
from lifeline_pbx.escalation import oncall_rules, oncall_store
from lifeline_pbx.prompts import coverage
from lifeline_pbx.prompts import store as prompt_store
from lifeline_pbx.prompts import work as prompt_work

Pool = asyncpg.Pool
Form = Mapping[str, Any]
ENTITY = "line"
MENU = "menu"  # the form's field for a problem of the menu as a whole
MENU_REFUSED = ("A language on the menu lacks prompts it needs (a recording was removed "
                "meanwhile?): see Prompts, then save again. Nothing was saved.")


@dataclass(frozen=True)
class FormChoices:
    """What the line form offers: enabled facilities, queues, the languages whose prompts a
    menu needs exist, closure messages; and what is known of every language's prompts."""

    facilities: list[tuple[int, str]]
    queues: list[tuple[int, str]]
    languages: list[tuple[str, str]]  # (code, name)
    closure_prompts: tuple[str, ...]
    known: Mapping[str, coverage.Known]

    @property
    def rules(self) -> Choices:
        return Choices(frozenset(f for f, _ in self.facilities),
                       frozenset(q for q, _ in self.queues), self.known)


@dataclass(frozen=True)
class LinePage:
    """A line's page (line None: a new line) with its closure days and its form's choices."""

    line: Line | None
    holidays: list[Holiday]
    choices: FormChoices


async def all_lines(pool: Pool) -> list[Line]:
    async with pool.acquire() as con:
        return await store.all_lines(con)


@dataclass(frozen=True)
class LinesList:
    lines: list[Line]
    oncall_repeats: dict[int, str]  # line id -> the repeat its on-call list still holds


async def lines_list(pool: Pool) -> LinesList:
    """The lines page: every line, and the on-call lists saved before repeats were refused."""
    async with pool.acquire() as con:
        lines = await store.all_lines(con)
        lists = await oncall_store.every_list(con)
    repeats = {line_id: problem for line_id, entries in lists.items()
               if (problem := oncall_rules.repeat_problem(entries)) is not None}
    return LinesList(lines, repeats)


async def _line(con: Conn, line_id: int, *, lock: bool = False) -> Line:
    found = await store.by_id(con, line_id, lock=lock)
    if found is None:
        raise NotFound("There is no such line.")
    return found


async def _form_choices(con: Conn, folder: Path | None) -> FormChoices:
    facilities = [(f.id, f.name) for f in await facilities_store.all_facilities(con)
                  if f.enabled]
    spoken = await prompt_work.language_prompts(con, folder)
    offered = [(lang.code, lang.name) for lang in spoken.languages
               if coverage.menu_ready(spoken.known[lang.code])]
    names = None if spoken.files is None else frozenset(name for _, name in spoken.files)
    return FormChoices(facilities, await store.queues(con), offered, closure_prompts(names),
                       spoken.known)


async def _page(con: Conn, line_id: int | None, folder: Path | None) -> LinePage:
    if line_id is None:
        return LinePage(None, [], await _form_choices(con, folder))
    return LinePage(await _line(con, line_id), await store.holidays(con, line_id),
                    await _form_choices(con, folder))


async def line_page(pool: Pool, line_id: int | None, folder: Path | None) -> LinePage:
    async with pool.acquire() as con:
        return await _page(con, line_id, folder)


async def form_choices(pool: Pool, folder: Path | None) -> FormChoices:
    async with pool.acquire() as con:
        return await _form_choices(con, folder)


@contextlib.asynccontextmanager
async def _menu_checked() -> AsyncIterator[None]:
    """The database's refusal of a menu language lacking prompts (migrations/0021), as a
    problem on the menu: the check before the write saw the prompts that a change made
    meanwhile took away."""
    try:
        yield
    except asyncpg.CheckViolationError as e:
        if e.constraint_name != prompt_store.MENU_CONSTRAINT:
            raise
        raise Invalid(MENU_REFUSED, MENU) from None


async def _check(con: Conn, new: LineSettings, old: Line | None, folder: Path | None) -> None:
    """What the line names must exist (what it already had may stay: line_rules)."""
    choices = (await _form_choices(con, folder)).rules
    errors = choice_problems(new, choices, old.settings if old else None)
    if await store.did_taken(con, new.did, old.id if old else None):
        errors["did"] = _did_taken(new.did).message
    if errors:
        raise Invalid(errors)


def _did_taken(did: str) -> Invalid:
    return Invalid(f"The number {did} is already a line.", "did")


async def create(pool: Pool, actor: int | None, form: Form, folder: Path | None) -> int:
    """Add the line the form describes; its id."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, None, folder)):
        new = parse_line(form)
        async with con.transaction(), _menu_checked():
            await _check(con, new, None, folder)
            line_id = await store.insert(con, new)
            if line_id is None:
                raise _did_taken(new.did)
            await audit.change(con, actor, "create", ENTITY, line_id, changed_fields(None, new))
    return line_id


async def update(pool: Pool, actor: int | None, line_id: int, form: Form,
                 folder: Path | None) -> list[str]:
    """Save the line; the names of the fields changed (none: nothing written)."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, line_id, folder)):
        new = parse_line(form)
        async with con.transaction(), _menu_checked():
            old = await _line(con, line_id, lock=True)
            changed = changed_fields(old.settings, new)
            if not changed:
                return []
            await _check(con, new, old, folder)
            if not await store.update(con, line_id, new, menu="menu" in changed,
                                      hours="hours" in changed):
                raise _did_taken(new.did)
            await audit.change(con, actor, "update", ENTITY, line_id, changed)
    return changed


async def set_enabled(pool: Pool, actor: int | None, line_id: int, enabled: bool) -> None:
    """A disabled line answers 'not in service' from its next call; calls on it go on."""
    async with pool.acquire() as con, con.transaction():
        old = await _line(con, line_id, lock=True)
        if old.enabled != enabled:
            await store.set_enabled(con, line_id, enabled)
            await audit.change(con, actor, "update", ENTITY, line_id, ["enabled"])


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
        await audit.change(con, actor, "delete", ENTITY, line_id, ["did"])


async def add_closure(pool: Pool, actor: int | None, line_id: int, form: Form,
                      folder: Path | None) -> int:
    """Close the line on each day of the closure the form describes; how many days."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, line_id, folder)):
        closure = parse_closure(form, (await _form_choices(con, folder)).closure_prompts)
        async with con.transaction():
            line = await _line(con, line_id, lock=True)
            closed = {h.day: h.name for h in await store.holidays(con, line_id)}
            today = datetime.now(ZoneInfo(line.timezone)).date()
            if problems := closure_problems(closure, closed, today):
                raise Invalid(problems)
            days = await store.add_closure(con, line_id, closure)
            await audit.change(con, actor, "update", ENTITY, line_id, ["holidays"])
    return days


async def remove_holiday(pool: Pool, actor: int | None, line_id: int, day: date) -> None:
    async with pool.acquire() as con, con.transaction():
        await _line(con, line_id, lock=True)
        if not await store.remove_holiday(con, line_id, day):
            raise NotFound("The line is not closed on that day.")
        await audit.change(con, actor, "update", ENTITY, line_id, ["holidays"])


@dataclass(frozen=True)
class Preview:
    line: Line
    stages: list[Stage]
    holidays: list[Holiday]
    languages: dict[str, str]  # code -> name


async def preview(pool: Pool, line_id: int, folder: Path | None) -> Preview:
    async with pool.acquire() as con:
        found, holidays = await _line(con, line_id), await store.holidays(con, line_id)
        spoken = await prompt_work.language_prompts(con, folder)
    words = words_known(await asyncio.to_thread(prompts.shipped_texts), spoken.known)
    engine = engine_line(found.id, found.facility_name, found.settings)
    return Preview(found, stages(engine, spoken.names, spoken.files, found.queue_name, words),
                   holidays, spoken.names)
