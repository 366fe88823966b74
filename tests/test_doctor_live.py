"""`lifeline doctor` as a sysadmin runs it, against a real PostgreSQL holding a case record
and the real Asterisk of the suite (the repo's own config): sound, then one thing wrong at
a time, each named with its fix."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from devstack import asterisk
from lifeline_pbx import crypto
from tests import cli_run
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.fixtures.release import FIXTURES, load_release
from tests.fixtures.seed import seed
from tests.own_addresses import NOBODY_URL
from tests.pg_fixtures import as_app_role, connect


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def settings_file(path: Path, **values: str) -> Path:
    path.write_text("".join(f'{name} = "{value}"\n' for name, value in values.items()))
    path.chmod(0o600)
    return path


async def doctor(path: Path) -> tuple[int, str]:
    return await cli_run.lifeline("--config", str(path), "doctor", env={}, only_these=True)


def failed(out: str) -> list[str]:
    lines = out.splitlines()
    return [f"{line}\n{lines[i + 1]}" for i, line in enumerate(lines)
            if line.startswith("FAIL") and i + 1 < len(lines)]


async def test_the_doctor_passes_a_sound_install_and_names_each_fault(
    pbx: asterisk.Instance, app_dsn: str, admin_dsn: str, prompts_dir: str, tmp_path: Path
) -> None:
    async with connect(app_dsn) as con:
        await seed(con, crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY))
    sound = {
        "database_url": app_dsn, "ari_url": pbx.ari_url, "ari_user": pbx.ari_user,
        "ari_password": pbx.ari_password, "data_keys": f"t1:{b64(TEST_DATA_KEYS[0][1])}",
        "lookup_key": b64(TEST_LOOKUP_KEY), "prompts_dir": prompts_dir,
        "prompts_local_dir": str(pbx.runtime.host_path(prompts_dir)),
    }
    path = settings_file(tmp_path / "settings.toml", **sound)

    code, out = await doctor(path)
    assert code == 0, out
    assert all(line.startswith("ok    ") for line in out.splitlines()), out
    assert "ok    Asterisk runs the modules the app needs" in out
    assert "ok    the lookup key finds people by A-number" in out
    assert len(out.splitlines()) == 19, out

    path.chmod(0o644)
    code, out = await doctor(path)
    assert code == 1
    assert failed(out) == [
        f"FAIL  only the service may read the settings file {path}: its mode is 0644: it "
        "holds the keys and the database password\n"
        f"      fix: chmod 600 {path} (or 640 for the service's group)"]

    faults = {
        "a wrong ARI password": ({"ari_password": "not-the-password"},
                                 "ARI answers at", "the login is refused (401)"),
        "Asterisk not there": ({"ari_url": NOBODY_URL},
                               "ARI answers at", "not reached"),
        "another lookup key": ({"lookup_key": crypto.new_key()},
                               "the lookup key finds people", "repeat callers"),
    }
    for name, (change, check, detail) in faults.items():
        code, out = await doctor(settings_file(tmp_path / "settings.toml",
                                               **{**sound, **change}))
        assert code == 1, (name, out)
        (fault,) = failed(out)
        assert check in fault and detail in fault and "fix: " in fault, (name, fault)

    # The sealing key missing, or another key under its id, and another lookup key: the
    # lookup key cannot be checked (no A-number opens), and is not said to be sound.
    key_faults = {f"t2:{crypto.new_key()}": "every data key the database uses is configured: "
                  "values sealed under t1 (",
                  f"t1:{crypto.new_key()}": "each configured data key opens what was sealed "
                  "under its id: under the id t1 is another key"}
    for data_keys, detail in key_faults.items():
        code, out = await doctor(settings_file(tmp_path / "settings.toml", **{
            **sound, "data_keys": data_keys, "lookup_key": crypto.new_key()}))
        assert code == 1
        key, unchecked = failed(out)
        assert detail in key, out
        assert ("FAIL  the lookup key finds people by A-number: not checked: the A-numbers are "
                "sealed under t1, which no configured data key opens") in unchecked, out

    settings_file(tmp_path / "settings.toml", **sound)
    async with connect(admin_dsn) as con:  # an upgrade that skipped `lifeline migrate`
        last = await con.fetchval("DELETE FROM schema_migrations WHERE version = "
                                  "(SELECT max(version) FROM schema_migrations) RETURNING name")
    code, out = await doctor(path)
    assert code == 1
    fault, *others = failed(out)
    assert f"the database schema is up to date: 1 migration(s) not applied: {last}" in fault
    assert "lifeline migrate" in fault
    assert [line.split(": ", 1)[1].splitlines()[0] for line in others] == [
        "not checked: the schema is behind (run `lifeline migrate` first)"] * 2


def the_settings(app_dsn: str, prompts: Path) -> dict[str, str]:
    prompts.mkdir(mode=0o755)
    return {"LIFELINE_DATABASE_URL": app_dsn, "LIFELINE_ARI_URL": NOBODY_URL,
            "LIFELINE_ARI_USER": "lifeline", "LIFELINE_ARI_PASSWORD": "secret",
            "LIFELINE_DATA_KEYS": f"t1:{b64(TEST_DATA_KEYS[0][1])}",
            "LIFELINE_LOOKUP_KEY": b64(TEST_LOOKUP_KEY), "LIFELINE_PROMPTS_DIR": str(prompts)}


async def test_a_missing_data_key_is_one_of_those_the_database_was_sealed_with(
    app_dsn: str, tmp_path: Path
) -> None:
    env = the_settings(app_dsn, tmp_path / "prompts")
    del env["LIFELINE_DATA_KEYS"]
    code, out = await cli_run.lifeline("doctor", "--only", "settings", env=env, only_these=True)
    assert code == 1
    (fault,) = failed(out)
    assert "FAIL  the settings load: setting 'data_keys': missing" in fault
    assert "fix: nothing in the database is sealed yet: `lifeline keys new` makes a key" in fault

    async with connect(app_dsn) as con:  # as after a restore: values sealed under t1
        await seed(con, crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY))
    code, out = await cli_run.lifeline("doctor", "--only", "settings", env=env, only_these=True)
    assert code == 1
    (fault,) = failed(out)
    assert "fix: the database holds values sealed under t1: configure those keys" in fault
    assert "data_key_ids" in fault and "keys new" not in fault

    # --only keys: what did not load is said there, with no settings part above it
    code, out = await cli_run.lifeline("doctor", "--only", "keys", env=env, only_these=True)
    assert code == 1
    assert out.splitlines() == ["FAIL  the data keys open the sealed values: not checked: the "
                                "settings do not load: setting 'data_keys': missing: set "
                                "LIFELINE_DATA_KEYS (or LIFELINE_DATA_KEYS_FILE) or "
                                "'data_keys' in the file"]


async def test_secrets_come_from_files_outside_the_container(
    app_dsn: str, tmp_path: Path
) -> None:
    env = the_settings(app_dsn, tmp_path / "prompts")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("DATABASE_URL", "DATA_KEYS", "LOOKUP_KEY"):
        (secrets / name).write_text(env.pop(f"LIFELINE_{name}") + "\n")
        env[f"LIFELINE_{name}_FILE"] = str(secrets / name)
    code, out = await cli_run.lifeline("doctor", "--only", "settings", "--only", "keys",
                                       env=env, only_these=True)
    assert code == 0, out
    assert "ok    the settings load" in out and "ok    each configured data key opens" in out

    (secrets / "DATA_KEYS").unlink()
    code, out = await cli_run.lifeline("doctor", "--only", "settings", env=env, only_these=True)
    assert code == 1
    (fault,) = failed(out)
    assert (f"FAIL  the settings load: setting 'LIFELINE_DATA_KEYS_FILE': cannot read "
            f"{secrets / 'DATA_KEYS'}: No such file or directory") in fault

    code, out = await cli_run.lifeline("doctor", "--only", "settings", env={
        **env, "LIFELINE_DATA_KEYS": f"t1:{b64(TEST_DATA_KEYS[0][1])}"}, only_these=True)
    assert code == 1
    assert ("setting 'LIFELINE_DATA_KEYS_FILE': LIFELINE_DATA_KEYS is set too: give the "
            "secret one way, not both") in out
    assert b64(TEST_DATA_KEYS[0][1]) not in out and b64(TEST_LOOKUP_KEY) not in out


async def test_a_database_not_yet_migrated_is_said_behind_and_the_rest_not_checked(
    empty_dsn: str, tmp_path: Path
) -> None:
    await load_release(empty_dsn, FIXTURES / "v0.1.0" / "dump.sql")  # an upgrade, unmigrated
    keys = json.loads((FIXTURES / "v0.1.0" / "keys.json").read_text())
    env = {**the_settings(await as_app_role(empty_dsn), tmp_path / "prompts"),
           "LIFELINE_DATA_KEYS": keys["data_keys"], "LIFELINE_LOOKUP_KEY": keys["lookup_key"]}
    behind = "not checked: the schema is behind (run `lifeline migrate` first)"

    code, out = await cli_run.lifeline("doctor", env=env, only_these=True)
    assert code == 1, out
    assert "Traceback" not in out
    assert ("FAIL  the database schema is up to date: the app's role may not read "
            "schema_migrations") in out
    assert f"FAIL  the audit log is out of the app's reach: {behind}" in out.splitlines()
    assert f"FAIL  the data keys open the sealed values: {behind}" in out.splitlines()

    code, out = await cli_run.lifeline("doctor", "--only", "settings", "--only", "schema",
                                       "--only", "keys", env=env, only_these=True)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("FAIL")] == [
        "FAIL  the database schema is up to date", "FAIL  the data keys open the sealed values"]
    assert f"FAIL  the data keys open the sealed values: {behind}" in out.splitlines()
