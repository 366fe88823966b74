"""The two database roles (migrations/0008) and what the admin side does with them.

lifeline_app is what the application connects as (`database_url`); lifeline_audit, which
nobody logs in as, owns the audit log. Migrations run with `admin_database_url`, and the
runner grants lifeline_app its DML on every other table after each run, so a table that a
later migration adds is covered without anyone remembering to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from lifeline_pbx.db import Conn
from lifeline_pbx.errors import MigrationError

APP_ROLE = "lifeline_app"
AUDIT_ROLE = "lifeline_audit"
_SCRAM_ITERATIONS = 4096

# DML on every table, view and sequence in public, except what lifeline_audit owns (the
# audit log: its own migration grants INSERT and SELECT only) and the migrations' record.
GRANTS = f"""
DO $$
DECLARE
    item record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        RETURN;  -- a migrations directory without 0008 (the runner's own tests)
    END IF;
    FOR item IN
        SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S')
           AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = '{AUDIT_ROLE}')
           AND c.relname <> 'schema_migrations'
    LOOP
        IF item.relkind = 'S' THEN
            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO {APP_ROLE}', item.name);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO {APP_ROLE}',
                           item.name);
        END IF;
    END LOOP;
END
$$
"""


# The two roles as migrations/0008 makes them, for a restore into a cluster where the
# migrations never ran (roles belong to the cluster: a database's dump holds none). An
# admin that is not a superuser joins lifeline_audit, to give the audit log back to it.
ENSURE_ROLES = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AUDIT_ROLE}') THEN
        CREATE ROLE {AUDIT_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT {AUDIT_ROLE} TO %I', current_user);
    END IF;
END
$$
"""

def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (as psql's \\password sends it),
    so the password itself never reaches the server or its statement log."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return (f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt)}"
            f"${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}")


def with_login(dsn: str, user: str, password: str) -> str:
    """dsn with its user and password replaced (host, port, database and options kept)."""
    parts = urlsplit(dsn)
    where = parts.netloc.rpartition("@")[2]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{login}@{where}"))


@dataclass(frozen=True)
class AppRole:
    """lifeline_app as the admin sees it. It is one role for the whole PostgreSQL server:
    every database on it, a practice restore's too, shares its password."""

    exists: bool
    has_password: bool | None  # None: the admin, not a superuser, may not read pg_authid


Action = Literal["create", "set password", "keep"]


def app_role_action(role: AppRole, *, new_password: bool) -> Action:
    """What `lifeline db app-role` does. A password that may be in use is kept unless one
    is asked for: changing it logs the running app out until its settings have the new one."""
    if not role.exists:
        return "create"
    if new_password or role.has_password is False:  # none yet: nobody can be logged in
        return "set password"
    return "keep"


async def app_role(con: Conn) -> AppRole:
    if not await con.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)",
                              APP_ROLE):
        return AppRole(exists=False, has_password=False)
    try:
        has = await con.fetchval(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1", APP_ROLE)
    except asyncpg.InsufficientPrivilegeError:
        return AppRole(exists=True, has_password=None)
    return AppRole(exists=True, has_password=bool(has))


@dataclass(frozen=True)
class AppRoleDone:
    before: AppRole
    action: Action
    dsn: str  # with the new password; "" when the password was kept


async def ensure_app_role(admin_dsn: str, *, new_password: bool = False,
                          password: str | None = None) -> AppRoleDone:
    """lifeline_app made if missing, with its grants on admin_dsn's database; its password
    set only where app_role_action says (a given password counts as asking for one)."""
    con = await asyncpg.connect(admin_dsn)
    try:
        before = await app_role(con)
        action = app_role_action(before, new_password=new_password or password is not None)
        dsn = ""
        if action != "keep":
            password = password or secrets.token_urlsafe(24)
            # CREATE and ALTER ROLE take no parameters; the verifier is base64, '$' and ':'.
            verifier = scram_verifier(password)
            if action == "create":
                await con.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB "
                                  f"NOCREATEROLE PASSWORD '{verifier}'")
            else:
                await con.execute(f"ALTER ROLE {APP_ROLE} PASSWORD '{verifier}'")
            dsn = with_login(admin_dsn, APP_ROLE, password)
        await con.execute(GRANTS)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise MigrationError(f"the admin login may not do this ({exc}): use the one that ran "
                             "lifeline migrate (admin_database_url)") from None
    finally:
        await con.close()
    return AppRoleDone(before, action, dsn)


async def set_app_password(admin_dsn: str, password: str | None = None) -> str:
    """Give lifeline_app a password (generated unless given); return its DSN, which is
    admin_dsn with lifeline_app's login in it. For the test and demo stacks; the command
    is ensure_app_role."""
    password = password or secrets.token_urlsafe(24)
    verifier = scram_verifier(password)
    con = await asyncpg.connect(admin_dsn)
    try:
        # ALTER ROLE takes no parameters; the verifier is base64, '$' and ':' only.
        await con.execute(f"ALTER ROLE {APP_ROLE} PASSWORD '{verifier}'")
    except asyncpg.UndefinedObjectError:
        raise MigrationError(f"there is no role {APP_ROLE} yet: run lifeline migrate") from None
    finally:
        await con.close()
    return with_login(admin_dsn, APP_ROLE, password)
