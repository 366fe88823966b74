"""Upgrading a release's database with main's migrations keeps every row readable.

Each release in RELEASES has a fixture (tests/fixtures/<release>/, made from that release's
own code by make_release_fixture.py): its schema and a small case record as plain SQL, the
fixture's own keys, and what must read back. The test loads it as an installation of that
release would hold it, runs `lifeline migrate`'s runner over it, and reads everything
through today's code as the app's role.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lifeline_pbx import crypto
from lifeline_pbx.backup import dump
from lifeline_pbx.migrate import MIGRATIONS_DIR, load, migrate
from tests.fixtures.read_back import read_back
from tests.fixtures.release import FIXTURES, RELEASES, load_release
from tests.pg_fixtures import as_app_role, connect


@pytest.mark.parametrize("release", RELEASES)
async def test_main_migrates_a_release_and_reads_all_of_it(empty_dsn: str, release: str) -> None:
    folder = FIXTURES / release
    expected: dict[str, Any] = json.loads((folder / "expected.json").read_text())
    key_file = json.loads((folder / "keys.json").read_text())
    keys = crypto.key_ring(crypto.parse_data_keys("data_keys", key_file["data_keys"]),
                           crypto.parse_key("lookup_key", key_file["lookup_key"]))
    await load_release(empty_dsn, folder / "dump.sql")
    async with connect(empty_dsn) as con:
        assert await con.fetchval("SELECT max(version) FROM schema_migrations") == \
            expected["schema_version"]

    applied = await migrate(empty_dsn, MIGRATIONS_DIR)

    assert applied == [m.name for m in load(MIGRATIONS_DIR)
                       if m.version > expected["schema_version"]]
    async with connect(empty_dsn) as con:
        counts = await dump.row_counts(con)
    added = len(applied)
    for table, rows in expected["row_counts"].items():
        want = rows + added if table == "schema_migrations" else rows
        assert counts.get(table) == want, table

    async with connect(await as_app_role(empty_dsn)) as con:
        verdict = await read_back(con, keys, expected)
    assert verdict.broken is None and verdict.last_good is not None
    assert verdict.verified == expected["audit_chain"]["entries"]
    assert verdict.last_good.entry_hash.hex() == expected["audit_chain"]["last_hash"]
