"""A database with rows on both sides of each retention limit, and people on legal hold,
for tests/test_retention.py. Written as the admin (a superuser), who may set the audit
entries' times; every row gets a name the test checks it by."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from tests.pg_fixtures import connect

# Days each kind is kept in the seed's settings.
LIMITS = {"drafts": 2, "narratives": 365, "recordings": 10, "voicemails": 60,
          "call_records": 90, "audit_entries": 365}
DAY = timedelta(days=1)


@dataclass
class Seed:
    now: datetime
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def __getitem__(self, name: str) -> uuid.UUID:
        return self.ids[name]

    def named(self, ids: list[uuid.UUID]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[i] for i in ids}


async def _person(con: asyncpg.Connection, seed: Seed, name: str,
                  merged_into: str | None = None) -> None:
    pid = seed.ids[name] = uuid.uuid4()
    await con.execute(
        """INSERT INTO persons (id, a_number_key, a_number, names, merged_into)
           VALUES ($1, $2, $3, $3, $4)""",
        pid, os.urandom(32), os.urandom(40), seed.ids.get(merged_into or ""))


async def _call(con: asyncpg.Connection, seed: Seed, name: str, days: float, *,
                ended: bool = True) -> None:
    cid = seed.ids[name] = uuid.uuid4()
    started = seed.now - days * DAY
    await con.execute(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
                              started_at, ended_at)
           VALUES ($1, $2, $2, '15550100', '5550199', '', $3, $4)""",
        cid, f"chan-{name}", started, started + timedelta(minutes=5) if ended else None)


async def _intake(con: asyncpg.Connection, seed: Seed, name: str, user: int, *,
                  call: str | None, person: str | None) -> None:
    iid = seed.ids[name] = uuid.uuid4()
    await con.execute(
        """INSERT INTO intakes (id, call_id, person_id, user_id, outcome)
           VALUES ($1, $2, $3, $4, 'intake')""",
        iid, seed.ids.get(call or ""), seed.ids.get(person or ""), user)


async def _report(con: asyncpg.Connection, seed: Seed, name: str, days: float, user: int,
                  facility: int, *, person: str | None = None,
                  intake: str | None = None) -> None:
    rid = seed.ids[name] = uuid.uuid4()
    await con.execute(
        """INSERT INTO reports (id, intake_id, person_id, facility_id, category, severity,
                                affected, narrative, created_by, created_at)
           VALUES ($1, $2, $3, $4, 'medical_neglect', 'high', 'person', $5, $6, $7)""",
        rid, seed.ids.get(intake or ""), seed.ids.get(person or ""), facility,
        os.urandom(48), user, seed.now - days * DAY)
    await con.execute(
        """INSERT INTO record_revisions (id, entity, entity_id, number, content)
           VALUES ($1, 'report', $2, 1, $3)""", uuid.uuid4(), rid, os.urandom(48))
    await con.execute(  # an excerpt released for advocacy: it goes with the narrative
        "INSERT INTO report_excerpts (report_id, excerpt, released_by) VALUES ($1, $2, $3)",
        rid, os.urandom(48), user)


async def _voicemail(con: asyncpg.Connection, seed: Seed, name: str, call: str, days: float,
                     *, on_pbx: bool = False, reviewed: bool = True) -> None:
    """Reviewed an hour after it was left, unless not `reviewed` (retention keeps it)."""
    vid = seed.ids[name] = uuid.uuid4()
    at = seed.now - days * DAY
    await con.execute(
        """INSERT INTO voicemails (id, call_id, language, reason, recording, duration_seconds,
                                   created_at, reviewed_at)
           VALUES ($1, $2, 'es', 'closed', $3, 12, $4, $5)""",
        vid, seed[call], f"vm-{name}", at, at + timedelta(hours=1) if reviewed else None)
    await con.execute(
        """INSERT INTO voicemail_audio (voicemail_id, audio, bytes, stored_at, removed_at)
           VALUES ($1, $2, 64, $3, $4)""",
        vid, os.urandom(64), at, None if on_pbx else at + timedelta(minutes=1))


async def _call_recording(con: asyncpg.Connection, seed: Seed, name: str, call: str,
                          days: float, *, on_pbx: bool = False) -> None:
    rid = seed.ids[name] = uuid.uuid4()
    at = seed.now - days * DAY
    await con.execute(
        """INSERT INTO call_recordings (id, name, call_id, started_at, audio, bytes, seconds,
                                        stored_at, removed_at)
           VALUES ($1, $2, $3, $4, $5, 64, 2, $4, $6)""",
        rid, f"call-{name}", seed[call], at, os.urandom(64),
        None if on_pbx else at + timedelta(minutes=1))


async def _draft(con: asyncpg.Connection, seed: Seed, name: str, user: int,
                 call: str | None, days: float) -> None:
    did = seed.ids[name] = uuid.uuid4()
    await con.execute(
        "INSERT INTO drafts (id, user_id, call_id, body, updated_at) VALUES ($1, $2, $3, $4, $5)",
        did, user, seed.ids.get(call or ""), os.urandom(32), seed.now - days * DAY)


async def _audit(con: asyncpg.Connection, seed: Seed, days: float, entity: str,
                 entity_id: object) -> None:
    async with con.transaction():  # one entry per commit: the chain follows commit order
        await con.execute(
            """INSERT INTO audit_log (at, user_id, action, entity, entity_id, fields)
               VALUES ($1, NULL, 'view', $2, $3, '{narrative}')""",
            seed.now - days * DAY, entity, str(entity_id))


async def seed(admin_dsn: str) -> Seed:
    async with connect(admin_dsn) as con:
        now: datetime = await con.fetchval("SELECT now()")
        s = Seed(now)
        users = {r["username"]: r["id"] for r in await con.fetch("SELECT id, username FROM users")}
        op, sup = users["operator1"], users["supervisor1"]
        facility = await con.fetchval("SELECT min(id) FROM facilities")
        await con.execute(
            f"""UPDATE retention_settings SET {", ".join(f"{k}_days = {v}"
                                                         for k, v in LIMITS.items())}""")
        for person in ("p_free", "p_held", "p_released"):
            await _person(con, s, person)
        await _person(con, s, "p_merged", merged_into="p_held")
        await con.execute("INSERT INTO legal_holds (person_id, placed_by) VALUES ($1, $2)",
                          s["p_held"], sup)
        await con.execute(
            """INSERT INTO legal_holds (person_id, placed_by, released_by, released_at)
               VALUES ($1, $2, $2, now())""", s["p_released"], sup)

        # Call records (90 days): 91 days old is due, 89 is not.
        for name, days in (("c_free_old", 91), ("c_new", 89), ("c_held_intake", 91),
                           ("c_held_merged", 91), ("c_held_lookup", 91), ("c_released", 91),
                           ("c_vm_kept", 91), ("c_vm_gone", 91), ("c_vm_held", 91),
                           ("c_vm_unreviewed", 91),
                           ("c_draft", 91), ("c_rec", 11), ("c_rec_held", 11),
                           ("c_d_held", 3), ("c_cr_on_pbx", 91)):
            await _call(con, s, name, days)
        await _call(con, s, "c_open", 91, ended=False)
        await _intake(con, s, "i_free", op, call="c_free_old", person="p_free")
        await _intake(con, s, "i_held", op, call="c_held_intake", person="p_held")
        await _intake(con, s, "i_merged", op, call="c_held_merged", person="p_merged")
        await _intake(con, s, "i_released", op, call="c_released", person="p_released")
        await _intake(con, s, "i_vm_held", op, call="c_vm_held", person="p_held")
        await _intake(con, s, "i_rec_held", op, call="c_rec_held", person="p_held")
        await _intake(con, s, "i_d_held", sup, call="c_d_held", person="p_held")
        await con.execute(
            """INSERT INTO call_lookups (call_id, user_id, a_number_key, person_id)
               VALUES ($1, $2, $3, $4)""", s["c_held_lookup"], op, os.urandom(32), s["p_held"])
        await con.execute("INSERT INTO call_events (call_id, at, kind) VALUES ($1, now(), 'x')",
                          s["c_free_old"])
        await con.execute(
            "INSERT INTO queue_events (at, call_id, kind) VALUES (now(), $1, 'entered')",
            s["c_free_old"])

        # Drafts (2 days).
        await _draft(con, s, "d_old", op, None, 3)
        await _draft(con, s, "d_new", op, "c_draft", 1)
        await _draft(con, s, "d_held", op, "c_d_held", 3)

        # Narratives (365 days).
        await _report(con, s, "r_old", 366, op, facility, person="p_free")
        await _report(con, s, "r_new", 364, op, facility, person="p_free")
        await _report(con, s, "r_held", 366, op, facility, person="p_held")
        await _report(con, s, "r_held_intake", 366, op, facility, intake="i_held")

        # Voicemails (60 days) and their recordings (10 days).
        await _voicemail(con, s, "v_rec_old", "c_rec", 11)
        await _voicemail(con, s, "v_rec_new", "c_rec", 9)
        await _voicemail(con, s, "v_rec_on_pbx", "c_rec", 11, on_pbx=True)
        await _voicemail(con, s, "v_rec_held", "c_rec_held", 11)
        await _voicemail(con, s, "v_vm_kept", "c_vm_kept", 50)
        await _voicemail(con, s, "v_vm_gone", "c_vm_gone", 61)
        await _voicemail(con, s, "v_vm_held", "c_vm_held", 61)
        # Nobody has reviewed it: kept, past both limits, with its audio and its call.
        await _voicemail(con, s, "v_unreviewed", "c_vm_unreviewed", 61, reviewed=False)
        # Recorded calls' audio (10 days, as the voicemails'). A call whose recording is
        # still on the PBX is not removed, however old: the vault would lose the file.
        await _call_recording(con, s, "cr_old", "c_rec", 11)
        await _call_recording(con, s, "cr_new", "c_rec", 9)
        await _call_recording(con, s, "cr_on_pbx", "c_rec", 11, on_pbx=True)
        await _call_recording(con, s, "cr_held", "c_rec_held", 11)
        await _call_recording(con, s, "cr_old_call", "c_cr_on_pbx", 91, on_pbx=True)

        # Audit entries (365 days): three due, then one about a person on hold.
        for days in (400, 400, 399):
            await _audit(con, s, days, "report", uuid.uuid4())
        await _audit(con, s, 398, "person", s["p_held"])
        await _audit(con, s, 397, "report", uuid.uuid4())
        await _audit(con, s, 10, "report", uuid.uuid4())
    return s


async def remaining(dsn: str, seed: Seed) -> dict[str, set[str]]:
    """The seed's rows still there, by table (recordings: voicemails and recorded calls still
    with audio)."""
    queries = {
        "calls": "SELECT id FROM calls",
        "drafts": "SELECT id FROM drafts",
        "narratives": "SELECT id FROM reports WHERE narrative IS NOT NULL",
        "voicemails": "SELECT id FROM voicemails",
        "recordings": """SELECT voicemail_id AS id FROM voicemail_audio WHERE bytes > 0
                         UNION ALL SELECT id FROM call_recordings WHERE audio IS NOT NULL""",
        "revisions": "SELECT entity_id AS id FROM record_revisions",
        "excerpts": "SELECT report_id AS id FROM report_excerpts",
    }
    async with connect(dsn) as con:
        return {table: seed.named([r["id"] for r in await con.fetch(sql)
                                   if r["id"] in seed.ids.values()])
                for table, sql in queries.items()}
