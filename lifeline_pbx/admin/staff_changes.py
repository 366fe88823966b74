"""Units of work behind the queues and operators pages and `lifeline queue|operator`.

Each change is one transaction with its audit entry, which names the fields changed,
never their values (no secret, ever). The tables' triggers wake the call engine and the
SIP sync when the transaction commits, so the next call sees the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.accounts import users
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Invalid, NotFound
from lifeline_pbx.operators import store
from lifeline_pbx.operators.operator_rules import NewOperatorForm, Profile, changed_fields
from lifeline_pbx.queues import queue_rules, queue_store
from lifeline_pbx.queues.queue_rules import QueueSettings
from lifeline_pbx.queues.queue_store import Queue

Pool = asyncpg.Pool


# Queues


@dataclass(frozen=True)
class Queues:
    queues: list[Queue]
    operators: list[store.Profile]


async def queue_listing(pool: Pool) -> Queues:
    async with pool.acquire() as con:
        return Queues(await queue_store.all_queues(con), await store.profiles(con))


async def queue(pool: Pool, queue_id: int) -> tuple[Queue, list[store.Profile]]:
    async with pool.acquire() as con:
        found = await queue_store.by_id(con, queue_id)
        if found is None:
            raise NotFound("There is no such queue.")
        return found, await store.profiles(con)


async def _known(con: Conn, table: str, ids: Sequence[int], field: str, what: str) -> None:
    if set(ids) - await queue_store.existing_ids(con, table, ids):
        raise Invalid(f"Choose {what} from the list (one of them no longer exists).", field)


async def _name_free(con: Conn, name: str, queue_id: int | None = None) -> None:
    if await queue_store.name_taken(con, name, queue_id):
        raise Invalid(f"A queue named '{name}' exists; choose another name.", "name")


async def create_queue(pool: Pool, actor: int | None, settings: QueueSettings,
                       operator_ids: Sequence[int] = ()) -> int:
    async with pool.acquire() as con, con.transaction():
        await _name_free(con, settings.name)
        await _known(con, "operators", operator_ids, "operators", "operators")
        try:
            queue_id = await queue_store.add(con, settings)
        except asyncpg.UniqueViolationError:  # another admin, at the same moment
            raise Invalid(f"A queue named '{settings.name}' exists; choose another name.",
                          "name") from None
        await queue_store.set_operators(con, queue_id, operator_ids)
        fields = list(queue_rules.FIELDS) + (["operators"] if operator_ids else [])
        await audit.change(con, actor, "create", "queue", queue_id, fields)
    return queue_id


async def update_queue(pool: Pool, actor: int | None, queue_id: int, settings: QueueSettings,
                       operator_ids: Sequence[int] | None = None) -> list[str]:
    """Save the settings (and, unless None, who serves it); the names of what changed."""
    async with pool.acquire() as con, con.transaction():
        before = await queue_store.by_id(con, queue_id, lock=True)
        if before is None:
            raise NotFound("There is no such queue.")
        await _name_free(con, settings.name, queue_id)
        fields = queue_rules.changed_fields(before.settings, settings)
        if fields:
            await queue_store.update(con, queue_id, settings)
        if operator_ids is not None and set(operator_ids) != set(before.operator_ids):
            await _known(con, "operators", operator_ids, "operators", "operators")
            await queue_store.set_operators(con, queue_id, operator_ids)
            fields.append("operators")
        if fields:
            await audit.change(con, actor, "update", "queue", queue_id, fields)
    return fields


def _refusal(name: str, usage: queue_store.Usage) -> str | None:
    """Why a queue cannot be deleted now, for the admin; None if it can."""
    if usage.lines:
        return (f"The queue '{name}' cannot be deleted: the line(s) {', '.join(usage.lines)} "
                "send their callers to it. Give those lines another queue first.")
    if usage.open_calls:
        return (f"The queue '{name}' cannot be deleted: {usage.open_calls} call(s) are in it "
                "now. Try again when they have ended.")
    if usage.history:
        return (f"The queue '{name}' cannot be deleted: its calls are on record and keep its "
                "name. Take it off its lines and operators instead, or rename it.")
    return None


async def delete_queue(pool: Pool, actor: int | None, queue_id: int) -> str:
    """Delete a queue nothing uses; Conflict saying what holds it otherwise. Its name."""
    async with pool.acquire() as con, con.transaction():
        found = await queue_store.by_id(con, queue_id, lock=True)
        if found is None:
            raise NotFound("There is no such queue.")
        if problem := _refusal(found.settings.name, await queue_store.usage(con, queue_id)):
            raise Conflict(problem)
        try:
            await queue_store.delete(con, queue_id)
        except asyncpg.ForeignKeyViolationError:  # a line or a call took it meanwhile
            raise Conflict(f"The queue '{found.settings.name}' cannot be deleted: a line or "
                           "a call started using it just now.") from None
        await audit.change(con, actor, "delete", "queue", queue_id, ["name"])
    return found.settings.name


async def queue_ids_by_name(pool: Pool, names: Sequence[str]) -> tuple[int, ...]:
    """For the command line: queues by name (without case); Invalid naming the unknown."""
    async with pool.acquire() as con:
        known = {name.lower(): queue_id for queue_id, name in await queue_store.names(con)}
    if names == ["all"]:
        return tuple(known.values())
    unknown = [n for n in names if n.lower() not in known]
    if unknown:
        raise Invalid(f"no queue named {', '.join(map(repr, unknown))} (queues: "
                      f"{', '.join(sorted(known)) or 'none yet'})", "queues")
    return tuple(dict.fromkeys(known[n.lower()] for n in names))


async def queue_by_name(pool: Pool, name: str) -> Queue:
    async with pool.acquire() as con:
        found = await queue_store.by_name(con, name)
    if found is None:
        raise NotFound(f"no queue named {name!r}")
    return found


# Operators


@dataclass(frozen=True)
class Operators:
    operators: list[store.Profile]
    queues: list[tuple[int, str]]
    free_users: list[users.User]  # web users not linked to a SIP account


async def operator_listing(pool: Pool) -> Operators:
    async with pool.acquire() as con:
        return Operators(await store.profiles(con), await queue_store.names(con),
                         [u for u in await users.all_users(con) if u.operator_username is None])


async def operator(pool: Pool, operator_id: int) -> store.Profile:
    async with pool.acquire() as con:
        return await _operator(con, operator_id)


async def operator_by_username(pool: Pool, username: str) -> store.Profile:
    async with pool.acquire() as con:
        ids = await store.ids_by_username(con, [username])
        if username not in ids:
            raise NotFound(f"no operator with username {username!r}")
        return await _operator(con, ids[username])


async def _operator(con: Conn, operator_id: int, *, lock: bool = False) -> store.Profile:
    found = await store.profile(con, operator_id, lock=lock)
    if found is None:
        raise NotFound("There is no such operator.")
    return found


async def create_operator(pool: Pool, actor: int | None,
                          new: NewOperatorForm) -> tuple[store.Profile, str]:
    """Add the SIP account, its queues and web user; with its generated secret, to be
    shown once (only its digest is stored)."""
    profile = new.profile
    password = store.generate_password(new.sip_username)
    try:
        account = store.validate(profile.display_name, new.sip_username, password,
                                 profile.languages)
    except store.OperatorError as exc:
        raise Invalid(str(exc), "sip_username") from None
    async with pool.acquire() as con, con.transaction():
        await _known(con, "queues", profile.queue_ids, "queues", "queues")
        try:
            added = await store.add(con, account)
        except store.OperatorError:
            raise Invalid(f"An operator with the SIP username '{new.sip_username}' exists; "
                          "choose another.", "sip_username") from None
        await queue_store.set_queues(con, added.id, profile.queue_ids)
        fields = ["display_name", "sip_username", "sip_secret", "languages"]
        fields += ["queues"] if profile.queue_ids else []
        await audit.change(con, actor, "create", "operator", added.id, fields)
        if new.user is not None:
            await _link(con, actor, added.id, None, new.user)
        return await _operator(con, added.id), password


async def update_operator(pool: Pool, actor: int | None, operator_id: int, after: Profile,
                          ) -> list[str]:
    """Name, languages and queues; the names of what changed."""
    async with pool.acquire() as con, con.transaction():
        found = await _operator(con, operator_id, lock=True)
        before = Profile(found.operator.display_name, found.operator.languages,
                         found.queue_ids)
        fields = changed_fields(before, after)
        if "queues" in fields:
            await _known(con, "queues", after.queue_ids, "queues", "queues")
            await queue_store.set_queues(con, operator_id, after.queue_ids)
        if {"display_name", "languages"} & set(fields):
            await store.set_profile(con, operator_id, after.display_name, after.languages)
        if fields:
            await audit.change(con, actor, "update", "operator", operator_id, fields)
    return fields


async def reset_secret(pool: Pool, actor: int | None,
                       operator_id: int) -> tuple[store.Profile, str]:
    """A new generated secret, to be shown once; the old one stops working within seconds."""
    async with pool.acquire() as con, con.transaction():
        found = await _operator(con, operator_id, lock=True)
        password = store.generate_password(found.operator.sip_username)
        await store.set_secret(con, found.operator.sip_username, password)
        await audit.change(con, actor, "update", "operator", operator_id, ["sip_secret"])
        return found, password


async def set_operator_enabled(pool: Pool, actor: int | None, operator_id: int,
                               enabled: bool) -> store.Profile:
    """Disabled: offered no more calls, and the SIP account leaves Asterisk; a call in
    progress goes on, and the account goes when it ends (operators/sip_sync.py)."""
    async with pool.acquire() as con, con.transaction():
        found = await _operator(con, operator_id, lock=True)
        if found.operator.enabled != enabled:
            await store.set_enabled(con, found.operator.sip_username, enabled)
            await audit.change(con, actor, "update", "operator", operator_id, ["enabled"])
        return found


async def link_user(pool: Pool, actor: int | None, operator_id: int,
                    username: str | None) -> store.Profile:
    """The web user who takes calls on this SIP account (None: nobody). Each user whose
    link changes is signed out: an open console is bound to the account it began with."""
    async with pool.acquire() as con, con.transaction():
        found = await _operator(con, operator_id, lock=True)
        if found.user != username:
            await _link(con, actor, operator_id, found.user, username)
        return found


async def _link(con: Conn, actor: int | None, operator_id: int, before: str | None,
                after: str | None) -> None:
    new_user = None if after is None else await users.by_username(con, after)
    if after is not None and new_user is None:
        raise Invalid(f"There is no web user '{after}'.", "user")
    if new_user is not None and new_user.operator_username is not None:
        raise Invalid(f"The web user '{after}' takes calls on another SIP account "
                      "already; unlink it there first.", "user")
    old_user = None if before is None else await users.by_username(con, before)
    if old_user is not None:
        await users.set_operator(con, old_user.id, None)
        await users.end_sessions(con, old_user.id)
        await audit.change(con, actor, "update", "user", old_user.id, ["operator"])
    if new_user is not None:
        found = await _operator(con, operator_id)
        try:
            await users.set_operator(con, new_user.id, found.operator.sip_username)
        except users.UserError as exc:
            raise Invalid(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "user") from None
        await users.end_sessions(con, new_user.id)
        await audit.change(con, actor, "update", "user", new_user.id, ["operator"])
