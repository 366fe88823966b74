"""Units of work behind the admin pages: each one transaction with its audit entry.

Audit entries name the fields changed, never their values (no password, ever). A user's
sessions end whenever what lets them in changes: disabled, new password, second factor
removed, or a new role (a new admin must then enrol a second factor).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.accounts import attempts, users
from lifeline_pbx.admin import categories, forms, partners
from lifeline_pbx.admin.forms import NewCategory, NewPartner, NewUser
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound

Pool = asyncpg.Pool


# Users


@dataclass(frozen=True)
class Users:
    """What the users page lists."""

    listed: list[users.User]
    operators: list[tuple[str, str]]  # SIP accounts no user has yet
    failures: dict[str, int]  # failed sign-ins counted against each account


async def listing(pool: Pool) -> Users:
    async with pool.acquire() as con:
        return Users(await users.all_users(con), await users.unlinked_operators(con),
                     await attempts.account_failures(con))


async def user(pool: Pool, user_id: int) -> users.User:
    async with pool.acquire() as con:
        return await _target(con, user_id)


async def create_user(pool: Pool, actor: int, new: NewUser, password_hash: str) -> int:
    async with pool.acquire() as con, con.transaction():
        if await users.by_username(con, new.username) is not None:
            raise Invalid(f"The username '{new.username}' is taken; choose another.",
                             "username")
        if new.operator is not None:
            free = {sip for sip, _ in await users.unlinked_operators(con)}
            if new.operator not in free:
                raise Invalid("That SIP account does not exist or already has a user.",
                                 "operator")
        try:
            user_id = await users.create(con, new.username, new.display_name, new.role,
                                         password_hash, new.operator)
        except users.UserError as exc:  # a race with another admin: same checks, in SQL
            raise Invalid(str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        fields = ["username", "display_name", "role", "password"]
        await audit.change(con, actor, "create", "user", user_id,
                                fields + (["operator"] if new.operator else []))
    return user_id


async def _target(con: Conn, user_id: int) -> users.User:
    user = await users.by_id(con, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


async def set_enabled(pool: Pool, actor: int, user_id: int, enabled: bool) -> users.User:
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if not enabled and user_id == actor:
            raise Invalid("You cannot disable your own account. Ask another admin.")
        if user.enabled != enabled:
            await users.set_enabled(con, user.username, enabled)  # disabling ends sessions
            await audit.change(con, actor, "update", "user", user_id, ["enabled"])
    return user


async def set_password(pool: Pool, actor: int, user_id: int, password_hash: str) -> None:
    async with pool.acquire() as con, con.transaction():
        await _target(con, user_id)
        await users.set_password(con, user_id, password_hash)
        await users.end_sessions(con, user_id)
        await audit.change(con, actor, "update", "user", user_id, ["password"])


async def remove_second_factor(pool: Pool, actor: int, user_id: int) -> users.User:
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if user.totp_secret is not None:
            await users.set_totp(con, user_id, None)
            await users.end_sessions(con, user_id)
            await audit.change(con, actor, "update", "user", user_id, ["second_factor"])
    return user


async def set_role(pool: Pool, actor: int, user_id: int, role: str) -> users.User:
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if user_id == actor and role != "admin":
            raise Invalid("You cannot remove your own admin role. Ask another admin.",
                             "role")
        if user.role != role:
            await users.set_role(con, user_id, role)
            await users.end_sessions(con, user_id)
            await audit.change(con, actor, "update", "user", user_id, ["role"])
    return user


async def set_operator(pool: Pool, actor: int, user_id: int, operator: str | None) -> users.User:
    """Link the user to a SIP account no other user has, or unlink (None). Their sessions
    end: an open console is bound to the phone account it started with."""
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if user.operator_username != operator:
            try:
                await users.set_operator(con, user_id, operator)
            except users.UserError as exc:
                raise Invalid(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "operator") from None
            await users.end_sessions(con, user_id)
            await audit.change(con, actor, "update", "user", user_id, ["operator"])
    return user


async def unlock_sign_in(pool: Pool, actor: int, user_id: int) -> users.User:
    """Clear the user's failed sign-ins (their account's and their known devices'), which
    lifts a lock; the attempts themselves stay on record."""
    async with pool.acquire() as con, con.transaction():
        user = await _target(con, user_id)
        if await attempts.unlock(con, user.username):
            await audit.change(con, actor, "update", "user", user_id, ["sign_in_lock"])
    return user


# Report categories


async def add_category(pool: Pool, actor: int, new: NewCategory) -> None:
    async with pool.acquire() as con, con.transaction():
        if await categories.by_code(con, new.code) is not None or not await categories.add(
                con, new.code, new.label):
            raise Invalid(f"A category with the code '{new.code}' exists.", "code")
        await audit.change(con, actor, "create", "report_category", new.code,
                                ["code", "label", "position"])


async def all_categories(pool: Pool) -> list[categories.Category]:
    async with pool.acquire() as con:
        return await categories.all_categories(con)


async def rename_category(pool: Pool, actor: int, code: str, label: str) -> None:
    async with pool.acquire() as con, con.transaction():
        category = await categories.by_code(con, code)
        if category is None:
            raise NotFound("There is no such category.")
        if problem := forms.name_problem(label, "label"):
            raise Invalid(problem, label_field(code))
        if category.label != label:
            await categories.set_label(con, code, label)
            await audit.change(con, actor, "update", "report_category", code, ["label"])


async def set_category_enabled(pool: Pool, actor: int, code: str, enabled: bool) -> None:
    async with pool.acquire() as con, con.transaction():
        category = await categories.by_code(con, code)
        if category is None:
            raise NotFound("There is no such category.")
        if category.enabled != enabled:
            await categories.set_enabled(con, code, enabled)
            await audit.change(con, actor, "update", "report_category", code, ["enabled"])


def label_field(code: str) -> str:
    """The field of a category's label on the categories page (one form per category)."""
    return f"label:{code}"


# Partners


async def all_partners(pool: Pool) -> list[partners.Partner]:
    async with pool.acquire() as con:
        return await partners.all_partners(con)


async def add_partner(pool: Pool, actor: int, new: NewPartner) -> int:
    async with pool.acquire() as con, con.transaction():
        partner_id = await partners.add(con, new.name, new.kind)
        if partner_id is None:
            raise Invalid("A partner of that name exists.", "name")
        await audit.change(con, actor, "create", "partner", partner_id, ["name", "kind"])
    return partner_id


async def set_partner_enabled(pool: Pool, actor: int, partner_id: int, enabled: bool) -> None:
    async with pool.acquire() as con, con.transaction():
        partner = await partners.by_id(con, partner_id)
        if partner is None:
            raise NotFound("There is no such partner.")
        if partner.enabled != enabled:
            await partners.set_enabled(con, partner_id, enabled)
            await audit.change(con, actor, "update", "partner", partner_id, ["enabled"])
