"""The `lifeline` command as a user runs it: a separate process, real settings."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import asyncpg

from devstack import asterisk
from lifeline_pbx import crypto
from lifeline_pbx.accounts import signin
from tests import cli_run
from tests.own_addresses import APP_HOST, WEB_PORT
from tests.waiting import wait_for
from tests.web_fixtures import WebApp


async def served_healthy(port: int, timeout: float, host: str = "127.0.0.1") -> None:
    """Wait until `lifeline serve` on this port says healthy: the database answers and ARI
    is connected."""
    async with aiohttp.ClientSession() as http:

        async def healthy() -> bool:
            try:
                async with http.get(f"http://{host}:{port}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await wait_for(healthy, timeout=timeout, what="lifeline serve healthy")


def lifeline_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "lifeline_pbx.cli", *args]


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    return await cli_run.lifeline(*args, env=env)


async def test_a_bad_setting_stops_start_up_and_names_it() -> None:
    code, out = await run(
        {"LIFELINE_DATABASE_URL": "postgresql://x@127.0.0.1/y", "LIFELINE_ARI_URL": "http://h",
         "LIFELINE_ARI_USER": "u", "LIFELINE_ARI_PASSWORD": "p", "LIFELINE_WEB_PORT": "99999",
         "LIFELINE_DATA_KEYS": f"k1:{crypto.new_key()}", "LIFELINE_LOOKUP_KEY": crypto.new_key()},
        "serve",
    )
    assert code == 2
    assert "web_port" in out and "1-65535" in out


async def test_a_missing_setting_is_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("migrate"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 2
    assert "database_url" in out.decode()


async def test_migrate_then_serve_then_stop_on_sigterm(
    empty_dsn: str, pbx: asterisk.Instance, prompts_dir: str
) -> None:
    env = {
        "LIFELINE_ADMIN_DATABASE_URL": empty_dsn, "LIFELINE_ARI_URL": pbx.ari_url,
        "LIFELINE_ARI_USER": pbx.ari_user, "LIFELINE_ARI_PASSWORD": pbx.ari_password,
        "LIFELINE_WEB_HOST": APP_HOST, "LIFELINE_WEB_PORT": str(WEB_PORT),
        "LIFELINE_PROMPTS_DIR": prompts_dir,
        "LIFELINE_DATA_KEYS": f"k1:{crypto.new_key()}", "LIFELINE_LOOKUP_KEY": crypto.new_key(),
    }
    code, out = await run(env, "migrate")
    assert code == 0 and "0001_calls" in out
    # The test server's lifeline_app has this run's password already: a new one on purpose.
    code, out = await run(env, "db", "app-role", "--new-password")
    assert code == 0, out
    app_dsn = out.splitlines()[-1]
    assert app_dsn.startswith("postgresql://lifeline_app:")
    # The app's own login from here on; the admin's is not in its environment.
    env = {**env, "LIFELINE_DATABASE_URL": app_dsn, "LIFELINE_ADMIN_DATABASE_URL": ""}
    code, out = await run(env, "demo-data")
    assert code == 0
    code, out = await run(env, "migrate")
    assert code == 2 and "lifeline_app may not change the schema" in out
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("serve"), env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await served_healthy(WEB_PORT, timeout=60, host=APP_HOST)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 15)
    assert code == 0


async def _run_with_stdin(env: dict[str, str], stdin: str, *args: str) -> tuple[int, str]:
    return await cli_run.lifeline(*args, env=env, stdin=stdin)


async def test_first_admin_is_made_from_the_shell(app_dsn: str) -> None:
    env = {"LIFELINE_DATABASE_URL": app_dsn}
    code, out = await _run_with_stdin(env, "short\n", "user", "add", "coord", "--role", "admin",
                                      "--password-stdin")
    assert code == 2 and "at least 12 characters" in out
    code, out = await _run_with_stdin(env, "a long enough passphrase\n", "user", "add", "coord",
                                      "--role", "admin", "--name", "Coordinator",
                                      "--password-stdin")
    assert code == 0, out
    code, out = await run(env, "user", "add", "coord", "--role", "operator")
    assert code == 2 and "exists" in out
    code, out = await run(env, "user", "list")
    assert "coord" in out and "admin" in out
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=2)
    try:
        outcome = await signin.with_password(pool, "coord", "a long enough passphrase", "cli")
        assert outcome.stage == "enrol"  # an admin sets up a second factor first
        code, out = await run(env, "user", "disable", "coord")
        assert code == 0
        outcome = await signin.with_password(pool, "coord", "a long enough passphrase", "cli")
        assert outcome.token is None
    finally:
        await pool.close()


async def test_removing_a_second_factor_from_the_shell_ends_the_users_sessions(
        web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    code, out = await run({"LIFELINE_DATABASE_URL": web.dsn}, "user", "reset-second-factor",
                          "admin1")
    assert code == 0 and "sessions ended" in out, out
    assert (await admin.get("/admin/users"))[0] == 303  # the lost phone is signed out
    assert await web.sql("SELECT 1 FROM users WHERE username = 'admin1' "
                         "AND totp_secret IS NOT NULL") == []


async def test_every_change_to_an_account_from_the_shell_is_audited(web: WebApp) -> None:
    """As the users page's changes are: by nobody (the shell), the account, the fields."""
    env = {"LIFELINE_DATABASE_URL": web.dsn}
    for args in (("add", "clerk", "--role", "supervisor"), ("disable", "clerk"),
                 ("disable", "clerk"), ("enable", "clerk"), ("reset-password", "clerk"),
                 ("reset-second-factor", "admin1")):
        code, out = await run(env, "user", *args)
        assert code == 0, out
    entries = await web.sql(
        """SELECT u.username, a.action, a.fields FROM audit_log a JOIN users u
           ON u.id::text = a.entity_id WHERE a.entity = 'user' AND a.user_id IS NULL
           ORDER BY a.id""")
    assert [(e["username"], e["action"], e["fields"]) for e in entries] == [
        ("clerk", "create", ["display_name", "password", "role", "username"]),
        ("clerk", "update", ["enabled"]),  # once: the second disable changed nothing
        ("clerk", "update", ["enabled"]),
        ("clerk", "update", ["password"]),
        ("admin1", "update", ["second_factor"]),
    ]


async def test_keys_new_prints_a_usable_key() -> None:
    code, out = await run({}, "keys", "new")
    assert code == 0
    assert len(crypto.parse_key("k", out.strip())) == 32
