"""Units of work on web users (the users page), each one transaction with its audit entry.

Audit entries name the fields changed, never their values (no password, ever). A user's
sessions end whenever what lets them in changes: disabled, new password, second factor
removed, or a new role (a new admin must then enrol a second factor). A refusal carries
the users page to show it again (errors.RequestError.page); a password is hashed before a
connection is taken, since hashing is slow on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.accounts import attempts, passwords, users
from lifeline_pbx.admin import forms
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal

Pool = asyncpg.Pool
Form = Mapping[str, Any]
ENTITY = users.AUDITED_AS


@dataclass(frozen=True)
class UsersPage:
    listed: list[users.User]
    operators: list[tuple[str, str]]  # SIP accounts no user has yet
    failures: dict[str, int]  # failed sign-ins counted against each account


@dataclass(frozen=True)
class NewPassword:
    """A generated password to show once (only its hash is stored), with the page."""

    page: UsersPage
    username: str
    password: str


async def _listing(con: Conn) -> UsersPage:
    return UsersPage(await users.all_users(con), await users.unlinked_operators(con),
                     await attempts.account_failures(con))


async def listing(pool: Pool) -> UsersPage:
    async with pool.acquire() as con:
        return await _listing(con)


async def _hash(password: str) -> str:
    return await asyncio.to_thread(passwords.hash_password, password)


def _sentence(exc: Exception) -> str:
    return f"{str(exc)[:1].upper()}{str(exc)[1:]}."


async def create_user(pool: Pool, actor: int, form: Form) -> NewPassword | None:
    """Add the user the form describes; the password to show when it was generated."""
    async with page_on_refusal(lambda: listing(pool)):
        new = forms.parse_new_user(form)
        password_hash = await _hash(new.password)
        async with pool.acquire() as con:
            async with con.transaction():
                await _create(con, actor, new, password_hash)
            if new.generated:
                return NewPassword(await _listing(con), new.username, new.password)
    return None


async def _create(con: Conn, actor: int, new: forms.NewUser, password_hash: str) -> None:
    if await users.by_username(con, new.username) is not None:
        raise Invalid(f"The username '{new.username}' is taken; choose another.", "username")
    if new.operator is not None:
        free = {sip for sip, _ in await users.unlinked_operators(con)}
        if new.operator not in free:
            raise Invalid("That SIP account does not exist or already has a user.",
                          "operator")
    try:
        user_id = await users.create(con, new.username, new.display_name, new.role,
                                     password_hash, new.operator)
    except users.UserError as exc:  # a race with another admin: same checks, in SQL
        raise Invalid(_sentence(exc)) from None
    await audit.change(con, actor, "create", ENTITY, user_id,
                       [*users.CREATED_FIELDS, *(["operator"] if new.operator else [])])


async def _target(con: Conn, user_id: int) -> users.User:
    user = await users.by_id(con, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


async def set_enabled(pool: Pool, actor: int, user_id: int, enabled: bool) -> None:
    async with pool.acquire() as con, page_on_refusal(lambda: _listing(con)), \
            con.transaction():
        user = await _target(con, user_id)
        if not enabled and user_id == actor:
            raise Invalid("You cannot disable your own account. Ask another admin.")
        if user.enabled != enabled:
            await users.set_enabled(con, user.username, enabled)  # disabling ends sessions
            await audit.change(con, actor, "update", ENTITY, user_id, ["enabled"])


async def set_password(pool: Pool, actor: int, user_id: int,
                       form: Form) -> NewPassword | None:
    """The typed password, or a generated one (returned, to show once). Refused, the
    message starts with the username."""
    async with page_on_refusal(lambda: listing(pool)):
        async with pool.acquire() as con:
            user = await _target(con, user_id)
        password, generated, problem = forms.password_choice(form, user.username)
        if problem:
            raise Invalid(f"{user.username}: {problem}")
        password_hash = await _hash(password)
        async with pool.acquire() as con:
            async with con.transaction():
                await _target(con, user_id)
                await users.set_password(con, user_id, password_hash)
                await users.end_sessions(con, user_id)
                await audit.change(con, actor, "update", ENTITY, user_id, ["password"])
            if generated:
                return NewPassword(await _listing(con), user.username, password)
    return None


async def remove_second_factor(pool: Pool, actor: int, user_id: int) -> None:
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if user.totp_secret is not None:
            await users.set_totp(con, user_id, None)
            await users.end_sessions(con, user_id)
            await audit.change(con, actor, "update", ENTITY, user_id, ["second_factor"])


async def set_role(pool: Pool, actor: int, user_id: int, role: str) -> None:
    async with pool.acquire() as con, page_on_refusal(lambda: _listing(con)):
        if problem := forms.role_problem(role):
            raise Invalid(problem, "role")
        async with con.transaction():
            user = await _target(con, user_id)
            if user_id == actor and role != "admin":
                raise Invalid("You cannot remove your own admin role. Ask another admin.",
                              "role")
            if user.role == role:  # said as a problem: "changed; signed out" would be false
                raise Invalid(f"{user.username} is {_a(role)} already: nothing changed.",
                              "role")
            await users.set_role(con, user_id, role)
            await users.end_sessions(con, user_id)
            await audit.change(con, actor, "update", ENTITY, user_id, ["role"])


async def set_operator(pool: Pool, actor: int, user_id: int, form: Form) -> None:
    """Link the user to a SIP account no other user has, or unlink (the field empty). Their
    sessions end: an open console is bound to the phone account it started with."""
    async with pool.acquire() as con, page_on_refusal(lambda: _listing(con)):
        operator, problem = forms.parse_operator(form)
        if problem:
            raise Invalid(problem, "operator")
        async with con.transaction():
            user = await _target(con, user_id)
            if user.operator_username != operator:
                try:
                    await users.set_operator(con, user_id, operator)
                except users.UserError as exc:
                    raise Invalid(_sentence(exc), "operator") from None
                await users.end_sessions(con, user_id)
                await audit.change(con, actor, "update", ENTITY, user_id, ["operator"])


async def unlock_sign_in(pool: Pool, actor: int, user_id: int) -> None:
    """Clear the user's failed sign-ins (their account's and their known devices'), which
    lifts a lock; the attempts themselves stay on record."""
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if await attempts.unlock(con, user.username):
            await audit.change(con, actor, "update", ENTITY, user_id, ["sign_in_lock"])


def _a(role: str) -> str:
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"
