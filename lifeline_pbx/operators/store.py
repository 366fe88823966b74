"""The SQL for operators' SIP accounts, and the rules a new account must follow.

PostgreSQL is the truth: these functions only write the operators table. Its triggers
(migrations/0002_operator_changes.sql) NOTIFY 'lifeline_operators', and the app then
rewrites the accounts in Asterisk (operators/sip_sync.py). Only the digest hash
md5(username:realm:password) is stored; the password itself is never kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import asyncpg

from lifeline_pbx.db import Conn
from lifeline_pbx.errors import LifelineError
from lifeline_pbx.operators.sip_credentials import sip_md5_cred

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,39}")  # the same rule as the table's CHECK
# Names of objects in pjsip.conf, or that SIP scanners try first.
# The static PJSIP objects' names (asterisk-conf/pjsip.conf): an operator's account of the
# same name would take the trunk's place.
RESERVED_USERNAMES = frozenset({"carrier", "anonymous", "asterisk", "default", "admin", "root",
                                "carrier-out", "carrier-out-contact", "carrier-out-auth"})
MIN_PASSWORD = 12
MAX_PASSWORD = 128
MAX_DISPLAY_NAME = 200
_DISPLAY_FORBIDDEN = set('"<>\\')
# Letters and digits without look-alikes (l/1, o/0, i).
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - not a password

_COLUMNS = "id, display_name, sip_username, sip_md5_cred, languages, enabled"


class OperatorError(LifelineError):
    """An operator account was refused or not found; the message says why."""


@dataclass(frozen=True)
class Operator:
    id: int
    display_name: str
    sip_username: str
    sip_md5_cred: str
    languages: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True)
class NewOperator:
    display_name: str
    sip_username: str
    sip_md5_cred: str
    languages: tuple[str, ...]


def generate_password(username: str = "") -> str:
    """Six groups of four letters and digits (24 of them, about 119 bits), easy to type on
    a phone. SIP secrets are always made here, never chosen: a chosen one is guessable.
    Drawn again in the rare case it holds the username, which `validate` refuses."""
    while True:
        groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4))
                  for _ in range(6))
        password = "-".join(groups)
        if not username or username not in password:
            return password


def username_problems(username: str) -> list[str]:
    if not USERNAME.fullmatch(username):
        return [
            f"username {username!r}: use 3 to 40 lowercase letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        ]
    if username in RESERVED_USERNAMES:
        return [f"username {username!r} is reserved; choose another"]
    return []


def display_name_problems(display_name: str) -> list[str]:
    if not display_name:
        return ["display name is empty"]
    if len(display_name) > MAX_DISPLAY_NAME:
        return [f"display name is longer than {MAX_DISPLAY_NAME} characters"]
    if not display_name.isprintable() or _DISPLAY_FORBIDDEN & set(display_name):
        return ["display name must not contain quotes, <, >, backslashes or control characters"]
    return []


def language_problems(languages: Iterable[str], known: Collection[str]) -> list[str]:
    """The languages an operator speaks: at least one, each a code of `known` (the
    languages table's: any language the hotline configures, not only those it synthesises)."""
    codes = list(languages)
    listed = ", ".join(known)
    if not codes:
        return [f"give at least one language the operator speaks ({listed})"]
    unknown = [code for code in codes if code not in known]
    if unknown:
        return [f"unknown language {', '.join(map(repr, unknown))} (known: {listed})"]
    return []


def password_problems(password: str, username: str) -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"password is too short: at least {MIN_PASSWORD} characters"]
    if len(password) > MAX_PASSWORD:
        return [f"password is longer than {MAX_PASSWORD} characters"]
    if not password.isprintable():
        return ["password must not contain control characters"]
    if username and username in password.lower():
        return ["password must not contain the username"]
    if len(set(password)) < 5:
        return ["password is too simple: use at least 5 different characters"]
    return []


def validate(
    display_name: str, username: str, password: str, languages: Iterable[str],
    known: Collection[str],
) -> NewOperator:
    """The account to store, or OperatorError listing every problem found. `known`: the
    language codes an operator may speak (the languages table's)."""
    display_name = display_name.strip()
    codes = tuple(languages)
    problems = [
        *username_problems(username),
        *display_name_problems(display_name),
        *language_problems(codes, known),
        *password_problems(password, username),
    ]
    if problems:
        raise OperatorError("; ".join(problems))
    return NewOperator(display_name, username, sip_md5_cred(username, password), codes)


def _operator(row: asyncpg.Record) -> Operator:
    return Operator(
        id=row["id"],
        display_name=row["display_name"],
        sip_username=row["sip_username"],
        sip_md5_cred=row["sip_md5_cred"],
        languages=tuple(row["languages"]),
        enabled=row["enabled"],
    )


async def add(con: Conn, new: NewOperator) -> Operator:
    try:
        row = await con.fetchrow(
            f"""INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
                VALUES ($1, $2, $3, $4) RETURNING {_COLUMNS}""",
            new.display_name, new.sip_username, new.sip_md5_cred, list(new.languages),
        )
    except asyncpg.UniqueViolationError:
        raise OperatorError(
            f"an operator with username {new.sip_username!r} already exists"
        ) from None
    assert row is not None
    return _operator(row)


async def set_secret(con: Conn, username: str, password: str) -> Operator:
    """Store the digest of a new SIP secret; the trigger makes the app push it to Asterisk."""
    if problems := password_problems(password, username):
        raise OperatorError("; ".join(problems))
    row = await con.fetchrow(
        f"UPDATE operators SET sip_md5_cred = $2 WHERE sip_username = $1 RETURNING {_COLUMNS}",
        username, sip_md5_cred(username, password),
    )
    if row is None:
        raise OperatorError(f"no operator with username {username!r}")
    return _operator(row)


async def set_enabled(con: Conn, username: str, enabled: bool) -> Operator:
    row = await con.fetchrow(
        f"UPDATE operators SET enabled = $2 WHERE sip_username = $1 RETURNING {_COLUMNS}",
        username, enabled,
    )
    if row is None:
        raise OperatorError(f"no operator with username {username!r}")
    return _operator(row)


async def list_enabled(con: Conn) -> list[Operator]:
    rows = await con.fetch(
        f"SELECT {_COLUMNS} FROM operators WHERE enabled ORDER BY sip_username"
    )
    return [_operator(row) for row in rows]


# --- What the admin pages show and change --------------------------------------------


@dataclass(frozen=True)
class Profile:
    """An operator as the admin pages list them: the account, queues and web user."""

    operator: Operator
    queue_ids: tuple[int, ...]
    user: str | None  # the username of the web user linked to this SIP account


_PROFILES = f"""
    SELECT {", ".join(f"o.{c}" for c in _COLUMNS.split(", "))},
        coalesce((SELECT array_agg(oq.queue_id ORDER BY oq.queue_id) FROM operator_queues oq
                  WHERE oq.operator_id = o.id), '{{}}') AS queue_ids,
        (SELECT u.username FROM users u WHERE u.operator_id = o.id) AS web_user
    FROM operators o
"""


def _profile(row: asyncpg.Record) -> Profile:
    return Profile(_operator(row), tuple(row["queue_ids"]), row["web_user"])


async def profiles(con: Conn) -> list[Profile]:
    return [_profile(r) for r in await con.fetch(_PROFILES + " ORDER BY o.sip_username")]


async def profile(con: Conn, operator_id: int, *, lock: bool = False) -> Profile | None:
    row = await con.fetchrow(
        _PROFILES + " WHERE o.id = $1" + (" FOR UPDATE OF o" if lock else ""), operator_id)
    return None if row is None else _profile(row)


async def set_profile(con: Conn, operator_id: int, display_name: str,
                      languages: Iterable[str]) -> None:
    await con.execute(
        "UPDATE operators SET display_name = $2, languages = $3 WHERE id = $1",
        operator_id, display_name, list(languages))


async def ids_by_username(con: Conn, usernames: Iterable[str]) -> dict[str, int]:
    rows = await con.fetch(
        "SELECT sip_username, id FROM operators WHERE sip_username = ANY($1::text[])",
        list(usernames))
    return {r["sip_username"]: r["id"] for r in rows}
