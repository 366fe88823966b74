"""The migration runner against a real PostgreSQL (fixtures from tests/pg_fixtures.py)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from lifeline_pbx.errors import MigrationError
from lifeline_pbx.migrate import LOCK_KEY, MIGRATIONS_DIR, migrate
from tests.pg_fixtures import connect
from tests.waiting import wait_for


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory



async def recorded(dsn: str) -> list[tuple[int, str, str]]:
    async with connect(dsn) as conn:
        exists = await conn.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL")
        if not exists:
            return []
        rows = await conn.fetch(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
        )
    return [(row["version"], row["name"], row["checksum"]) for row in rows]


async def table_exists(dsn: str, table: str) -> bool:
    async with connect(dsn) as conn:
        return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))


THREE = {
    "0010_third.sql": "INSERT INTO log (step) VALUES ('third');\n",
    "0001_first.sql": "CREATE TABLE log (id serial PRIMARY KEY, step text NOT NULL);\n",
    "0002_second.sql": "INSERT INTO log (step) VALUES ('second');\n",
}


async def test_applies_all_in_order_and_records_them(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", THREE)

    applied = await migrate(empty_dsn, directory)

    assert applied == ["0001_first.sql", "0002_second.sql", "0010_third.sql"]
    async with connect(empty_dsn) as conn:
        steps = await conn.fetch("SELECT step FROM log ORDER BY id")
    assert [row["step"] for row in steps] == ["second", "third"]
    assert await recorded(empty_dsn) == [
        (int(name[:4]), name, hashlib.sha256((directory / name).read_bytes()).hexdigest())
        for name in applied
    ]


async def test_second_run_is_a_no_op(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", THREE)
    await migrate(empty_dsn, directory)

    assert await migrate(empty_dsn, directory) == []

    async with connect(empty_dsn) as conn:
        assert await conn.fetchval("SELECT count(*) FROM log") == 2


async def test_later_files_are_applied_on_the_next_run(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", {"0001_first.sql": THREE["0001_first.sql"]})
    assert await migrate(empty_dsn, directory) == ["0001_first.sql"]

    write(directory, {"0002_second.sql": THREE["0002_second.sql"]})

    assert await migrate(empty_dsn, directory) == ["0002_second.sql"]


async def test_concurrent_runners_apply_each_file_once(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(
        tmp_path / "m",
        {
            "0001_hits.sql": "CREATE TABLE hits (file text NOT NULL);\n",
            "0002_slow.sql": "SELECT pg_sleep(1);\nINSERT INTO hits VALUES ('0002');\n",
            "0003_after.sql": "INSERT INTO hits VALUES ('0003');\n",
        },
    )
    runners = asyncio.gather(migrate(empty_dsn, directory), migrate(empty_dsn, directory))

    async def runners_waiting_for_the_lock() -> int:
        async with connect(empty_dsn) as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND (classid::bigint << 32) | objid::bigint = $1",
                    LOCK_KEY,
                )
            )

    # The runners really overlap: one waits on the lock while the other sleeps in 0002.
    await wait_for(runners_waiting_for_the_lock, timeout=10, what="a runner waiting on the lock")
    first, second = await runners

    assert sorted([first, second]) == [[], ["0001_hits.sql", "0002_slow.sql", "0003_after.sql"]]
    async with connect(empty_dsn) as conn:
        hits = await conn.fetch("SELECT file FROM hits ORDER BY file")
    assert [row["file"] for row in hits] == ["0002", "0003"]
    assert [row[0] for row in await recorded(empty_dsn)] == [1, 2, 3]


async def test_edited_applied_file_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", THREE)
    await migrate(empty_dsn, directory)
    before = await recorded(empty_dsn)
    (directory / "0002_second.sql").write_text("INSERT INTO log (step) VALUES ('changed');\n")
    write(directory, {"0011_more.sql": "CREATE TABLE more (id int);\n"})

    with pytest.raises(MigrationError, match=r"0002_second\.sql was changed after it was applied"):
        await migrate(empty_dsn, directory)

    assert await recorded(empty_dsn) == before
    assert not await table_exists(empty_dsn, "more")


async def test_applied_file_missing_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", THREE)
    await migrate(empty_dsn, directory)
    (directory / "0010_third.sql").unlink()

    with pytest.raises(MigrationError, match=r"0010_third\.sql .*missing"):
        await migrate(empty_dsn, directory)


async def test_new_file_numbered_below_applied_ones_is_refused(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = write(tmp_path / "m", THREE)
    await migrate(empty_dsn, directory)
    write(directory, {"0005_late.sql": "CREATE TABLE late (id int);\n"})

    with pytest.raises(MigrationError, match=r"0005_late\.sql is numbered below"):
        await migrate(empty_dsn, directory)

    assert not await table_exists(empty_dsn, "late")


@pytest.mark.parametrize(
    "bad_name",
    ["1_short.sql", "0001-dash.sql", "0001_Upper.sql", "00001_five.sql", "0001_.sql", "init.sql"],
)
async def test_badly_named_file_is_refused(
    empty_dsn: str, tmp_path: Path, bad_name: str
) -> None:
    directory = write(tmp_path / "m", {**THREE, bad_name: "SELECT 1;\n"})

    with pytest.raises(MigrationError, match=rf"{bad_name}: migration files must be named"):
        await migrate(empty_dsn, directory)

    assert await recorded(empty_dsn) == []
    assert not await table_exists(empty_dsn, "log")


async def test_duplicate_number_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(tmp_path / "m", {**THREE, "0002_again.sql": "SELECT 1;\n"})

    with pytest.raises(
        MigrationError, match=r"0002_again\.sql and 0002_second\.sql have the same number 0002"
    ):
        await migrate(empty_dsn, directory)

    assert await recorded(empty_dsn) == []


async def test_failing_file_leaves_nothing_behind(empty_dsn: str, tmp_path: Path) -> None:
    broken = (
        "CREATE TABLE half (id int);\n"
        "INSERT INTO log (step) VALUES ('half');\n"
        "SELECT * FROM no_such_table;\n"
    )
    directory = write(
        tmp_path / "m",
        {
            "0001_first.sql": THREE["0001_first.sql"],
            "0002_second.sql": THREE["0002_second.sql"],
            "0003_broken.sql": broken,
            "0004_never.sql": "CREATE TABLE never (id int);\n",
        },
    )

    with pytest.raises(MigrationError) as caught:
        await migrate(empty_dsn, directory)

    message = str(caught.value)
    assert "0003_broken.sql" in message
    assert 'relation "no_such_table" does not exist' in message
    assert "(line 3)" in message
    assert [row[1] for row in await recorded(empty_dsn)] == ["0001_first.sql", "0002_second.sql"]
    assert not await table_exists(empty_dsn, "half")
    assert not await table_exists(empty_dsn, "never")
    async with connect(empty_dsn) as conn:
        steps = await conn.fetch("SELECT step FROM log ORDER BY id")
    assert [row["step"] for row in steps] == ["second"]

    # A file that failed was never recorded, so it may be fixed and the run repeated.
    (directory / "0003_broken.sql").write_text("CREATE TABLE half (id int);\n")
    assert await migrate(empty_dsn, directory) == ["0003_broken.sql", "0004_never.sql"]


async def test_file_that_commits_by_itself_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = write(
        tmp_path / "m", {"0001_commits.sql": "CREATE TABLE t (id int);\nCOMMIT;\n"}
    )

    with pytest.raises(MigrationError, match=r"0001_commits\.sql ended the runner's transaction"):
        await migrate(empty_dsn, directory)

    assert await recorded(empty_dsn) == []


async def test_missing_directory_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        await migrate(empty_dsn, tmp_path / "nowhere")


async def test_project_migrations_apply_from_empty(empty_dsn: str) -> None:
    files = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))

    assert await migrate(empty_dsn, MIGRATIONS_DIR) == files
    assert [row[1] for row in await recorded(empty_dsn)] == files
    assert await migrate(empty_dsn, MIGRATIONS_DIR) == []
