"""`lifeline db app-role` on a server of its own (lifeline_app is one role for the whole
server): it makes the role where it is missing, gives it a password where it has none, and
otherwise leaves the password alone, so that running it on a live system does not log the
app out. --new-password changes it on purpose."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from devstack.postgres import Cluster
from lifeline_pbx import db_roles
from lifeline_pbx.db_roles import AppRole
from tests import cli_run
from tests.pg_fixtures import connect
from tests.test_cli import lifeline_cmd

ACTIONS = {
    # the role as the admin sees it (exists, has a password), --new-password: action
    "absent": (AppRole(False, False), False, "create"),
    "absent, a new one asked for": (AppRole(False, False), True, "create"),
    "made by migrate, no password yet": (AppRole(True, False), False, "set password"),
    "with a password": (AppRole(True, True), False, "keep"),
    "with a password, a new one asked for": (AppRole(True, True), True, "set password"),
    "the admin cannot tell": (AppRole(True, None), False, "keep"),
    "the admin cannot tell, a new one asked for": (AppRole(True, None), True, "set password"),
}


@pytest.mark.parametrize("name", ACTIONS)
def test_the_password_changes_only_where_there_is_none_or_one_is_asked_for(name: str) -> None:
    role, new_password, action = ACTIONS[name]
    assert db_roles.app_role_action(role, new_password=new_password) == action


async def app_role(admin_dsn: str, *args: str) -> tuple[int, str]:
    return await cli_run.lifeline("db", "app-role", *args,
                                  env={"LIFELINE_ADMIN_DATABASE_URL": admin_dsn},
                                  only_these=True)


async def can_log_in(dsn: str) -> bool:
    try:
        async with connect(dsn) as con:
            return bool(await con.fetchval("SELECT current_user = 'lifeline_app'"))
    except asyncpg.InvalidPasswordError:
        return False


async def test_a_missing_role_is_made_and_only_its_dsn_is_on_stdout(
    own_cluster: Cluster,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("db", "app-role"),
        env={**env, "LIFELINE_ADMIN_DATABASE_URL": own_cluster.dsn()},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err
    assert "lifeline_app did not exist: made it" in err.decode()
    dsn = out.decode().strip()  # as $(lifeline db app-role) takes it
    assert dsn.startswith("postgresql://lifeline_app:") and "\n" not in dsn
    assert await can_log_in(dsn)


async def test_an_existing_password_is_kept_and_a_new_one_only_when_asked(
    own_cluster: Cluster,
) -> None:
    admin = own_cluster.dsn()
    code, said = await cli_run.lifeline("migrate", env={"LIFELINE_ADMIN_DATABASE_URL": admin},
                                        only_these=True)
    assert code == 0, said
    code, said = await app_role(admin)  # migrate made the role, without a password
    assert code == 0 and "lifeline_app had no password: it has one now" in said, said
    first = said.splitlines()[-1]
    assert await can_log_in(first)
    async with connect(admin) as con:  # a grant lost meanwhile comes back
        await con.execute("REVOKE ALL ON persons FROM lifeline_app")

    async with connect(first) as running_app:
        code, said = await app_role(admin)
        assert code == 0, said
        assert "lifeline_app exists, its grants are in place; its password is unchanged" in said
        assert "lifeline db app-role --new-password" in said
        assert "postgresql://" not in said
        assert await running_app.fetchval("SELECT count(*) FROM persons") == 0
    assert await can_log_in(first)

    code, said = await app_role(admin, "--new-password")
    assert code == 0 and "the running app loses its connections until then" in said, said
    second = said.splitlines()[-1]
    assert second != first
    assert not await can_log_in(first)
    assert await can_log_in(second)


async def test_an_admin_that_cannot_read_passwords_keeps_it_and_says_what_to_do(
    own_cluster: Cluster,
) -> None:
    """The admin of docs/operations.md: CREATEROLE, not a superuser, so pg_authid is out of
    its reach and it cannot tell whether lifeline_app has a password."""
    async with connect(own_cluster.dsn()) as con:
        await con.execute(f"CREATE ROLE lifeline_admin LOGIN CREATEROLE PASSWORD "
                          f"'{db_roles.scram_verifier('admin-pw')}'")
        await con.execute("CREATE DATABASE lifeline OWNER lifeline_admin")
    admin = db_roles.with_login(own_cluster.dsn("lifeline"), "lifeline_admin", "admin-pw")
    code, said = await cli_run.lifeline("migrate", env={"LIFELINE_ADMIN_DATABASE_URL": admin},
                                        only_these=True)
    assert code == 0, said
    code, said = await app_role(admin)
    assert code == 0, said
    assert "cannot see whether it has one: on a new server, where it has none, use " \
           "--new-password" in said
    code, said = await app_role(admin, "--new-password")
    assert code == 0, said
    assert await can_log_in(said.splitlines()[-1])
