"""PostgreSQL fixtures: a server for the session, a fresh database per test.

A test's database is either brand-new and empty (empty_dsn, for the tests of migrations
themselves) or a copy of a template made once per run (database_copy: CREATE DATABASE ...
TEMPLATE, tens of milliseconds, where running every migration again took ten times that).

Set LIFELINE_TEST_DSN (e.g. postgresql://me:pw@localhost/postgres) to use an existing server,
on which the tests create and drop their own databases; otherwise a throwaway Cluster is
started for the session. Load with `pytest_plugins = ["tests.pg_fixtures"]`.

empty_dsn is the admin's (a superuser's) login; as_app_role() gives the application's
(lifeline_app, migrations/0008) on the same database, which is what the app must run as in
every test, so that a missing grant fails the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from devstack.postgres import Cluster, quote_ident
from lifeline_pbx import db_roles, demo
from lifeline_pbx.migrate import MIGRATIONS_DIR, migrate
from tests import phones

# lifeline_app's password for this run (the role is one per server, shared by its databases),
# and what the server stores for it, derived once (PBKDF2: a few milliseconds each time).
TEST_APP_PASSWORD = secrets.token_urlsafe(24)
_APP_PASSWORD_SET = (f"ALTER ROLE {db_roles.APP_ROLE} "
                     f"PASSWORD '{db_roles.scram_verifier(TEST_APP_PASSWORD)}'")


async def as_app_role(admin_dsn: str) -> str:
    """The application role's DSN for admin_dsn's database (migrated already)."""
    return await db_roles.set_app_password(admin_dsn, TEST_APP_PASSWORD)


@contextlib.asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection for a test's own statements, closed after."""
    con = await asyncpg.connect(dsn)
    try:
        yield con
    finally:
        await con.close()


@contextlib.asynccontextmanager
async def database_copy(server: PgServer, template: str) -> AsyncIterator[str]:
    """A new database copied from template (which nobody may be connected to, and which is
    migrated: lifeline_app exists): the admin's DSN to it, dropped after. lifeline_app's
    password is set again to this run's (as_app_role): a test of `lifeline migrate` gives
    it one of its own, for the whole server."""
    name = f"lifeline_test_{uuid.uuid4().hex[:12]}"
    # One connection for both statements, kept meanwhile: a connection costs the server a
    # backend's start, ~10 ms of CPU, and the suite copies a database per test.
    async with connect(server.dsn()) as con:
        # FILE_COPY copies the files whole (with fsync off, its checkpoint costs nothing);
        # 15's default, WAL_LOG, writes every page of a small database to the WAL instead.
        strategy = " STRATEGY FILE_COPY" if con.get_server_version().major >= 15 else ""
        await con.execute(
            f"CREATE DATABASE {quote_ident(name)} TEMPLATE {quote_ident(template)}{strategy}")
        try:
            # On this connection: a role is the server's, not the database's.
            await con.execute(_APP_PASSWORD_SET)
            yield server.dsn(name)
        finally:
            await con.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


class PgServer(Protocol):
    def dsn(self, dbname: str = "postgres") -> str: ...
    def create_database(self, name: str, template: str | None = None) -> None: ...
    def drop_database(self, name: str) -> None: ...


@dataclass
class ExternalServer:
    """A server someone else runs, reached through an admin DSN that may create databases."""

    admin_dsn: str

    def dsn(self, dbname: str = "postgres") -> str:
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path=f"/{dbname}"))

    def _execute(self, sql: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(self.admin_dsn)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(run())

    def create_database(self, name: str, template: str | None = None) -> None:
        sql = f"CREATE DATABASE {quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {quote_ident(template)}"
        self._execute(sql)

    def drop_database(self, name: str) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


def _own_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgServer]:
    external = os.environ.get("LIFELINE_TEST_DSN")
    if external:
        yield ExternalServer(external)
        return
    yield from _own_cluster()


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for one test alone, which the test may shut down (an outage)."""
    yield from _own_cluster()


@pytest.fixture
def empty_dsn(pg_cluster: PgServer) -> Iterator[str]:
    """A DSN to a brand-new empty database, dropped after the test."""
    name = f"lifeline_test_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name)
    try:
        yield pg_cluster.dsn(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def demo_template(pg_cluster: PgServer) -> Iterator[str]:
    """A database migrated and holding the demo data, made once per run: the template each
    test's database is copied from. The migrations' own tests run them on empty_dsn."""
    name = f"lifeline_template_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name)

    asyncio.run(demo.install(pg_cluster.dsn(name)))
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def phones_template(pg_cluster: PgServer, demo_template: str) -> Iterator[str]:
    """The demo template plus the test phones' operators (tests/phones.py enlist)."""
    name = f"lifeline_template_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name, template=demo_template)

    async def enlist_phones() -> None:
        async with connect(pg_cluster.dsn(name)) as con:
            await phones.enlist(con)

    asyncio.run(enlist_phones())
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def database_template(request: pytest.FixtureRequest, demo_template: str) -> str:
    """The template this test's databases are copied from: the demo template; for a test
    on the shared PBX, phones_template. The operator sync of every app on the PBX then
    finds the phones' accounts as the last test left them and rewrites nothing, so the
    phones stay registered from test to test (a database without them had its app delete
    them, and the next test waited seconds for the phones to register again)."""
    if "pbx" in request.fixturenames:
        return str(request.getfixturevalue("phones_template"))
    return demo_template


@pytest.fixture
async def admin_dsn(pg_cluster: PgServer, database_template: str) -> AsyncIterator[str]:
    """The admin's (a superuser's) login to a fresh copy of database_template."""
    async with database_copy(pg_cluster, database_template) as dsn:
        yield dsn


@pytest.fixture
def app_dsn(admin_dsn: str) -> str:
    """A migrated database holding the demo facilities, lines and operator, as the app's
    role sees it (admin_dsn is the admin's login to the same database; database_copy set
    the role's password already, without a connection of its own)."""
    return db_roles.with_login(admin_dsn, db_roles.APP_ROLE, TEST_APP_PASSWORD)


@dataclass(frozen=True)
class Upgrade:
    """A migration's test over data from before it: `before()` the schema without it (the
    earlier migrations, copied to `folder`), then `apply()` it alone."""

    dsn: str
    version: str  # "0040"
    folder: Path

    async def before(self) -> None:
        self.folder.mkdir()
        for sql in sorted(MIGRATIONS_DIR.glob("*.sql")):
            if sql.name < self.version:
                shutil.copy(sql, self.folder)
        await migrate(self.dsn, self.folder)

    async def apply(self) -> list[str]:
        """The names of the migrations applied: this one's alone."""
        for sql in MIGRATIONS_DIR.glob(f"{self.version}_*.sql"):
            shutil.copy(sql, self.folder)
        return await migrate(self.dsn, self.folder)


async def staff(con: asyncpg.Connection, username: str, role: str) -> int:
    """A staff row written straight into an older schema (no password), displayed as
    the username capitalized; its id."""
    user_id: int = await con.fetchval(
        """INSERT INTO users (username, display_name, role, password_hash)
           VALUES ($1, $2, $3, 'x') RETURNING id""", username, username.capitalize(), role)
    return user_id
