"""Units of work on queues (the admin pages and `lifeline queue`), each one transaction with
its audit entry (the fields changed, never their values). `actor` is the admin's user id,
None for the command. A save parses the form here, so that a refusal carries the page to
show it again (errors.RequestError.page). The tables' triggers wake the call engine when
the transaction commits (migrations/0020), so the next offer follows the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound, page_on_refusal
from lifeline_pbx.operators import store as operator_store
from lifeline_pbx.queues import queue_rules, queue_store
from lifeline_pbx.queues.queue_store import Queue

Pool = asyncpg.Pool
Form = Mapping[str, Any]
ENTITY = "queue"


@dataclass(frozen=True)
class QueuesPage:
    """The queues, and the operators the new-queue form offers."""

    queues: list[Queue]
    operators: list[operator_store.Profile]


@dataclass(frozen=True)
class QueuePage:
    queue: Queue
    operators: list[operator_store.Profile]


async def _listing(con: Conn) -> QueuesPage:
    return QueuesPage(await queue_store.all_queues(con), await operator_store.profiles(con))


async def listing(pool: Pool) -> QueuesPage:
    async with pool.acquire() as con:
        return await _listing(con)


async def _queue(con: Conn, queue_id: int, *, lock: bool = False) -> Queue:
    found = await queue_store.by_id(con, queue_id, lock=lock)
    if found is None:
        raise NotFound("There is no such queue.")
    return found


async def _page(con: Conn, queue_id: int) -> QueuePage:
    return QueuePage(await _queue(con, queue_id), await operator_store.profiles(con))


async def page(pool: Pool, queue_id: int) -> QueuePage:
    async with pool.acquire() as con:
        return await _page(con, queue_id)


async def check_ids(con: Conn, table: str, ids: Sequence[int]) -> None:
    """Invalid (the field named as the table) unless every queue or operator id exists."""
    if set(ids) - await queue_store.existing_ids(con, table, ids):
        raise Invalid(f"Choose {table} from the list (one of them no longer exists).", table)


def _taken(name: str) -> Invalid:
    return Invalid(f"A queue named '{name}' exists; choose another name.", "name")


async def create(pool: Pool, actor: int | None, form: Form) -> int:
    """Add the queue the form describes (settings, `operators`: ids); its id."""
    async with pool.acquire() as con, page_on_refusal(lambda: _listing(con)):
        settings, operator_ids = queue_rules.parse_queue(form)
        operator_ids = operator_ids or ()
        async with con.transaction():
            if await queue_store.name_taken(con, settings.name):
                raise _taken(settings.name)
            await check_ids(con, "operators", operator_ids)
            try:
                queue_id = await queue_store.add(con, settings)
            except asyncpg.UniqueViolationError:  # another admin, at the same moment
                raise _taken(settings.name) from None
            await queue_store.set_operators(con, queue_id, operator_ids)
            fields = list(queue_rules.FIELDS) + (["operators"] if operator_ids else [])
            await audit.change(con, actor, "create", ENTITY, queue_id, fields)
    return queue_id


async def update(pool: Pool, actor: int | None, queue_id: int, form: Form) -> list[str]:
    """Save the settings (and who serves it, when the form has `operators`); the names of
    what changed."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, queue_id)):
        settings, operator_ids = queue_rules.parse_queue(form)
        async with con.transaction():
            before = await _queue(con, queue_id, lock=True)
            if await queue_store.name_taken(con, settings.name, queue_id):
                raise _taken(settings.name)
            fields = queue_rules.changed_fields(before.settings, settings)
            if fields:
                await queue_store.update(con, queue_id, settings)
            if operator_ids is not None and set(operator_ids) != set(before.operator_ids):
                await check_ids(con, "operators", operator_ids)
                await queue_store.set_operators(con, queue_id, operator_ids)
                fields.append("operators")
            if fields:
                await audit.change(con, actor, "update", ENTITY, queue_id, fields)
    return fields


def _refusal(name: str, usage: queue_store.Usage) -> str | None:
    """Why a queue cannot be deleted now, for the admin; None if it can."""
    if usage.lines:
        lines = (f"the line {usage.lines[0]} sends its" if len(usage.lines) == 1
                 else f"the lines {', '.join(usage.lines)} send their")
        return (f"The queue '{name}' cannot be deleted: {lines} callers to it. Give "
                f"{'that line' if len(usage.lines) == 1 else 'those lines'} another queue first.")
    if usage.open_calls:
        calls = "1 call is" if usage.open_calls == 1 else f"{usage.open_calls} calls are"
        return (f"The queue '{name}' cannot be deleted: {calls} in it now. Try again when "
                f"{'it has' if usage.open_calls == 1 else 'they have'} ended.")
    if usage.history:
        return (f"The queue '{name}' cannot be deleted: its calls are on record and keep its "
                "name. Take it off its lines and operators instead, or rename it.")
    return None


async def delete(pool: Pool, actor: int | None, queue_id: int) -> str:
    """Delete a queue nothing uses; its name. Otherwise Conflict saying what holds it, with
    the queue's page."""
    async with (pool.acquire() as con, page_on_refusal(lambda: _page(con, queue_id)),
                con.transaction()):
        found = await _queue(con, queue_id, lock=True)
        name = found.settings.name
        if problem := _refusal(name, await queue_store.usage(con, queue_id)):
            raise Conflict(problem)
        try:
            await queue_store.delete(con, queue_id)
        except asyncpg.ForeignKeyViolationError:  # a line or a call took it meanwhile
            raise Conflict(f"The queue '{name}' cannot be deleted: a line or a call "
                           "started using it just now.") from None
        await audit.change(con, actor, "delete", ENTITY, queue_id, ["name"])
    return name


async def ids_by_name(pool: Pool, names: Sequence[str]) -> tuple[int, ...]:
    """For the command line: queues by name (without case, 'all' for every one); Invalid
    naming the unknown."""
    async with pool.acquire() as con:
        known = {name.lower(): queue_id for queue_id, name in await queue_store.names(con)}
    if list(names) == ["all"]:
        return tuple(known.values())
    unknown = [n for n in names if n.lower() not in known]
    if unknown:
        raise Invalid(f"no queue named {', '.join(map(repr, unknown))} (queues: "
                      f"{', '.join(sorted(known)) or 'none yet'})", "queues")
    return tuple(dict.fromkeys(known[n.lower()] for n in names))


async def by_name(pool: Pool, name: str) -> Queue:
    async with pool.acquire() as con:
        found = await queue_store.by_name(con, name)
    if found is None:
        raise NotFound(f"no queue named {name!r}")
    return found
