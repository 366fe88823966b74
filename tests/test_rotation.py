"""Key rotation against a real PostgreSQL: every sealed field moves to the new key, A-number
lookups move to the new lookup key, and nothing is readable with the old keys alone."""

from __future__ import annotations

import os
import re
import uuid

import asyncpg
import pytest

from lifeline_pbx import crypto, rotation, sealed_keys
from tests import cli_run
from tests.privacy import sensitive

OLD = crypto.key_ring((("old", os.urandom(32)),), os.urandom(32))
NEW_DATA = os.urandom(32)
NEW = crypto.key_ring((("new", NEW_DATA), ("old", OLD.keys["old"])), os.urandom(32))
NEW_ONLY = crypto.key_ring((("new", NEW_DATA),), NEW.lookup_key)


async def test_rotate_reseals_everything_and_rehashes_a_numbers(app_dsn: str) -> None:
    sensitive("A099887766", "Rotation Testperson", "narrative for rotation",
              "subpoena for rotation")
    con = await asyncpg.connect(app_dsn)
    try:
        person, report = uuid.uuid4(), uuid.uuid4()
        await con.execute(
            """INSERT INTO persons (id, a_number_key, a_number, names)
               VALUES ($1, $2, $3, $4)""",
            person, OLD.lookup("099887766"),
            OLD.seal("099887766", crypto.place("persons", "a_number", person)),
            OLD.seal_json(["Rotation Testperson"], crypto.place("persons", "names", person)),
        )
        user_id = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
        facility = await con.fetchval("SELECT min(id) FROM facilities")
        await con.execute(
            """INSERT INTO reports (id, person_id, facility_id, category, severity, affected,
                                    narrative, created_by)
               VALUES ($1, $2, $3, 'medical_neglect', 'high', 'person', $4, $5)""",
            report, person, facility,
            OLD.seal("narrative for rotation", crypto.place("reports", "narrative", report)),
            user_id,
        )
        follow_up, note = uuid.uuid4(), uuid.uuid4()
        await con.execute(
            "INSERT INTO follow_ups (id, what, created_by) VALUES ($1, $2, $3)", follow_up,
            OLD.seal("call the sister", crypto.place("follow_ups", "what", follow_up)), user_id)
        await con.execute(
            """INSERT INTO follow_up_notes (id, follow_up_id, author_id, body)
               VALUES ($1, $2, $3, $4)""", note, follow_up, user_id,
            OLD.seal("sister reached", crypto.place("follow_up_notes", "body", note)))
        await con.execute("UPDATE users SET totp_secret = $2 WHERE id = $1", user_id,
                          OLD.seal("JBSWY3DPEHPK3PXP", crypto.place("users", "totp_secret",
                                                                     user_id)))

        await con.execute(
            """INSERT INTO report_excerpts (report_id, excerpt, released_by)
               VALUES ($1, $2, $3)""", report, OLD.seal(
                "an excerpt for rotation", crypto.place("report_excerpts", "excerpt", report)),
            user_id)

        revision, proposal = uuid.uuid4(), uuid.uuid4()
        await con.execute(
            """INSERT INTO record_revisions (id, entity, entity_id, number, author_id, content)
               VALUES ($1, 'report', $2, 1, $3, $4)""", revision, report, user_id,
            OLD.seal_json({"narrative": "the first words"},
                          crypto.place("record_revisions", "content", revision)))
        await con.execute(
            """INSERT INTO person_proposals (id, person_id, proposed_by, fields, content)
               VALUES ($1, $2, $3, '{names}', $4)""", proposal, person, user_id,
            OLD.seal_json({"names": ["Rotation Other"]},
                          crypto.place("person_proposals", "content", proposal)))

        hold = await con.fetchval(
            """INSERT INTO legal_holds (person_id, placed_by, released_by, released_at)
               VALUES ($1, $2, $2, now()) RETURNING id""", person, user_id)
        await con.execute(
            "UPDATE legal_holds SET reason = $2, release_reason = $3 WHERE id = $1", hold,
            OLD.seal("subpoena for rotation", crypto.place("legal_holds", "reason", hold)),
            OLD.seal("settled", crypto.place("legal_holds", "release_reason", hold)))

        counts = await rotation.rotate(con, NEW)
        assert counts["legal_holds"].resealed == 1
        row = await con.fetchrow("SELECT reason, release_reason FROM legal_holds"
                                 " WHERE id = $1", hold)
        assert row is not None
        assert NEW_ONLY.open(bytes(row["reason"]), crypto.place(
            "legal_holds", "reason", hold)) == "subpoena for rotation"
        assert NEW_ONLY.open(bytes(row["release_reason"]), crypto.place(
            "legal_holds", "release_reason", hold)) == "settled"
        assert counts["persons"].resealed == 1 and counts["persons"].rehashed == 1
        assert counts["record_revisions"].resealed == 1
        assert counts["person_proposals"].resealed == 1
        content = await con.fetchval("SELECT content FROM record_revisions WHERE id = $1",
                                     revision)
        assert NEW_ONLY.open_json(bytes(content), crypto.place(
            "record_revisions", "content", revision)) == {"narrative": "the first words"}
        content = await con.fetchval("SELECT content FROM person_proposals WHERE id = $1",
                                     proposal)
        assert NEW_ONLY.open_json(bytes(content), crypto.place(
            "person_proposals", "content", proposal)) == {"names": ["Rotation Other"]}
        assert counts["reports"].resealed == 1 and counts["users"].resealed == 1
        assert counts["report_excerpts"].resealed == 1
        excerpt = await con.fetchval("SELECT excerpt FROM report_excerpts")
        assert NEW_ONLY.open(bytes(excerpt), crypto.place(
            "report_excerpts", "excerpt", report)) == "an excerpt for rotation"
        assert counts["follow_ups"].resealed == 1 and counts["follow_up_notes"].resealed == 1
        body = await con.fetchval("SELECT body FROM follow_up_notes WHERE id = $1", note)
        assert NEW_ONLY.open(bytes(body), crypto.place("follow_up_notes", "body",
                                                       note)) == "sister reached"

        row = await con.fetchrow("SELECT * FROM persons WHERE id = $1", person)
        assert row is not None
        assert bytes(row["a_number_key"]) == NEW_ONLY.lookup("099887766")
        assert NEW_ONLY.open(bytes(row["a_number"]),
                             crypto.place("persons", "a_number", person)) == "099887766"
        narrative = await con.fetchval("SELECT narrative FROM reports WHERE id = $1", report)
        assert NEW_ONLY.key_id(bytes(narrative)) == "new"
        with pytest.raises(crypto.SealError):
            OLD.open(bytes(narrative), crypto.place("reports", "narrative", report))
        # A second run finds nothing left to do.
        again = await rotation.rotate(con, NEW)
        assert sum(c.resealed for c in again.values()) == 0
    finally:
        await con.close()


async def test_keys_rotate_prints_aligned_counts_and_says_to_keep_the_old_key(
        app_dsn: str) -> None:
    env = {"LIFELINE_DATABASE_URL": app_dsn, "LIFELINE_LOOKUP_KEY": crypto.new_key(),
           "LIFELINE_DATA_KEYS": f"k2:{crypto.new_key()},k1:{crypto.new_key()}"}
    code, out = await cli_run.lifeline("keys", "rotate", env=env)
    assert code == 0, out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("table "))
    table = lines[start:start + 1 + len(rotation.SEALED) + len(rotation.AUDIO)]
    assert [line.split()[0] for line in table[1:]] == [*rotation.SEALED, *rotation.AUDIO]
    # Each count ends where its heading ends, on every row.
    column_ends = {tuple(m.end() for m in re.finditer(r"\S+", line))[1:3] for line in table}
    assert len(column_ends) == 1, "\n".join(table)
    assert "under key 'k2'" in lines[-2]
    assert lines[-1] == ("keep the older keys offline for as long as you keep a backup made "
                         "before this rotation (it needs them); take a new backup now "
                         "(lifeline backup)")


# bytea columns that hold no sealed value: keyed hashes, blind-index tokens, the audit
# chain's hashes, prompts' audio (not personal data).
NOT_SEALED = {
    ("web_sessions", "token_hash"), ("known_devices", "token_hash"),
    ("persons", "a_number_key"), ("call_lookups", "a_number_key"),
    ("person_search_tokens", "token"), ("audit_log", "prev_hash"), ("audit_log", "entry_hash"),
    ("audit_checkpoints", "through_hash"), ("prompt_recordings", "audio"),
    ("prompt_recordings", "original"),
}


async def test_every_sealed_column_is_rotated_and_counted(app_dsn: str) -> None:
    """Each bytea column of the schema is one that rotation reseals and the backup manifest
    and doctor count (sealed_keys.COLUMNS), or one known to hold no sealed value."""
    con = await asyncpg.connect(app_dsn)
    try:
        rows = await con.fetch(
            """SELECT c.table_name, c.column_name FROM information_schema.columns c
                 JOIN information_schema.tables t USING (table_schema, table_name)
                WHERE c.table_schema = 'public' AND c.data_type = 'bytea'
                  AND t.table_type = 'BASE TABLE'""")
    finally:
        await con.close()
    found = {(r["table_name"], r["column_name"]) for r in rows}
    assert found - NOT_SEALED == set(sealed_keys.COLUMNS) and found >= NOT_SEALED
    assert ("legal_holds", "reason") in found and ("legal_holds", "release_reason") in found


@pytest.mark.parametrize("tamper", ["other row", "other column", "flipped byte", "unknown key"])
def test_sealed_values_only_open_in_their_place(tamper: str) -> None:
    sealed = OLD.seal("secret", "reports.narrative.1")
    place = "reports.narrative.1"
    if tamper == "other row":
        place = "reports.narrative.2"
    elif tamper == "other column":
        place = "persons.names.1"
    elif tamper == "flipped byte":
        sealed = sealed[:-1] + bytes([sealed[-1] ^ 1])
    else:
        sealed = NEW_ONLY.seal("secret", place)
    with pytest.raises(crypto.SealError):
        OLD.open(sealed, place)
    assert OLD.open(OLD.seal("secret", "x"), "x") == "secret"
