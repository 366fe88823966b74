"""A command that cannot open its database ends with one line naming the setting to put
right (admin_database_url or database_url): what a backup timer's journal shows, not a
traceback. Through the real `lifeline` command against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from lifeline_pbx.cli import opening_failed
from tests import cli_run

WRONG = "not-the-password-4711"


def with_password(dsn: str, password: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(
        netloc=f"{parts.username}:{password}@{parts.hostname}:{parts.port}"))


def in_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def closed_port() -> int:
    closed = socket.socket()  # a port nobody listens on
    closed.bind(("127.0.0.1", 0))
    port: int = closed.getsockname()[1]
    closed.close()
    return port


async def one_line(env: dict[str, str], *args: str) -> str:
    code, out = await cli_run.lifeline(*args, env=env, only_these=True)
    assert code == 2, out
    assert len(out.splitlines()) == 1 and "Traceback" not in out, out
    assert WRONG not in out, out
    return out.strip()


async def test_a_wrong_admin_password_is_one_line_naming_admin_database_url(
    admin_dsn: str, tmp_path: Path
) -> None:
    made = tmp_path / "made"
    code, out = await cli_run.lifeline("backup", str(made), env={
        "LIFELINE_ADMIN_DATABASE_URL": admin_dsn}, only_these=True)
    assert code == 0, out
    env = {"LIFELINE_ADMIN_DATABASE_URL": with_password(admin_dsn, WRONG)}
    refused = ("lifeline: the database refused admin_database_url's login "
               "(InvalidPasswordError: password authentication failed for user ")
    for args in (("backup", str(tmp_path / "backup")), ("migrate",),
                 ("restore", "--clean", "--yes", str(made)), ("db", "app-role")):
        said = await one_line(env, *args)
        assert said.startswith(refused), (args, said)
        assert "check its user and password" in said
    assert not (tmp_path / "backup").exists()


async def test_each_command_names_the_setting_it_read(app_dsn: str, admin_dsn: str) -> None:
    wrong_app = with_password(app_dsn, WRONG)
    # migrate reads database_url when admin_database_url is not set
    said = await one_line({"LIFELINE_DATABASE_URL": wrong_app}, "migrate")
    assert said.startswith("lifeline: the database refused database_url's login"), said
    assert "lifeline_app's password" in said
    said = await one_line({"LIFELINE_DATABASE_URL": wrong_app}, "audit", "verify")
    assert said.startswith("lifeline: the database refused database_url's login"), said

    said = await one_line({"LIFELINE_ADMIN_DATABASE_URL": in_database(admin_dsn, "nowhere")},
                          "backup", "/nonexistent/backup")
    assert said.startswith("lifeline: admin_database_url names a database that does not "
                           "exist (InvalidCatalogNameError"), said
    away = f"postgresql://postgres:{WRONG}@127.0.0.1:{closed_port()}/lifeline"
    said = await one_line({"LIFELINE_ADMIN_DATABASE_URL": away}, "migrate")
    assert said.startswith("lifeline: the database in admin_database_url cannot be reached "
                           "(ConnectionRefusedError"), said


async def refused_connecting() -> OSError:
    try:
        await asyncpg.connect(f"postgresql://x@127.0.0.1:{closed_port()}/x")
    except OSError as exc:
        return exc
    raise AssertionError("connected to a closed port")


def raised_here() -> OSError:
    try:
        Path("/nonexistent/backup").mkdir()
    except OSError as exc:
        return exc
    raise AssertionError("made a folder under a missing one")


OPENING: dict[str, tuple[BaseException, bool]] = {
    "a wrong password": (asyncpg.InvalidPasswordError("password authentication failed"), True),
    "no such role": (asyncpg.InvalidAuthorizationSpecificationError('role "x" does not exist'),
                     True),
    "no such database": (asyncpg.InvalidCatalogNameError('database "y" does not exist'), True),
    "the database starting": (asyncpg.CannotConnectNowError("the database system is starting "
                                                            "up"), True),
    "a refused connection, in asyncpg": (asyncio.run(refused_connecting()), True),
    "a command's own folder": (raised_here(), False),
    "a statement refused": (asyncpg.UndefinedTableError('relation "x" does not exist'), False),
}


@pytest.mark.parametrize("name", OPENING)
def test_only_a_database_that_cannot_be_opened_is_said_so(name: str) -> None:
    exc, opening = OPENING[name]
    assert opening_failed(exc) == opening
