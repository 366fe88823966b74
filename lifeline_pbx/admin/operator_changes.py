"""Units of work on operators (the admin pages and `lifeline operator`), each one transaction
with its audit entry (the fields changed, never their values: no secret, ever). `actor` is
the admin's user id, None for the command. A save parses the form here, so that a refusal
carries the page to show it again (errors.RequestError.page).

An operator may speak any language of the `languages` table (the one list an admin
manages: routing matches the caller's menu choice, a code of that table). The tables'
triggers wake the SIP sync and the call engine when the transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.accounts import users
from lifeline_pbx.admin.queue_changes import check_ids
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal
from lifeline_pbx.operators import operator_rules, store
from lifeline_pbx.operators.store import Profile
from lifeline_pbx.prompts import store as prompt_store
from lifeline_pbx.queues import queue_store

Pool = asyncpg.Pool
Form = Mapping[str, Any]
ENTITY = "operator"
P = TypeVar("P")


@dataclass(frozen=True)
class Choices:
    """What an operator's form offers."""

    queues: list[tuple[int, str]]  # (id, name)
    free_users: list[users.User]  # web users not linked to a SIP account
    languages: list[tuple[str, str]]  # (code, name), the languages table's

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.languages]


@dataclass(frozen=True)
class OperatorsPage:
    operators: list[Profile]
    choices: Choices


@dataclass(frozen=True)
class OperatorPage:
    profile: Profile
    choices: Choices


@dataclass(frozen=True)
class Secret(Generic[P]):
    """A generated SIP secret to show once (only its digest is stored), for the operator as
    saved, with the page it is shown on."""

    page: P
    profile: Profile
    password: str


async def _choices(con: Conn) -> Choices:
    return Choices(await queue_store.names(con),
                   [u for u in await users.all_users(con) if u.operator_username is None],
                   [(lang.code, lang.name) for lang in await prompt_store.languages(con)])


async def _listing(con: Conn) -> OperatorsPage:
    return OperatorsPage(await store.profiles(con), await _choices(con))


async def listing(pool: Pool) -> OperatorsPage:
    async with pool.acquire() as con:
        return await _listing(con)


async def _operator(con: Conn, operator_id: int, *, lock: bool = False) -> Profile:
    found = await store.profile(con, operator_id, lock=lock)
    if found is None:
        raise NotFound("There is no such operator.")
    return found


async def _page(con: Conn, operator_id: int) -> OperatorPage:
    return OperatorPage(await _operator(con, operator_id), await _choices(con))


async def page(pool: Pool, operator_id: int) -> OperatorPage:
    async with pool.acquire() as con:
        return await _page(con, operator_id)


async def by_username(pool: Pool, username: str) -> Profile:
    async with pool.acquire() as con:
        ids = await store.ids_by_username(con, [username])
        if username not in ids:
            raise NotFound(f"no operator with username {username!r}")
        return await _operator(con, ids[username])


async def ids_by_username(pool: Pool, usernames: Sequence[str]) -> tuple[int, ...]:
    """For the command line: operators by SIP username; Invalid naming the unknown."""
    async with pool.acquire() as con:
        ids = await store.ids_by_username(con, usernames)
    if unknown := [name for name in usernames if name not in ids]:
        raise Invalid(f"no operator {', '.join(map(repr, unknown))}", "operators")
    return tuple(dict.fromkeys(ids[name] for name in usernames))


async def _codes(con: Conn) -> list[str]:
    return [lang.code for lang in await prompt_store.languages(con)]


async def create(pool: Pool, actor: int | None, form: Form) -> Secret[OperatorsPage]:
    """Add the SIP account the form describes, its queues and web user, with a generated
    secret; with the operators page it is shown on."""
    async with pool.acquire() as con, page_on_refusal(lambda: _listing(con)):
        known = await _codes(con)
        new = operator_rules.parse_new(form, known)
        profile = new.profile
        password = store.generate_password(new.sip_username)
        try:
            account = store.validate(profile.display_name, new.sip_username, password,
                                     profile.languages, known)
        except store.OperatorError as exc:
            raise Invalid(str(exc), "sip_username") from None
        async with con.transaction():
            await check_ids(con, "queues", profile.queue_ids)
            try:
                added = await store.add(con, account)
            except store.OperatorError:
                raise Invalid(f"An operator with the SIP username '{new.sip_username}' "
                              "exists; choose another.", "sip_username") from None
            await queue_store.set_queues(con, added.id, profile.queue_ids)
            fields = ["display_name", "sip_username", "sip_secret", "languages"]
            fields += ["queues"] if profile.queue_ids else []
            await audit.change(con, actor, "create", ENTITY, added.id, fields)
            if new.user is not None:
                await _link(con, actor, added.id, None, new.user)
        return Secret(await _listing(con), await _operator(con, added.id), password)


async def update(pool: Pool, actor: int | None, operator_id: int, form: Form) -> list[str]:
    """Name, languages and queues; the names of what changed."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, operator_id)):
        after = operator_rules.parse_profile(form, await _codes(con))
        async with con.transaction():
            found = await _operator(con, operator_id, lock=True)
            before = operator_rules.Profile(found.operator.display_name,
                                            found.operator.languages, found.queue_ids)
            fields = operator_rules.changed_fields(before, after)
            if "queues" in fields:
                await check_ids(con, "queues", after.queue_ids)
                await queue_store.set_queues(con, operator_id, after.queue_ids)
            if {"display_name", "languages"} & set(fields):
                await store.set_profile(con, operator_id, after.display_name, after.languages)
            if fields:
                await audit.change(con, actor, "update", ENTITY, operator_id, fields)
    return fields


async def reset_secret(pool: Pool, actor: int | None,
                       operator_id: int) -> Secret[OperatorPage]:
    """A new generated secret; the old one stops working within seconds."""
    async with pool.acquire() as con:
        async with con.transaction():
            found = await _operator(con, operator_id, lock=True)
            password = store.generate_password(found.operator.sip_username)
            await store.set_secret(con, found.operator.sip_username, password)
            await audit.change(con, actor, "update", ENTITY, operator_id, ["sip_secret"])
        return Secret(await _page(con, operator_id), found, password)


async def set_enabled(pool: Pool, actor: int | None, operator_id: int,
                      enabled: bool) -> Profile:
    """Disabled: offered no more calls, and the SIP account leaves Asterisk; a call in
    progress goes on, and the account goes when it ends (operators/sip_sync.py)."""
    async with pool.acquire() as con, con.transaction():
        found = await _operator(con, operator_id, lock=True)
        if found.operator.enabled != enabled:
            await store.set_enabled(con, found.operator.sip_username, enabled)
            await audit.change(con, actor, "update", ENTITY, operator_id, ["enabled"])
        return found


async def link_user(pool: Pool, actor: int | None, operator_id: int, username: str) -> None:
    """The web user who takes calls on this SIP account ("": nobody). Each user whose link
    changes is signed out: an open console is bound to the account it began with."""
    async with pool.acquire() as con, page_on_refusal(lambda: _page(con, operator_id)):
        if problem := operator_rules.user_problem(username):
            raise Invalid(problem, "user")
        async with con.transaction():
            found = await _operator(con, operator_id, lock=True)
            if found.user != (username or None):
                await _link(con, actor, operator_id, found.user, username or None)


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
