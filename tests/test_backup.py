"""`lifeline backup` and `lifeline restore` as a user runs them: a case record (calls,
people, reports, follow-ups, a voicemail with its sealed audio, audit entries) backed up
from one PostgreSQL server, restored into a brand-new one, and read back through the
app's own reading code with the same keys. Then: a damaged backup is refused whole."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from devstack.postgres import Cluster
from lifeline_pbx import crypto, migrate
from lifeline_pbx.audit import chain
from lifeline_pbx.backup import manifest
from tests import cli_run
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.fixtures.read_back import read_back
from tests.fixtures.seed import seed
from tests.pg_fixtures import as_app_role, connect

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
RELATIONS = """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public'"""


async def lifeline(admin_dsn: str, *args: str) -> tuple[int, str]:
    return await cli_run.lifeline(*args, env={"LIFELINE_ADMIN_DATABASE_URL": admin_dsn},
                                  only_these=True)


async def read_as_app(admin_dsn: str, expected: dict[str, Any]) -> chain.Verdict:
    async with connect(await as_app_role(admin_dsn)) as con:
        return await read_back(con, KEYS, expected)


@pytest.fixture
def other_server(own_cluster: Cluster) -> Cluster:
    """Another PostgreSQL server, as on another machine: its own roles, none of ours."""
    return own_cluster


async def test_a_backup_restores_on_another_server_and_reads_back(
    app_dsn: str, admin_dsn: str, other_server: Cluster, tmp_path: Path
) -> None:
    async with connect(app_dsn) as con:
        expected = await seed(con, KEYS)
        source_chain = await chain.verify(con)
    assert source_chain.verified >= 5 and source_chain.broken is None

    out = tmp_path / "backup"
    code, said = await lifeline(admin_dsn, "backup", str(out))
    assert code == 0, said
    assert "keys needed to read it: the data keys t1 and the lookup key" in said
    assert {p.name for p in out.iterdir()} == {manifest.MANIFEST, manifest.DUMP}
    assert out.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())
    made = manifest.from_json((out / manifest.MANIFEST).read_text())
    assert made.data_key_ids == ("t1",)
    assert made.schema_version == migrate.load(migrate.MIGRATIONS_DIR)[-1].version
    assert made.row_counts["voicemail_audio"] == 1 and made.row_counts["persons"] == 2
    assert manifest.Owned("table", "public.audit_log", "lifeline_audit") in made.owned_by_roles
    key = base64.b64encode(TEST_DATA_KEYS[0][1]).decode()
    assert key not in (out / manifest.MANIFEST).read_text()  # ids only, never a key

    other_server.create_database("restored")
    target = other_server.dsn("restored")
    code, said = await lifeline(target, "restore", str(out))
    assert code == 0, said
    assert f"the row counts of {len(made.row_counts)} tables match" in said
    assert "lifeline db app-role --new-password (lifeline_app is new on this server" in said

    restored_chain = await read_as_app(target, expected)
    assert restored_chain.broken is None
    assert restored_chain.verified == source_chain.verified
    assert restored_chain.last_good == source_chain.last_good
    async with connect(target) as con:
        assert await con.fetchval(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'audit_log'"
        ) == "lifeline_audit"

    code, said = await lifeline(target, "restore", str(out))
    assert code == 2 and "the target database is not empty" in said, said
    code, said = await lifeline(target, "restore", "--clean", "--yes", str(out))
    assert code == 0, said
    assert (await read_as_app(target, expected)).broken is None


def damaged(source: Path, into: Path, how: str) -> Path:
    shutil.copytree(source, into)
    dump = into / manifest.DUMP
    data = bytearray(dump.read_bytes())
    if how == "a flipped byte":
        data[len(data) // 2] ^= 0x01
        dump.write_bytes(bytes(data))
    elif how == "truncated":
        dump.write_bytes(bytes(data[: len(data) - 100]))
    elif how == "no dump":
        dump.unlink()
    elif how == "no manifest":
        (into / manifest.MANIFEST).unlink()
    elif how == "a manifest cut short":
        text = (into / manifest.MANIFEST).read_text()
        (into / manifest.MANIFEST).write_text(text[: len(text) // 2])
    return into


DAMAGE = {
    "a flipped byte": "database.dump is damaged: its SHA-256 differs",
    "truncated": "database.dump is truncated",
    "no dump": "database.dump is missing",
    "no manifest": "has no manifest.json",
    "a manifest cut short": "manifest.json is not valid JSON",
}


async def test_a_damaged_backup_is_refused_and_nothing_is_written(
    app_dsn: str, admin_dsn: str, other_server: Cluster, tmp_path: Path
) -> None:
    async with connect(app_dsn) as con:
        await seed(con, KEYS)
    code, said = await lifeline(admin_dsn, "backup", str(tmp_path / "good"))
    assert code == 0, said
    other_server.create_database("target")
    target = other_server.dsn("target")
    for how, message in DAMAGE.items():
        bad = damaged(tmp_path / "good", tmp_path / how.replace(" ", "-"), how)
        code, said = await lifeline(target, "restore", str(bad))
        assert code == 2 and message in said, (how, said)
        assert "Traceback" not in said
        async with connect(target) as con:
            assert await con.fetchval(RELATIONS) == 0, how
    code, said = await lifeline(target, "restore", str(tmp_path / "good"))
    assert code == 0, said


async def test_a_backup_is_not_written_over_another(admin_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text("{}")
    code, said = await lifeline(admin_dsn, "backup", str(tmp_path / "old"))
    assert code == 2 and "is not an empty directory" in said
    assert json.loads((tmp_path / "old" / "manifest.json").read_text()) == {}


async def test_a_backup_with_nothing_sealed_says_no_key_is_needed(
    admin_dsn: str, tmp_path: Path
) -> None:
    code, said = await lifeline(admin_dsn, "backup", str(tmp_path / "b"))
    assert code == 0, said
    assert manifest.from_json((tmp_path / "b" / manifest.MANIFEST).read_text()).data_key_ids == ()
    assert "keys needed to read it: none yet (nothing sealed)" in said


async def test_a_restore_from_a_folder_that_is_not_there_says_so(
    admin_dsn: str, tmp_path: Path
) -> None:
    code, said = await lifeline(admin_dsn, "restore", str(tmp_path / "nothing-here"))
    assert code == 2 and f"{tmp_path / 'nothing-here'} does not exist" in said, said
    (tmp_path / "a-file").write_text("")
    code, said = await lifeline(admin_dsn, "restore", str(tmp_path / "a-file"))
    assert code == 2 and "a-file is not a folder" in said, said


async def calls_in(dsn: str) -> int:
    async with connect(dsn) as con:
        return int(await con.fetchval("SELECT count(*) FROM calls"))


async def test_a_clean_restore_waits_for_the_app_to_stop_and_for_a_yes(
    app_dsn: str, admin_dsn: str, tmp_path: Path
) -> None:
    async with connect(app_dsn) as con:
        await seed(con, KEYS)
    code, said = await lifeline(admin_dsn, "backup", str(tmp_path / "b"))
    assert code == 0, said
    async with connect(app_dsn) as con:  # a call taken after the backup
        await con.execute(
            "INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,"
            " started_at) VALUES (gen_random_uuid(), 'c', 'PJSIP/x', '100', '', '', now())")
    async with connect(admin_dsn) as con:  # and a facility added: configuration, lost too
        facilities = int(await con.fetchval("SELECT count(*) FROM facilities"))
        await con.execute("INSERT INTO facilities (name) VALUES ('Added Since Backup')")
    calls_now = await calls_in(admin_dsn)

    async with connect(app_dsn), connect(app_dsn):
        code, said = await lifeline(admin_dsn, "restore", "--clean", "--yes", str(tmp_path / "b"))
    assert code == 2, said
    (refused,) = said.splitlines()  # at once: no table first
    assert refused.startswith("lifeline: the app is connected to the database")
    assert "(2 connections as lifeline_app): stop lifeline serve first" in refused
    assert await calls_in(admin_dsn) == calls_now

    code, said = await lifeline(admin_dsn, "restore", "--clean", str(tmp_path / "b"))
    assert code == 2 and "run it at a terminal to confirm, or add --yes" in said, said
    table = {line.split()[0]: line.split()[1:] for line in said.splitlines()
             if line.startswith("  ") and len(line.split()) == 3}
    assert table["calls"] == [str(calls_now), str(calls_now - 1)], said
    assert table["persons"] == ["2", "2"]
    assert table["facilities"] == [str(facilities + 1), str(facilities)], said
    assert "languages" not in table  # as many rows as in the backup
    assert "calls made since the backup, lost by the restore: 1, the newest at" in said
    assert await calls_in(admin_dsn) == calls_now

    code, said = await lifeline(admin_dsn, "restore", "--clean", "--yes", str(tmp_path / "b"))
    assert code == 0, said
    assert "lifeline_app was here already: its password is unchanged" in said
    assert await calls_in(admin_dsn) == calls_now - 1
