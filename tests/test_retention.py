"""Retention against a real PostgreSQL: exactly what is due goes, nothing tied to a person
on hold does, the run is logged and audited, and the audit chain still verifies after its
oldest entries are removed (migrations/0022)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from lifeline_pbx import crypto
from lifeline_pbx.audit import chain
from lifeline_pbx.retention import job, store, work
from lifeline_pbx.retention.rules import Removed
from tests import cli_run
from tests.pg_fixtures import Upgrade, connect, staff
from tests.retention_seed import Seed, remaining, seed
from tests.waiting import wait_for

BEFORE = {
    "calls": {"c_free_old", "c_new", "c_held_intake", "c_held_merged", "c_held_lookup",
              "c_released", "c_vm_kept", "c_vm_gone", "c_vm_held", "c_draft", "c_rec",
              "c_rec_held", "c_d_held", "c_open", "c_cr_on_pbx", "c_vm_unreviewed"},
    "drafts": {"d_old", "d_new", "d_held"},
    "narratives": {"r_old", "r_new", "r_held", "r_held_intake"},
    "voicemails": {"v_rec_old", "v_rec_new", "v_rec_on_pbx", "v_rec_held", "v_vm_kept",
                   "v_vm_gone", "v_vm_held", "v_unreviewed"},
    "recordings": {"v_rec_old", "v_rec_new", "v_rec_on_pbx", "v_rec_held", "v_vm_kept",
                   "v_vm_gone", "v_vm_held", "v_unreviewed", "cr_old", "cr_new", "cr_on_pbx",
                   "cr_held", "cr_old_call"},
    "revisions": {"r_old", "r_new", "r_held", "r_held_intake"},
    "excerpts": {"r_old", "r_new", "r_held", "r_held_intake"},
}
GONE = {
    "calls": {"c_free_old", "c_released", "c_vm_gone"},
    "drafts": {"d_old"},
    "narratives": {"r_old"},
    "voicemails": {"v_vm_gone"},
    # v_vm_gone with its voicemail
    "recordings": {"v_rec_old", "v_vm_kept", "v_vm_gone", "cr_old"},
    "revisions": {"r_old"},
    "excerpts": {"r_old"},
}
EXPECTED = Removed(call_records=3, recordings=3, voicemails=1, drafts=1, narratives=1,
                   audit_entries=3, held=10, excerpts=1, unreviewed=1)


async def run(dsn: str, **kw: object) -> Removed | None:
    async with connect(dsn) as con:
        return await work.run(con, "schedule", **kw)  # type: ignore[arg-type]


async def verdict(dsn: str) -> chain.Verdict:
    async with connect(dsn) as con:
        return await chain.verify(con)


@pytest.fixture
async def seeded(admin_dsn: str) -> Seed:
    async with connect(admin_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM audit_log") == 0
    return await seed(admin_dsn)


async def test_retention_removes_exactly_what_is_due_and_nothing_on_hold(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    assert await remaining(admin_dsn, seeded) == BEFORE

    assert await run(app_dsn) == EXPECTED

    assert await remaining(admin_dsn, seeded) == {
        table: rows - GONE[table] for table, rows in BEFORE.items()}
    async with connect(admin_dsn) as con:
        # The intake and the queue's statistics stay, without the call.
        assert await con.fetchval("SELECT call_id FROM intakes WHERE id = $1",
                                  seeded["i_free"]) is None
        assert await con.fetchval("SELECT count(*) FROM queue_events WHERE call_id IS NULL") == 1
        assert await con.fetchval("SELECT count(*) FROM call_events") == 0
        # A removed narrative keeps what the statistics count.
        report = await con.fetchrow(
            "SELECT category, facility_id, created_at, narrative_removed_at FROM reports"
            " WHERE id = $1", seeded["r_old"])
        assert report is not None
        assert report["category"] == "medical_neglect" and report["narrative_removed_at"]
        # A removed recording leaves the voicemail, marked as expired; a recorded call's too.
        assert await con.fetchval(
            "SELECT expired_at IS NOT NULL FROM voicemail_audio WHERE voicemail_id = $1",
            seeded["v_rec_old"])
        assert await con.fetchval(
            "SELECT expired_at IS NOT NULL AND bytes = 64 FROM call_recordings WHERE id = $1",
            seeded["cr_old"])


async def test_an_unreviewed_message_past_its_limits_stays_until_reviewed(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    """Past both its audio's limit and its own, a message nobody reviewed keeps its audio
    and its row, is counted once by each run and on the settings page; reviewed, it goes."""
    assert await run(app_dsn) == EXPECTED
    left = await remaining(admin_dsn, seeded)
    assert "v_unreviewed" in left["voicemails"] and "v_unreviewed" in left["recordings"]
    async with connect(app_dsn) as con:
        assert (await work.settings_page_of(con)).kept_unreviewed == 1
        await con.execute("UPDATE voicemails SET reviewed_at = now() WHERE id = $1",
                          seeded["v_unreviewed"])
        assert (await work.settings_page_of(con)).kept_unreviewed == 0
    again = await run(app_dsn)
    assert again is not None and (again.voicemails, again.unreviewed) == (1, 0)
    assert "v_unreviewed" not in (await remaining(admin_dsn, seeded))["voicemails"]


async def test_the_run_is_logged_in_counts_and_audited(seeded: Seed, app_dsn: str) -> None:
    assert await run(app_dsn) == EXPECTED
    async with connect(app_dsn) as con:
        logged = await con.fetch("SELECT * FROM retention_runs")
        entry = await con.fetchrow(
            "SELECT * FROM audit_log WHERE entity = 'retention_run' ORDER BY chain_seq")
    assert entry is not None and len(logged) == 1 and logged[0]["source"] == "schedule"
    assert {k: logged[0][k] for k in EXPECTED.as_dict()} == EXPECTED.as_dict()
    assert entry["action"] == "delete" and entry["entity_id"] == str(logged[0]["id"])
    assert entry["fields"] == sorted(EXPECTED.kinds())

    # Nothing more is due: a second run removes nothing and is logged too.
    assert await run(app_dsn) == Removed(held=10, unreviewed=1)
    # The scheduled check runs once a day.
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=2)
    try:
        assert await work.run_if_due(pool) is None
    finally:
        await pool.close()


SEVERAL_HOLDS = {  # on the held person besides the seed's hold: placed, then released
    # (the seed's first) -> whether their records are still kept
    "a second hold in force": (1, 0, True),
    "a second one in force, the first released": (1, 1, True),
    "two more in force, the first released": (2, 1, True),
    "a second one placed, both released": (1, 2, False),
}


@pytest.mark.parametrize("name", SEVERAL_HOLDS)
async def test_several_holds_on_a_person_keep_their_records_until_the_last_is_released(
    seeded: Seed, admin_dsn: str, app_dsn: str, name: str
) -> None:
    placed, released, kept = SEVERAL_HOLDS[name]
    keys = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))
    person = seeded["p_held"]
    async with connect(app_dsn) as con:
        user = await con.fetchval("SELECT id FROM users WHERE username = 'supervisor1'")
        for n in range(placed):
            await store.place_hold(con, keys, person, user, f"Lawsuit {n}", uuid.uuid4())
        holds = [h.id for h in await store.in_force(con, keys, person)]
        assert len(holds) == placed + 1
        for hold in holds[:released]:
            assert await store.release_hold(con, keys, hold, user, "Settled")
            assert not await store.release_hold(con, keys, hold, user, "Settled")  # once
        assert len(await store.in_force(con, keys, person)) == placed + 1 - released
    removed = await run(app_dsn)
    if kept:  # counted once, however many holds
        assert removed == EXPECTED
        assert await remaining(admin_dsn, seeded) == {
            table: rows - GONE[table] for table, rows in BEFORE.items()}
    else:
        assert removed is not None and removed.held == 0
        assert "r_held" not in (await remaining(admin_dsn, seeded))["narratives"]


async def test_the_audit_chain_verifies_after_removal(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    assert (await verdict(app_dsn)).verified == 6
    await run(app_dsn)

    after = await verdict(app_dsn)
    assert after.broken is None and after.checkpoint is not None
    assert after.checkpoint.seq == 3 and after.verified == 4  # 4-6, and the run's own entry
    assert "entries 1-3 removed by retention" in chain.describe(after)
    code, out = await cli_run.lifeline("audit", "verify", env={"LIFELINE_DATABASE_URL": app_dsn})
    assert code == 0 and out.startswith("audit log: 4 entries verified"), out

    # The hold released, the entries up to the newer ones go too, from the checkpoint on.
    async with connect(admin_dsn) as con:
        await con.execute("UPDATE legal_holds SET released_at = now(), released_by = placed_by")
    assert (await run(app_dsn, dry_run=False) or Removed()).audit_entries == 2
    again = await verdict(app_dsn)
    assert again.broken is None and again.checkpoint and again.checkpoint.seq == 5
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM audit_checkpoints") == 2


TAMPERING = {
    "the first kept entry changed and rehashed": (
        """UPDATE audit_log SET prev_hash = sha256('x'), entry_hash = audit_entry_hash(
               sha256('x'), chain_seq, id, at, user_id, action, entity, entity_id, fields)
           WHERE chain_seq = 4""",
        "entry 4", "does not follow the retention checkpoint (entry 3)"),
    "the first kept entry deleted": ("DELETE FROM audit_log WHERE chain_seq = 4",
                                     "entry 5", "entry 4 before it is missing"),
}


@pytest.mark.parametrize("name", TAMPERING)
async def test_tampering_after_a_removal_still_shows(
    seeded: Seed, admin_dsn: str, app_dsn: str, name: str
) -> None:
    await run(app_dsn)
    sql, entry, reason = TAMPERING[name]
    async with connect(admin_dsn) as con, con.transaction():  # the superuser, as an attacker
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await con.execute(sql)
        await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    code, out = await cli_run.lifeline("audit", "verify", env={"LIFELINE_DATABASE_URL": app_dsn})
    assert code == 1 and f"audit log: {entry}" in out and reason in out, out


async def test_a_broken_chain_is_never_removed(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    """Removing entries must not launder tampering: the run fails, and removes nothing."""
    async with connect(admin_dsn) as con, con.transaction():
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await con.execute("UPDATE audit_log SET fields = '{}' WHERE chain_seq = 2")
        await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    with pytest.raises(asyncpg.RaiseError, match="does not verify at entry 2"):
        await run(app_dsn)
    assert await remaining(admin_dsn, seeded) == BEFORE
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM audit_log") == 6
        assert await con.fetchval("SELECT count(*) FROM retention_runs") == 0


REFUSED = {
    "removing recent entries": ("SELECT audit_log_remove_before(now() - interval '364 days',"
                                " NULL)", asyncpg.RaiseError),
    "deleting entries": ("DELETE FROM audit_log", asyncpg.InsufficientPrivilegeError),
    "forging a checkpoint": ("INSERT INTO audit_checkpoints (through_seq, through_hash, removed,"
                             " cutoff) VALUES (6, sha256(''), 6, now())",
                             asyncpg.InsufficientPrivilegeError),
    "deleting revisions of a report with its narrative": (
        "DELETE FROM record_revisions", asyncpg.RaiseError),
}


@pytest.mark.parametrize("name", REFUSED)
async def test_the_app_role_cannot_remove_otherwise(
    seeded: Seed, app_dsn: str, name: str
) -> None:
    sql, error = REFUSED[name]
    async with connect(app_dsn) as con:
        with pytest.raises(error):
            await con.execute(sql)
    assert (await verdict(app_dsn)).verified == 6


async def test_a_superuser_cannot_delete_covered_entries_outside_the_function(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    await run(app_dsn)
    async with connect(admin_dsn) as con:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await con.execute("DELETE FROM audit_log WHERE chain_seq = 4")
        with pytest.raises(asyncpg.RaiseError, match="kept as written"):
            await con.execute("DELETE FROM audit_checkpoints")


async def test_the_dry_run_command_counts_and_removes_nothing(
    seeded: Seed, admin_dsn: str, app_dsn: str
) -> None:
    env = {"LIFELINE_DATABASE_URL": app_dsn}
    code, out = await cli_run.lifeline("retention", "run", "--dry-run", env=env)
    assert code == 0, out
    assert "retention would remove:" in out and "call records" in out
    counts = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1])
              for line in out.splitlines()[1:]}
    assert counts == {"call records": 3, "recordings": 3, "voicemails": 1, "drafts": 1,
                      "narratives": 1, "audit entries": 3, "excerpts": 1,
                      "kept for legal holds": 10,
                      "kept unreviewed (voicemails, their audio)": 1}
    assert await remaining(admin_dsn, seeded) == BEFORE
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM retention_runs") == 0
        assert await con.fetchval("SELECT count(*) FROM audit_log") == 6

    code, out = await cli_run.lifeline("retention", "run", env=env)
    assert code == 0 and out.startswith("retention removed:"), out
    assert await remaining(admin_dsn, seeded) == {
        table: rows - GONE[table] for table, rows in BEFORE.items()}
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT source FROM retention_runs") == "command"


async def test_the_job_runs_once_a_day_and_retries_after_a_failure(
    seeded: Seed, admin_dsn: str, app_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken chain makes the run fail (a real refusal from PostgreSQL); the job logs it,
    tries again, and runs once the chain is repaired; then not again the same day."""
    async with connect(admin_dsn) as con, con.transaction():
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        fields = await con.fetchval("SELECT fields FROM audit_log WHERE chain_seq = 2")
        await con.execute("UPDATE audit_log SET fields = '{}' WHERE chain_seq = 2")
        await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    caplog.set_level(logging.DEBUG, logger=job.__name__)
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=2)
    task = asyncio.create_task(job.run(pool, check_every=0.05, first_after=0, retry_first=0.05))
    try:
        await wait_for(lambda: "retention run failed error=RaiseError" in caplog.text,
                       what="the failure logged")
        async with connect(admin_dsn) as con, con.transaction():
            await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
            await con.execute("UPDATE audit_log SET fields = $1 WHERE chain_seq = 2", fields)
            await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")

        async def runs() -> int | None:
            async with connect(app_dsn) as con:
                return await con.fetchval("SELECT count(*) FROM retention_runs") or None

        assert await wait_for(runs, what="the scheduled run") == 1
        await wait_for(lambda: caplog.text.count("retention not due") >= 3,
                       what="three more checks")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()
    assert await remaining(admin_dsn, seeded) == {
        table: rows - GONE[table] for table, rows in BEFORE.items()}
    async with connect(app_dsn) as con:
        assert await con.fetchval("SELECT count(*) FROM retention_runs") == 1


async def test_0040_keeps_the_holds_placed_before_it_without_a_reason(
    empty_dsn: str, tmp_path: Path
) -> None:
    """Holds from before reasons were asked stay as they were (the list says "not
    recorded"); one still in force can be released with a reason, sealed."""
    upgrade = Upgrade(empty_dsn, "0040", tmp_path / "m")
    await upgrade.before()
    held, released = uuid.uuid4(), uuid.uuid4()
    async with connect(empty_dsn) as con:
        user = await staff(con, "coordinator", "supervisor")
        for person in (held, released):
            await con.execute("INSERT INTO persons (id, a_number_key, a_number, names)"
                              " VALUES ($1, $2, $3, $3)", person, os.urandom(32), b"sealed")
        await con.execute("INSERT INTO legal_holds (person_id, placed_by) VALUES ($1, $2)",
                          held, user)
        await con.execute("""INSERT INTO legal_holds (person_id, placed_by, released_by,
                                                      released_at)
                             VALUES ($1, $2, $2, now())""", released, user)
    assert await upgrade.apply() == ["0040_legal_hold_reasons.sql"]

    keys = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))
    async with connect(empty_dsn) as con:
        found = {h.person_id: h for h in await store.holds(con, keys)}
        assert [(h.reason, h.release_reason) for h in found.values()] == [(None, None)] * 2
        assert found[held].released_at is None and found[released].released_at is not None
        with pytest.raises(asyncpg.CheckViolationError):  # no release reason while in force
            await con.execute("UPDATE legal_holds SET release_reason = '\\x01'"
                              " WHERE person_id = $1", held)
        hold = await con.fetchval("SELECT id FROM legal_holds WHERE person_id = $1", held)
        assert await store.release_hold(con, keys, hold, user, "The matter was closed")
        found = {h.person_id: h for h in await store.holds(con, keys)}
    assert (found[held].reason, found[held].release_reason) == (None, "The matter was closed")


async def hold_before_0042(con: asyncpg.Connection, keys: crypto.KeyRing,
                           person: uuid.UUID, user: int, reason: str) -> int:
    """A hold placed as the app placed it before its form key (migrations/0042)."""
    hold_id: int = await con.fetchval(
        "INSERT INTO legal_holds (person_id, placed_by) VALUES ($1, $2) RETURNING id",
        person, user)
    await con.execute("UPDATE legal_holds SET reason = $2 WHERE id = $1", hold_id,
                      keys.seal(reason, crypto.place("legal_holds", "reason", hold_id)))
    return hold_id


async def test_0041_allows_several_holds_and_moves_those_of_merged_records(
    empty_dsn: str, tmp_path: Path
) -> None:
    """At 0040 a person has one hold in force at most, and a record merged into another
    keeps its holds; 0041 lets a second be placed and moves those holds (in force and
    released) onto the record kept, their reasons still readable."""
    upgrade = Upgrade(empty_dsn, "0041", tmp_path / "m")
    await upgrade.before()
    keys = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))
    kept, merged, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with connect(empty_dsn) as con:
        user = await staff(con, "coordinator", "supervisor")
        for person, into in ((kept, None), (merged, kept), (other, None)):
            await con.execute("INSERT INTO persons (id, a_number_key, a_number, names,"
                              " merged_into) VALUES ($1, $2, $3, $3, $4)",
                              person, os.urandom(32), b"sealed", into)
        ids = {}
        for name, person in (("kept", kept), ("merged released", merged), ("merged", merged),
                             ("other", other)):
            ids[name] = await hold_before_0042(con, keys, person, user, f"Matter of {name}")
            if name == "merged released":
                assert await store.release_hold(con, keys, ids[name], user, "Ended")
        with pytest.raises(asyncpg.UniqueViolationError):  # one in force per person
            await hold_before_0042(con, keys, kept, user, "A second matter")
    assert await upgrade.apply() == ["0041_several_legal_holds.sql"]

    async with connect(empty_dsn) as con:
        found = {h.id: h for h in await store.holds(con, keys)}
        assert {name: found[i].person_id for name, i in ids.items()} == {
            "kept": kept, "merged": kept, "merged released": kept, "other": other}
        assert {name: (found[i].reason, found[i].release_reason)
                for name, i in ids.items()} == {
            "kept": ("Matter of kept", None), "merged": ("Matter of merged", None),
            "merged released": ("Matter of merged released", "Ended"),
            "other": ("Matter of other", None)}
        second = await hold_before_0042(con, keys, kept, user, "A second matter")
        assert [h.id for h in await store.in_force(con, keys, kept)] == [
            ids["kept"], ids["merged"], second]
        index = await con.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'legal_holds_active'")
    assert index == ("CREATE INDEX legal_holds_active ON public.legal_holds USING btree"
                     " (person_id) WHERE (released_at IS NULL)")


async def test_0042_keeps_the_holds_placed_before_it_without_a_form_key(
    empty_dsn: str, tmp_path: Path
) -> None:
    upgrade = Upgrade(empty_dsn, "0042", tmp_path / "m")
    await upgrade.before()
    keys = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))
    person = uuid.uuid4()
    async with connect(empty_dsn) as con:
        user = await staff(con, "coordinator", "supervisor")
        await con.execute("INSERT INTO persons (id, a_number_key, a_number, names)"
                          " VALUES ($1, $2, $3, $3)", person, os.urandom(32), b"sealed")
        old = [await hold_before_0042(con, keys, person, user, f"Matter {n}") for n in (1, 2)]
    assert await upgrade.apply() == ["0042_legal_hold_form_keys.sql"]

    async with connect(empty_dsn) as con:
        key = uuid.uuid4()
        placed = [await store.place_hold(con, keys, person, user, "Matter 3", k)
                  for k in (key, key, uuid.uuid4())]
        assert placed[0] is not None and placed[1] is None and placed[2] is not None
        assert sorted((h.id, h.reason) for h in await store.holds(con, keys)) == [
            (old[0], "Matter 1"), (old[1], "Matter 2"), (placed[0], "Matter 3"),
            (placed[2], "Matter 3")]
        assert await con.fetchval("SELECT count(*) FROM legal_holds WHERE form_key IS NULL") == 2
