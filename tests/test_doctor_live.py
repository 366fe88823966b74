"""`lifeline doctor` as a sysadmin runs it, against a real PostgreSQL holding a case record
and the real Asterisk of the suite (the repo's own config): sound, then one thing wrong at
a time, each named with its fix."""

from __future__ import annotations

import base64
from pathlib import Path

from devstack import asterisk
from lifeline_pbx import crypto
from tests import cli_run
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.fixtures.seed import seed
from tests.own_addresses import NOBODY_URL
from tests.pg_fixtures import connect


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
    assert len(out.splitlines()) == 18, out

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
        "the sealing key missing": ({"data_keys": f"t2:{crypto.new_key()}"},
                                    "every data key the database uses is configured",
                                    "values sealed under t1 ("),
        "another key under its id": ({"data_keys": f"t1:{crypto.new_key()}"},
                                     "each configured data key opens", "under the id t1"),
        "another lookup key": ({"lookup_key": crypto.new_key()},
                               "the lookup key finds people", "repeat callers"),
    }
    for name, (change, check, detail) in faults.items():
        code, out = await doctor(settings_file(tmp_path / "settings.toml",
                                               **{**sound, **change}))
        assert code == 1, (name, out)
        (fault,) = failed(out)
        assert check in fault and detail in fault and "fix: " in fault, (name, fault)

    settings_file(tmp_path / "settings.toml", **sound)
    async with connect(admin_dsn) as con:  # an upgrade that skipped `lifeline migrate`
        last = await con.fetchval("DELETE FROM schema_migrations WHERE version = "
                                  "(SELECT max(version) FROM schema_migrations) RETURNING name")
    code, out = await doctor(path)
    assert code == 1
    (fault,) = failed(out)
    assert f"the database schema is up to date: 1 migration(s) not applied: {last}" in fault
    assert "lifeline migrate" in fault
