"""Migration 0044 over messages reviewed before it: each takes its reviewer from the audit
log's first 'update' of its 'reviewed_at' (the button's or an intake save's, as the code
before it wrote them), and no reason; one never reviewed, or whose entry is missing, has
nobody."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from lifeline_pbx import audit, crypto
from lifeline_pbx.db import Conn
from lifeline_pbx.voicemail import store
from tests.pg_fixtures import Upgrade, connect, staff


async def message(con: Conn, *, reviewed: bool) -> uuid.UUID:
    call_id, vid = uuid.uuid4(), uuid.uuid4()
    await con.execute(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
                              started_at, ended_at)
           VALUES ($1, 'c', 'PJSIP/c', '100', '', '', now(), now())""", call_id)
    await con.execute(
        """INSERT INTO voicemails (id, call_id, language, reason, recording, duration_seconds,
                                   created_at, reviewed_at)
           VALUES ($1, $2, 'es', 'no_operators', 'r', 20, now() - interval '2 hours',
                   CASE WHEN $3 THEN now() - interval '1 hour' END)""", vid, call_id, reviewed)
    return vid


async def test_0044_takes_each_reviewer_from_the_audit_log(
    empty_dsn: str, tmp_path: Path
) -> None:
    upgrade = Upgrade(empty_dsn, "0044", tmp_path / "m")
    await upgrade.before()
    async with connect(empty_dsn) as con:
        supervisor = await staff(con, "supervisor", "supervisor")
        operator = await staff(con, "operator", "operator")
        by_button = await message(con, reviewed=True)
        by_intake = await message(con, reviewed=True)
        never = await message(con, reviewed=False)
        no_entry = await message(con, reviewed=True)
        # Before 0044: a listen, then the button (an 'update' of 'reviewed_at'); an intake
        # saved from a message (its 'create', then the message's 'update'), then a
        # supervisor's click on the list shown earlier, audited all the same; a listen to
        # the message never reviewed; nothing for the last.
        await audit.record(con, operator, "view", "voicemail", by_button, ["audio"])
        await audit.record(con, supervisor, "update", "voicemail", by_button, ["reviewed_at"])
        await audit.record(con, operator, "create", "intake", uuid.uuid4(), ["outcome"])
        await audit.record(con, operator, "update", "voicemail", by_intake, ["reviewed_at"])
        await audit.record(con, supervisor, "update", "voicemail", by_intake, ["reviewed_at"])
        await audit.record(con, supervisor, "view", "voicemail", never, ["audio"])
    assert await upgrade.apply() == ["0044_voicemail_review_by_and_reason.sql"]

    keys = crypto.key_ring((("k1", os.urandom(32)),), os.urandom(32))
    async with connect(empty_dsn) as con:
        rows = {r["id"]: (r["reviewed_by"], r["review_reason"], r["review_note"])
                for r in await con.fetch("SELECT * FROM voicemails")}
        listed = {vm.id: (vm.reviewed_by, vm.review_reason, vm.reviewed_at is not None)
                  for vm in await store.listing(con, keys)}
    assert rows == {by_button: (supervisor, None, None), by_intake: (operator, None, None),
                    never: (None, None, None), no_entry: (None, None, None)}
    assert listed == {by_button: ("Supervisor", None, True), by_intake: ("Operator", None, True),
                      never: ("", None, False), no_entry: ("", None, True)}
