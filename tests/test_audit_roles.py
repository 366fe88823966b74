"""The audit log against the application's own role, on a real PostgreSQL (migrations/0008).

admin_dsn is the admin's (superuser's) login and app_dsn the application's (lifeline_app)
to the same database; the `lifeline` commands run as a separate process, as a user runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from devstack.postgres import quote_ident
from lifeline_pbx import audit, db_roles
from lifeline_pbx.audit import chain
from lifeline_pbx.errors import MigrationError
from lifeline_pbx.migrate import MIGRATIONS_DIR, migrate
from tests import cli_run
from tests.pg_fixtures import PgServer, as_app_role, connect
from tests.waiting import wait_for


async def lifeline(dsn: str, *args: str) -> tuple[int, str]:
    return await cli_run.lifeline(*args, env={"LIFELINE_DATABASE_URL": dsn})


async def write_entries(dsn: str, count: int) -> None:
    async with connect(dsn) as con:
        for i in range(count):
            await audit.record(con, None, "view", "person", uuid.uuid4(), ["names", f"f{i}"])


async def entries(dsn: str) -> list[tuple[int, list[str]]]:
    async with connect(dsn) as con:
        rows = await con.fetch("SELECT chain_seq, fields FROM audit_log ORDER BY chain_seq")
    return [(r["chain_seq"], r["fields"]) for r in rows]


# Each must be refused to the app role: it would rewrite the log, or lift its protection.
REFUSED = {
    "update": "UPDATE audit_log SET fields = '{}'",
    "delete": "DELETE FROM audit_log",
    "truncate": "TRUNCATE audit_log",
    "disable a trigger": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    "disable all triggers": "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "drop a trigger": "DROP TRIGGER audit_log_no_update ON audit_log",
    "drop the chain": "DROP TRIGGER audit_log_chain ON audit_log",
    "take the table": "ALTER TABLE audit_log OWNER TO lifeline_app",
    "replace a trigger's function": "CREATE OR REPLACE FUNCTION audit_log_is_append_only()"
                                    " RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN OLD; END'",
    "skip triggers": "SET session_replication_role = replica",
    "become the owner": "SET ROLE lifeline_audit",
    "join the owner": "GRANT lifeline_audit TO lifeline_app",
    "forge a chain link": "INSERT INTO audit_log (action, entity, entity_id, chain_seq,"
                          " prev_hash, entry_hash) VALUES ('view', 'x', '1', 99,"
                          " sha256(''), sha256(''))",
    "drop the table": "DROP TABLE audit_log",
}


@pytest.mark.parametrize("name", REFUSED)
async def test_the_app_role_cannot_touch_the_written_log(
    app_dsn: str, admin_dsn: str, name: str
) -> None:
    await write_entries(app_dsn, 2)
    before = await entries(admin_dsn)

    async with connect(app_dsn) as con:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await con.execute(REFUSED[name])

    assert await entries(admin_dsn) == before
    async with connect(app_dsn) as con:
        verdict = await chain.verify(con)
    assert (verdict.verified, verdict.broken) == (2, None)


async def test_the_refused_statements_are_valid_sql(admin_dsn: str, app_dsn: str) -> None:
    """The refusals above are about privilege, not a typo: the superuser may run each (the
    append-only triggers stop even it from rewriting entries)."""
    await write_entries(app_dsn, 1)
    async with connect(admin_dsn) as con:
        for name, sql in REFUSED.items():
            transaction = con.transaction()
            await transaction.start()
            try:
                if name in ("update", "delete", "truncate"):
                    with pytest.raises(asyncpg.RaiseError, match="append-only"):
                        await con.execute(sql)
                else:
                    await con.execute(sql)
            finally:
                await transaction.rollback()


TAMPERING = {
    "a field changed": ("UPDATE audit_log SET fields = '{names}' WHERE chain_seq = 3",
                        "entry 3 (id 3", "its contents do not match its hash"),
    "a middle entry deleted": ("DELETE FROM audit_log WHERE chain_seq = 3",
                               "entry 4 (id 4", "entry 3 before it is missing"),
    "changed and rehashed": (
        """UPDATE audit_log SET action = 'export', entry_hash = audit_entry_hash(prev_hash,
               chain_seq, id, at, user_id, 'export', entity, entity_id, fields)
           WHERE chain_seq = 3""",
        "entry 4 (id 4", "entry 3 before it was changed or replaced"),
    "an entry slipped in unlinked": (
        """ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain;
           INSERT INTO audit_log (user_id, action, entity, entity_id, fields)
           VALUES (NULL, 'view', 'person', 'p9', '{}');
           ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain""",
        "unlinked entry (id 6", "never linked into the chain"),
}


@pytest.mark.parametrize("name", TAMPERING)
async def test_verify_names_the_first_tampered_entry(
    app_dsn: str, admin_dsn: str, name: str
) -> None:
    await write_entries(app_dsn, 5)
    code, out = await lifeline(app_dsn, "audit", "verify")
    assert (code, out.split(";")[0]) == (0, "audit log: 5 entries verified"), out

    sql, entry, reason = TAMPERING[name]
    async with connect(admin_dsn) as con, con.transaction():  # the superuser, as an attacker
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await con.execute(sql)
        await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")

    code, out = await lifeline(app_dsn, "audit", "verify")
    assert code == 1, out
    assert f"audit log: {entry}" in out and reason in out, out


async def holders_of_chain_lock(dsn: str, granted: bool) -> int:
    """How many sessions hold (granted) or wait for (not granted) the chain's lock."""
    async with connect(dsn) as con:
        return int(await con.fetchval(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = $2
               AND (classid::bigint << 32) | objid::bigint = $1""",
            chain.CHAIN_LOCK_KEY, granted))


async def test_concurrent_transactions_leave_one_unbroken_chain(
    app_dsn: str, admin_dsn: str
) -> None:
    """50 transactions at once, two entries each, every fourth rolled back, all queued at
    commit on the chain's lock: the entries of the committed ones are chained 1..N with no
    gap and no fork."""
    pool = await asyncpg.create_pool(app_dsn, min_size=50, max_size=50)

    class Rollback(Exception):
        pass

    async def transaction(i: int) -> None:
        async with pool.acquire() as con:
            with contextlib.suppress(Rollback):
                async with con.transaction():
                    await audit.record(con, None, "view", "person", f"p{i}", ["names"])
                    await audit.record(con, None, "update", "person", f"p{i}", ["names"])
                    if i % 4 == 3:
                        raise Rollback

    async def chain_lock(granted: bool) -> int:
        return await holders_of_chain_lock(admin_dsn, granted)

    committed = sum(1 for i in range(50) if i % 4 != 3)
    async with connect(admin_dsn) as holder:
        await holder.execute("SELECT pg_advisory_lock($1)", chain.CHAIN_LOCK_KEY)
        try:
            tasks = [asyncio.create_task(transaction(i)) for i in range(50)]

            async def all_waiting() -> bool:
                return await chain_lock(False) == committed

            await wait_for(all_waiting, what="the committing transactions queued on the lock")
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", chain.CHAIN_LOCK_KEY)
        await asyncio.gather(*tasks)
    try:
        async with pool.acquire() as con:
            verdict = await chain.verify(con)
            seqs = [r[0] for r in await con.fetch("SELECT chain_seq FROM audit_log ORDER BY 1")]
    finally:
        await pool.close()

    assert seqs == list(range(1, 2 * committed + 1))
    assert (verdict.verified, verdict.broken) == (2 * committed, None)


async def test_auditing_between_other_locks_does_not_deadlock(app_dsn: str) -> None:
    """One transaction audits, then waits for a lock another holds; that other audits and
    commits. Chaining at insert deadlocked here (two saves of one intake did); chaining at
    commit lets both through."""
    row = 4242  # stands for a row both transactions lock
    async with connect(app_dsn) as first, connect(app_dsn) as second:
        holding = second.transaction()
        await holding.start()
        await second.execute("SELECT pg_advisory_xact_lock($1)", row)
        waiting = first.transaction()
        await waiting.start()
        await audit.record(first, None, "view", "person", "p1")
        blocked = asyncio.create_task(first.execute("SELECT pg_advisory_xact_lock($1)", row))
        await audit.record(second, None, "update", "person", "p2")
        await holding.commit()
        await blocked
        await waiting.commit()
        verdict = await chain.verify(first)
        order = [r["entity_id"] for r in await first.fetch(
            "SELECT entity_id FROM audit_log ORDER BY chain_seq")]
    assert (verdict.verified, verdict.broken) == (2, None)
    assert order == ["p2", "p1"]  # the chain follows commit order


async def test_a_repeatable_read_transaction_is_refused_not_forked(app_dsn: str) -> None:
    """Its snapshot predates an entry committed meanwhile, so it would reuse that chain
    number at its own commit: the unique chain number refuses it."""
    async with connect(app_dsn) as first, connect(app_dsn) as second:
        late = second.transaction(isolation="repeatable_read")
        await late.start()
        await second.fetchval("SELECT 1")  # takes its snapshot now
        await audit.record(second, None, "view", "person", "p2")
        async with first.transaction():
            await audit.record(first, None, "view", "person", "p1")
        with pytest.raises(asyncpg.UniqueViolationError, match="audit_log_chain_seq"):
            await late.commit()
        verdict = await chain.verify(first)
    assert (verdict.verified, verdict.broken) == (1, None)


async def test_doctor_passes_as_the_app_and_fails_as_a_superuser(
    app_dsn: str, admin_dsn: str
) -> None:
    await write_entries(app_dsn, 3)

    code, out = await lifeline(app_dsn, "doctor", "--only", "database")
    assert code == 0, out
    assert len(out.splitlines()) == 7 and all(line.startswith("ok ") for line in out.splitlines())

    # The superuser's login (which has CREATEROLE, owns the audit log and may delete from
    # it): one fault, the login, with no fix that would harden the superuser instead.
    code, out = await lifeline(admin_dsn, "doctor", "--only", "database")
    assert code == 1, out
    assert [line for line in out.splitlines() if line.startswith("FAIL")] == [
        "FAIL  the app role postgres is not a superuser: the app logs in as a superuser"]
    assert "fix: let the app log in as lifeline_app: `lifeline db app-role --new-password`" in out
    assert "ALTER ROLE" not in out and "REVOKE" not in out
    assert "ok    the audit log's hash chain verifies" in out


async def test_doctor_fails_when_a_trigger_is_disabled(app_dsn: str, admin_dsn: str) -> None:
    async with connect(admin_dsn) as con:
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate")

    code, out = await lifeline(app_dsn, "doctor", "--only", "database")

    assert code == 1
    assert ("FAIL  the audit log's append-only triggers are enabled: missing or disabled: "
            "audit_log_no_truncate") in out


async def test_tables_of_later_migrations_are_granted_to_the_app(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / "0999_later.sql").write_text(
        "CREATE TABLE later (id serial PRIMARY KEY, note text);\n")
    await migrate(empty_dsn, directory)
    app = await as_app_role(empty_dsn)

    async with connect(app) as con:
        await con.execute("INSERT INTO later (note) VALUES ('a')")
        await con.execute("UPDATE later SET note = 'b'")
        assert await con.fetchval("DELETE FROM later RETURNING note") == "b"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await con.execute("TRUNCATE later")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await con.execute("DELETE FROM audit_log")


async def test_a_migrating_role_that_cannot_create_roles_is_told_the_command(
    pg_cluster: PgServer,
) -> None:
    """The tables' owner, not a superuser: 0008 stops with the one command that lets it on."""
    suffix = uuid.uuid4().hex[:8]
    owner, database, password = f"owner_{suffix}", f"lifeline_test_{suffix}", uuid.uuid4().hex
    pg_cluster.create_database(database)
    admin = pg_cluster.dsn(database)
    try:
        async with connect(admin) as con:
            await con.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
            await con.execute(f"ALTER DATABASE {quote_ident(database)} OWNER TO {owner}")
        owner_dsn = db_roles.with_login(admin, owner, password)

        with pytest.raises(MigrationError) as refused:
            await migrate(owner_dsn, MIGRATIONS_DIR)
        assert "0008_audit_roles_and_chain.sql failed" in str(refused.value)
        assert f"run: ALTER ROLE {owner} CREATEROLE;" in str(refused.value)

        async with connect(admin) as con:
            await con.execute(f"ALTER ROLE {owner} CREATEROLE")
        assert "0008_audit_roles_and_chain.sql" in await migrate(owner_dsn, MIGRATIONS_DIR)
        code, out = await lifeline(await as_app_role(admin), "doctor", "--only", "database")
        assert code == 0, out
    finally:
        pg_cluster.drop_database(database)
        async with connect(pg_cluster.dsn()) as con:
            await con.execute(f"DROP OWNED BY {owner}")
            await con.execute(f"DROP ROLE {owner}")
