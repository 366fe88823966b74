"""`lifeline serve`'s start: a schema it was not written for and a port it cannot open stop it
with one line; a data key missing lets it run, degraded, and says so (start_checks.py)."""

from __future__ import annotations

import asyncio
import base64
import errno
import os
import socket

import asyncpg
import pytest

from devstack import asterisk
from lifeline_pbx import crypto
from lifeline_pbx.app import create_app, running
from lifeline_pbx.doctor import database
from lifeline_pbx.errors import StartRefused
from lifeline_pbx.migrate import Applied, Migration
from lifeline_pbx.ports import bind_problem
from lifeline_pbx.start_checks import database_refusal, missing_keys, schema_refusal
from lifeline_pbx.web.health import status
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY, app_config
from tests.own_addresses import APP_HOST, METRICS_PORT, NOBODY_URL, WEB_PORT
from tests.pg_fixtures import connect
from tests.test_cli import lifeline_cmd
from tests.waiting import wait_for
from tests.web_fixtures import Client, running_web


def shipped(version: int, name: str = "") -> Migration:
    return Migration(version, name or f"{version:04d}_m.sql", "", f"sum{version}")


def done(version: int, name: str = "", checksum: str = "") -> Applied:
    return Applied(version, name or f"{version:04d}_m.sql", checksum or f"sum{version}")


KNOWN = [shipped(1, "0001_calls.sql"), shipped(2, "0002_people.sql"), shipped(3, "0003_notes.sql")]
UP_TO_DATE = [done(1, "0001_calls.sql"), done(2, "0002_people.sql"), done(3, "0003_notes.sql")]
SCHEMAS: dict[str, tuple[list[Applied] | None, str | None]] = {
    "up to date": (UP_TO_DATE, None),
    "never migrated": ([], "migration 0001_calls.sql is not applied (nor the 2 after it): "
                           "run `lifeline migrate` (as LIFELINE_ADMIN_DATABASE_URL) first"),
    "one behind": (UP_TO_DATE[:2], "migration 0003_notes.sql is not applied: run `lifeline "
                                   "migrate`"),
    "a newer version's": ([*UP_TO_DATE, done(4, "0004_more.sql")],
                          "the database has migration 0004_more.sql, which this version of "
                          "lifeline does not have: a newer version migrated it"),
    "newer and behind": ([UP_TO_DATE[0], done(5, "0005_x.sql")], "has migration 0005_x.sql"),
    "a changed migration": ([UP_TO_DATE[0], done(2, "0002_people.sql", "other"), UP_TO_DATE[2]],
                            "0002_people.sql was changed after it was applied"),
    "one skipped": ([UP_TO_DATE[0], UP_TO_DATE[2]], "0002_people.sql is numbered below "
                                                    "migrations already applied"),
    "unreadable (before 0018)": (None, "the app's role may not read schema_migrations: the "
                                       "schema is older than migration 0018; run `lifeline "
                                       "migrate`"),
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_serve_runs_only_on_the_schema_it_was_written_for(name: str) -> None:
    applied, refusal = SCHEMAS[name]
    said = schema_refusal(KNOWN, applied)
    assert (said is None) if refusal is None else (said is not None and refusal in said), said


@pytest.mark.parametrize("name", SCHEMAS)
def test_serve_and_doctor_judge_the_schema_alike(name: str) -> None:
    """serve refuses the schemas doctor fails, and says to run `lifeline migrate` only
    where doctor says the schema is behind (where `lifeline migrate` would run)."""
    applied = SCHEMAS[name][0]
    facts = database.SchemaFacts(tuple(KNOWN), None if applied is None else tuple(applied),
                                 "InsufficientPrivilegeError")
    said = schema_refusal(KNOWN, applied)
    (check,) = database.schema_checks(facts)
    assert (said is None) == check.ok, (said, check)
    assert (said is not None and "run `lifeline migrate`" in said) == database.behind(facts)


@pytest.mark.parametrize(("in_use", "configured", "problems"), [
    ({}, [], []),
    ({"k1": 4}, ["k1"], []),
    ({"k1": 4, "k2": 1}, ["k2", "k3"],
     ["values sealed under key 'k1' (4) cannot be opened: data_keys lacks it"]),
    ({"b": 1, "a": 2}, [], ["values sealed under key 'a' (2) cannot be opened: data_keys lacks "
                            "it", "values sealed under key 'b' (1) cannot be opened: data_keys "
                            "lacks it"]),
])
def test_each_key_in_use_and_not_configured_is_a_problem(
    in_use: dict[str, int], configured: list[str], problems: list[str]
) -> None:
    assert missing_keys(in_use, configured) == problems


@pytest.mark.parametrize(("database", "ari", "problems", "said"), [
    (True, True, [], "ok"),
    (True, True, ["a key"], "degraded"),
    (False, True, [], "unavailable"),
    (True, False, ["a key"], "unavailable"),
])
def test_health_says_the_worst(database: bool, ari: bool, problems: list[str],
                               said: str) -> None:
    assert status(database, ari, problems) == said


@pytest.mark.parametrize(("code", "said"), [
    (errno.EADDRINUSE, "web_port 8091 on 127.0.0.1 is in use by another program"),
    (errno.EADDRNOTAVAIL, "web_host 127.0.0.1 is not an address of this machine"),
    (errno.EACCES, "web_port 8091 on 127.0.0.1 may not be opened by this user"),
    (errno.EMFILE, None),
    (None, None),
])
def test_a_port_that_cannot_be_opened_is_named(code: int | None, said: str | None) -> None:
    problem = bind_problem(code, "web", "127.0.0.1", 8091)
    assert (problem is None) if said is None else (problem is not None and said in problem)


def serve_env(dsn: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    return {**env, "LIFELINE_DATABASE_URL": dsn, "LIFELINE_ARI_URL": NOBODY_URL,
            "LIFELINE_ARI_USER": "none", "LIFELINE_ARI_PASSWORD": "none",
            "LIFELINE_WEB_HOST": APP_HOST, "LIFELINE_WEB_PORT": str(WEB_PORT),
            "LIFELINE_DATA_KEYS": f"t1:{base64.b64encode(TEST_DATA_KEYS[0][1]).decode()}",
            "LIFELINE_LOOKUP_KEY": base64.b64encode(TEST_LOOKUP_KEY).decode(),
            **{f"LIFELINE_{name.upper()}": value for name, value in settings.items()}}


async def serve_refused(env: dict[str, str]) -> str:
    """All `lifeline serve` says as it refuses to start (it must, within 60 s)."""
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("serve"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    text = out.decode()
    assert process.returncode == 2, text
    assert "Traceback" not in text, text
    return text.strip()


async def test_serve_refuses_a_schema_behind_or_ahead_of_it(app_dsn: str,
                                                            admin_dsn: str) -> None:
    async with connect(admin_dsn) as con:  # an upgrade that skipped `lifeline migrate`
        row = await con.fetchrow(
            "DELETE FROM schema_migrations WHERE version = "
            "(SELECT max(version) FROM schema_migrations) RETURNING version, name")
        assert row is not None
        version, last = row["version"], row["name"]
    assert await serve_refused(serve_env(app_dsn)) == (
        f"lifeline: migration {last} is not applied: run `lifeline migrate` "
        "(as LIFELINE_ADMIN_DATABASE_URL) first")

    async with connect(admin_dsn) as con:  # an older version started on a newer database
        await con.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES "
                          "($1, $2, ''), (9999, '9999_later.sql', '')", version, last)
    said = await serve_refused(serve_env(app_dsn))
    assert said.startswith("lifeline: the database has migration 9999_later.sql, which this "
                           "version of lifeline does not have"), said


DATABASE_FAULTS = {
    "refused": (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
                "the database in database_url cannot be reached (ConnectionRefusedError: "),
    "timed out": (TimeoutError(), "cannot be reached (TimeoutError: ): is PostgreSQL running"),
    "password": (asyncpg.InvalidPasswordError('password authentication failed for user "x"'),
                 "the database refused database_url's login (InvalidPasswordError: password "
                 "authentication failed for user \"x\"): put lifeline_app's password"),
    "no such database": (asyncpg.InvalidCatalogNameError('database "y" does not exist'),
                         "database_url names a database that does not exist"),
}


@pytest.mark.parametrize("name", DATABASE_FAULTS)
def test_a_database_that_cannot_be_opened_is_named(name: str) -> None:
    exc, said = DATABASE_FAULTS[name]
    assert said in database_refusal(exc)
    assert database_refusal(exc).endswith("`lifeline doctor` checks the settings")


async def test_serve_names_a_database_it_cannot_open(app_dsn: str) -> None:
    closed = socket.socket()  # a port nobody listens on
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    said = await serve_refused(serve_env(f"postgresql://lifeline_app:pw@127.0.0.1:{port}/x"))
    assert said.startswith("lifeline: the database in database_url cannot be reached ("), said
    assert "pw" not in said.replace("password", ""), said
    wrong = app_dsn.replace("lifeline_app:", "lifeline_app:wrong", 1)
    said = await serve_refused(serve_env(wrong))
    assert said.startswith("lifeline: the database refused database_url's login ("), said
    assert "wrong" not in said, said


def held(port: int) -> socket.socket:
    """A port on this process's own address, held by another program."""
    sock = socket.socket()
    sock.bind((APP_HOST, port))
    sock.listen()
    return sock


async def test_a_port_in_use_ends_serve_with_one_line(app_dsn: str) -> None:
    with held(WEB_PORT):
        assert await serve_refused(serve_env(app_dsn)) == (
            f"lifeline: web_port {WEB_PORT} on {APP_HOST} is in use by another program")
    with held(METRICS_PORT):
        said = await serve_refused(serve_env(app_dsn, metrics_host=APP_HOST,
                                             metrics_port=str(METRICS_PORT)))
    assert said == (f"lifeline: metrics_port {METRICS_PORT} on {APP_HOST} is in use by "
                    "another program")


async def test_a_port_taken_between_the_check_and_the_bind_is_named_too(app_dsn: str) -> None:
    with held(WEB_PORT), pytest.raises(StartRefused, match=f"web_port {WEB_PORT} on"):
        async with running(create_app(app_config(None, app_dsn)), APP_HOST, WEB_PORT):
            pass
    with held(METRICS_PORT), pytest.raises(StartRefused, match=f"metrics_port {METRICS_PORT}"):
        async with running_web(app_dsn, metrics_host=APP_HOST, metrics_port=METRICS_PORT):
            pass


async def seal_a_value(admin_dsn: str, keys: crypto.KeyRing) -> None:
    """A second factor's secret sealed under keys' primary id (operator1's: nobody here
    signs in as them)."""
    async with connect(admin_dsn) as con:
        user = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
        place = crypto.place("users", "totp_secret", user)
        await con.execute("UPDATE users SET totp_secret = $1 WHERE id = $2",
                          keys.seal("JBSWY3DPEHPK3PXP", place), user)


async def get_health(client: Client) -> tuple[int, object]:
    async with client.http.get(client.url("/healthz")) as r:
        return r.status, await r.json()


async def test_a_data_key_missing_degrades_the_app_and_names_the_key(
    app_dsn: str, admin_dsn: str, pbx: asterisk.Instance, prompts_dir: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lost = crypto.key_ring((("lost", os.urandom(32)),), os.urandom(32))
    await seal_a_value(admin_dsn, lost)
    problem = "values sealed under key 'lost' (1) cannot be opened: data_keys lacks it"
    async with running_web(app_dsn, pbx, prompts_dir) as web:
        anyone = await web.client()

        async def degraded() -> tuple[int, object] | None:
            said = await get_health(anyone)
            return said if said[0] != 200 else None

        assert await wait_for(degraded, what="degraded") == (503, {"status": "degraded"})
        supervisor = await web.signed_in("supervisor1")
        _, said = await supervisor.get("/healthz")
        assert problem in said
        _, page = await supervisor.get("/")
        assert 'id="problems"' not in page  # the banner is for admins
        admin = await web.signed_in("admin1")
        _, page = await admin.get("/")
        assert 'id="problems"' in page and problem in page.replace("&#39;", "'")
    logged = [r for r in caplog.records if r.levelname == "ERROR" and "'lost'" in r.getMessage()]
    assert len(logged) == 1 and problem in logged[0].getMessage()
    for key in (TEST_DATA_KEYS[0][1], *lost.keys.values()):
        assert base64.b64encode(key).decode() not in caplog.text and key.hex() not in caplog.text


async def test_with_every_key_configured_the_app_is_healthy(
    app_dsn: str, admin_dsn: str, pbx: asterisk.Instance, prompts_dir: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seal_a_value(admin_dsn, crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY))
    async with running_web(app_dsn, pbx, prompts_dir) as web:
        await wait_for(lambda: "data keys checked in_use=t1" in caplog.text,
                       what="the data keys checked")
        assert await get_health(await web.client()) == (200, {"status": "ok"})
        _, page = await (await web.signed_in("admin1")).get("/")
        assert 'id="problems"' not in page
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
