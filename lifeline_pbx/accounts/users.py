"""SQL for web users. Roles are ranked: operator < supervisor < admin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import asyncpg

from lifeline_pbx.accounts.sessions import Session
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import LifelineError

Role = Literal["operator", "supervisor", "admin"]
AUDITED_AS = "user"  # the audit log's entity for an account, from the web or the shell
CREATED_FIELDS = ("username", "display_name", "role", "password")
ROLES: tuple[Role, ...] = ("operator", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")


class UserError(LifelineError):
    """A user cannot be created or changed as asked; the message says why."""


def rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    password_hash: str
    totp_secret: bytes | None
    totp_last_step: int
    operator_username: str | None
    enabled: bool


_COLUMNS = """u.id, u.username, u.display_name, u.role, u.password_hash, u.totp_secret,
              u.totp_last_step, o.sip_username AS operator_username, u.enabled"""
_FROM = "users u LEFT JOIN operators o ON o.id = u.operator_id"
_SELECT = f"SELECT {_COLUMNS} FROM {_FROM}"


def _user(row: asyncpg.Record | None) -> User | None:
    return None if row is None else User(**dict(row))


async def by_session(con: Conn, token_hash: bytes) -> tuple[Session, User] | None:
    """A session and its user in one query: every web request asks this."""
    row = await con.fetchrow(
        f"""SELECT s.token_hash, s.stage, s.csrf_token, s.created_at, s.last_seen_at, {_COLUMNS}
            FROM {_FROM} JOIN web_sessions s ON s.user_id = u.id WHERE s.token_hash = $1""",
        token_hash,
    )
    if row is None:
        return None
    values = dict(row)
    session = Session(values.pop("token_hash"), values["id"], values.pop("stage"),
                      values.pop("csrf_token"), values.pop("created_at"),
                      values.pop("last_seen_at"))
    return session, User(**values)


async def by_username(con: Conn, username: str) -> User | None:
    return _user(await con.fetchrow(f"{_SELECT} WHERE u.username = $1", username))


async def by_id(con: Conn, user_id: int) -> User | None:
    return _user(await con.fetchrow(f"{_SELECT} WHERE u.id = $1", user_id))


async def by_operator(con: Conn, sip_username: str) -> User | None:
    """The enabled web user linked to this SIP account (the phone's feature codes act as
    them)."""
    return _user(await con.fetchrow(f"{_SELECT} WHERE o.sip_username = $1 AND u.enabled",
                                    sip_username))


async def all_users(con: Conn) -> list[User]:
    return [User(**dict(r)) for r in await con.fetch(f"{_SELECT} ORDER BY u.username")]


async def create(
    con: Conn, username: str, display_name: str, role: str, password_hash: str,
    operator: str | None = None,
) -> int:
    if not USERNAME.match(username):
        raise UserError("a username is 3-40 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    operator_id = None
    if operator:
        operator_id = await con.fetchval(
            "SELECT id FROM operators WHERE sip_username = $1", operator)
        if operator_id is None:
            raise UserError(f"no operator SIP account {operator!r}")
    try:
        user_id: int = await con.fetchval(
            """INSERT INTO users (username, display_name, role, password_hash, operator_id)
               VALUES ($1, $2, $3, $4, $5) RETURNING id""",
            username, display_name or username, role, password_hash, operator_id,
        )
    except asyncpg.UniqueViolationError:
        raise UserError(f"user {username!r} exists, or that SIP account has a user") from None
    return user_id


async def set_password(con: Conn, user_id: int, password_hash: str) -> None:
    await con.execute(
        "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1",
        user_id, password_hash,
    )


async def set_totp(con: Conn, user_id: int, sealed_secret: bytes | None) -> None:
    await con.execute(
        "UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1",
        user_id, sealed_secret,
    )


async def use_totp_step(con: Conn, user_id: int, step: int) -> bool:
    """Claim a TOTP time step; False if it (or a later one) was used: no code works twice."""
    done = await con.fetchval(
        """UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2
           RETURNING true""",
        user_id, step,
    )
    return bool(done)


async def set_enabled(con: Conn, username: str, enabled: bool) -> bool:
    done = await con.fetchval(
        "UPDATE users SET enabled = $2 WHERE username = $1 RETURNING id", username, enabled)
    if done is not None and not enabled:
        await con.execute("DELETE FROM web_sessions WHERE user_id = $1", done)
    return done is not None


async def set_role(con: Conn, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    await con.execute("UPDATE users SET role = $2 WHERE id = $1", user_id, role)


async def end_sessions(con: Conn, user_id: int) -> int:
    """Sign the user out everywhere; returns how many sessions ended."""
    status = await con.execute("DELETE FROM web_sessions WHERE user_id = $1", user_id)
    return int(status.split()[-1])


async def unlinked_operators(con: Conn) -> list[tuple[str, str]]:
    """(SIP username, display name) of enabled operator SIP accounts no user is linked to."""
    rows = await con.fetch(
        """SELECT o.sip_username, o.display_name FROM operators o
           WHERE o.enabled AND NOT EXISTS (SELECT 1 FROM users u WHERE u.operator_id = o.id)
           ORDER BY o.sip_username""")
    return [(r["sip_username"], r["display_name"]) for r in rows]


async def set_operator(con: Conn, user_id: int, operator: str | None) -> None:
    """Link the user to that enabled SIP account, or unlink them (None).

    UserError if the account is unknown, disabled or linked to another user."""
    operator_id = None
    if operator is not None:
        row = await con.fetchrow(
            """SELECT o.id, o.enabled, u.id AS holder FROM operators o
               LEFT JOIN users u ON u.operator_id = o.id WHERE o.sip_username = $1""",
            operator)
        if row is None:
            raise UserError(f"there is no SIP account {operator!r}")
        if not row["enabled"]:
            raise UserError(f"the SIP account {operator!r} is disabled")
        if row["holder"] not in (None, user_id):
            raise UserError(f"the SIP account {operator!r} is linked to another user")
        operator_id = row["id"]
    try:
        await con.execute("UPDATE users SET operator_id = $2 WHERE id = $1", user_id,
                          operator_id)
    except asyncpg.UniqueViolationError:  # linked by someone else meanwhile
        raise UserError(f"the SIP account {operator!r} is linked to another user") from None
