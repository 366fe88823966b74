"""The case record against a real PostgreSQL: sealing, lookup, one transaction, drafts,
merge, audit and follow-ups."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from multidict import MultiDict

from lifeline_pbx import crypto
from lifeline_pbx.cases import (
    anumber,
    drafts,
    followup_thread,
    followup_work,
    followups,
    intake_save,
    people,
    person_merge,
    person_work,
    pick_lists,
    proposal_work,
)
from lifeline_pbx.cases.followup_rules import Change
from lifeline_pbx.cases.forms import OutcomeForm, parse_intake
from lifeline_pbx.errors import Conflict, Invalid, NotFound
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
NAME = "Zyxwer Quompton"
NARRATIVE = "Guards denied insulin to the caller for nine days straight"
A_NUMBER = "A098765432"
DOB = "1987-02-13"


@dataclass
class World:
    con: asyncpg.Connection
    operator: int
    other: int
    supervisor: int
    facility: int
    facility2: int
    call: uuid.UUID


async def add_user(con: asyncpg.Connection, username: str, role: str) -> int:
    user_id: int = await con.fetchval(
        """INSERT INTO users (username, display_name, role, password_hash)
           VALUES ($1, $1, $2, 'x') RETURNING id""", username, role)
    return user_id


async def add_call(con: asyncpg.Connection, facility: int) -> uuid.UUID:
    call_id = uuid.uuid4()
    await con.execute(
        """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                              caller_name, started_at)
           VALUES ($1, 'c', 'PJSIP/c', '100', $2, '', '', now())""", call_id, facility)
    return call_id


@pytest.fixture
async def world(app_dsn: str) -> AsyncIterator[World]:
    con = await asyncpg.connect(app_dsn)
    try:
        facilities = [r["id"] for r in await con.fetch("SELECT id FROM facilities ORDER BY id")]
        await con.execute("INSERT INTO partners (name, kind) VALUES ('Legal Aid', 'legal')")
        yield World(con, await add_user(con, "op1", "operator"),
                    await add_user(con, "op2", "operator"),
                    await add_user(con, "sup", "supervisor"),
                    facilities[0], facilities[1], await add_call(con, facilities[0]))
    finally:
        await con.close()


def intake_form(w: World, **changes: str) -> MultiDict[str]:
    data = MultiDict({
        "call_id": str(w.call), "facility_id": str(w.facility), "language": "es",
        "a_number": A_NUMBER, "person_names": NAME, "person_dob": DOB,
        "person_country": "Honduras", "person_facility": str(w.facility),
        "needs_medical": "on", "report_category": "medical_neglect",
        "report_severity": "high", "report_affected": "person", "report_narrative": NARRATIVE,
        "followup_what": "Phone the medical partner", "followup_due": "2099-01-01",
        "followup_assignee": str(w.operator),
    })
    for key, value in changes.items():
        data[key] = value
    return data


async def save(w: World, user: int | None = None, **changes: str) -> intake_save.Saved:
    choices = await pick_lists.choices(w.con)
    form = parse_intake(intake_form(w, **changes), choices)
    return await intake_save.save_intake(w.con, KEYS, user or w.operator, form)


async def count(con: asyncpg.Connection, table: str) -> int:
    value: int = await con.fetchval(f"SELECT count(*) FROM {table}")
    return value


async def test_raw_rows_hold_no_plaintext(world: World) -> None:
    await drafts.save(world.con, KEYS, world.operator, world.call, {"narrative": NARRATIVE})
    await save(world, call_id=str(await add_call(world.con, world.facility)))
    secrets = [NAME, NARRATIVE, "098765432", "98765432", DOB, "Phone the medical"]
    for table in ("persons", "intakes", "reports", "follow_ups", "drafts", "audit_log",
                  "person_facilities"):
        for row in await world.con.fetch(f"SELECT * FROM {table}"):
            raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
            for secret in secrets:
                assert secret.encode() not in raw, (table, secret)


async def test_lookup_finds_the_person_across_formats(world: World) -> None:
    saved = await save(world)
    for typed in ("A098765432", "98765432", "A-098-765-432", "a 98 765 432"):
        found = await people.find_by_a_number(world.con, KEYS, anumber.normalise(typed))
        assert found is not None and found.id == saved.person_id
        assert found.names == (NAME,) and found.date_of_birth == dt.date(1987, 2, 13)
    assert await people.find_by_a_number(world.con, KEYS, "012345678") is None


async def test_a_repeat_call_proposes_changes_and_the_accepted_transfer_is_noted(
    world: World
) -> None:
    first = await save(world)
    call2 = await add_call(world.con, world.facility2)
    second = await save(world, call_id=str(call2), person_names="Zyxwer Quompten",
                        person_facility=str(world.facility2), report_category="",
                        report_narrative="", followup_what="", followup_due="")
    assert second.person_id == first.person_id and second.report_ids == ()
    person = await people.get(world.con, KEYS, first.person_id)  # type: ignore[arg-type]
    assert person is not None  # an operator's intake proposes; the record is unchanged
    assert person.names == (NAME,) and person.facility_id == world.facility
    proposal = await world.con.fetchval("SELECT id FROM person_proposals")
    await proposal_work.decide(world.con, KEYS, proposal, "accept", world.supervisor)
    person = await people.get(world.con, KEYS, first.person_id)  # type: ignore[arg-type]
    assert person is not None
    assert person.names == (NAME, "Zyxwer Quompten") and person.facility_id == world.facility2
    history = await person_work.history(world.con, KEYS, person, world.supervisor)
    assert [t.facility_id for t in history.transfers] == [world.facility, world.facility2]
    assert len(history.intakes) == 2 and len(history.reports) == 1
    assert [f.what for f in history.follow_ups] == ["Phone the medical partner"]
    audit = await world.con.fetch("SELECT action, entity, fields FROM audit_log ORDER BY id")
    assert ("update", "person", ["facility_id", "names"]) in [tuple(r) for r in audit]
    assert audit[-1]["action"] == "view" and "narrative" not in audit[-1]["fields"]


async def test_an_invalid_report_saves_nothing(world: World) -> None:
    with pytest.raises(Invalid):
        await save(world, report_narrative="")
    # and a database refusal half-way (a call that does not exist) rolls everything back
    with pytest.raises(NotFound):
        await save(world, call_id=str(uuid.uuid4()))
    for table in ("persons", "intakes", "reports", "follow_ups", "audit_log"):
        assert await count(world.con, table) == 0, table


async def test_saving_deletes_the_draft_and_twice_is_a_conflict(world: World) -> None:
    await drafts.save(world.con, KEYS, world.operator, world.call, {"a_number": "A1"})
    await save(world)
    assert await drafts.get(world.con, KEYS, world.operator, world.call) is None
    with pytest.raises(Conflict):
        await save(world)
    assert await count(world.con, "intakes") == 1


async def test_drafts_are_per_user(world: World) -> None:
    await drafts.save(world.con, KEYS, world.operator, world.call, {"note": "one"})
    await drafts.save(world.con, KEYS, world.operator, world.call, {"note": "two"})
    mine = await drafts.get(world.con, KEYS, world.operator, world.call)
    assert mine is not None and mine.body == {"note": "two"}
    assert await drafts.get(world.con, KEYS, world.other, world.call) is None
    await drafts.delete(world.con, world.other, world.call)  # not theirs: nothing happens
    assert await drafts.get(world.con, KEYS, world.operator, world.call) is not None
    assert await count(world.con, "drafts") == 1


async def test_outcome_only_intake(world: World) -> None:
    intake_id = uuid.uuid4()
    assert await intake_save.save_outcome(world.con, KEYS, world.operator,
                                          OutcomeForm(intake_id, world.call, "silent"))
    row = await world.con.fetchrow("SELECT * FROM intakes WHERE id = $1", intake_id)
    assert row is not None
    assert row["outcome"] == "silent" and row["person_id"] is None
    assert row["facility_id"] == world.facility
    with pytest.raises(Conflict):
        await intake_save.save_outcome(world.con, KEYS, world.operator,
                                       OutcomeForm(uuid.uuid4(), world.call, "hung_up"))


async def test_merge_moves_everything_to_the_kept_person(world: World) -> None:
    kept = await save(world)
    call2 = await add_call(world.con, world.facility)
    dup = await save(world, call_id=str(call2), a_number="A098765433",
                     person_names="Z. Quompton")
    assert kept.person_id and dup.person_id and kept.person_id != dup.person_id
    preview = await person_merge.preview(world.con, KEYS, kept.person_id, "098765433",
                                         world.supervisor)
    assert preview.other.id == dup.person_id
    assert preview.moves == people.Moves(intakes=1, calls=1, reports=1, follow_ups=1,
                                         transfers=1, holds=0, records=0)
    assert not await world.con.fetch("SELECT 1 FROM audit_log WHERE action = 'merge'")
    await person_merge.confirm(world.con, KEYS, kept.person_id, dup.person_id, preview.mark,
                               world.supervisor)
    found = await people.find_by_a_number(world.con, KEYS, "098765433")
    assert found is not None and found.id == kept.person_id
    assert found.names == (NAME, "Z. Quompton")
    history = await person_work.history(world.con, KEYS, found, world.supervisor)
    assert len(history.intakes) == 2 and len(history.reports) == 2
    assert len(history.follow_ups) == 2
    merges = await world.con.fetch(
        "SELECT entity, entity_id, fields FROM audit_log WHERE action = 'merge' ORDER BY id")
    people_merged = [r for r in merges if r["entity"] == "person"]
    assert [r["entity_id"] for r in people_merged] == [str(kept.person_id), str(dup.person_id)]
    assert [r["entity"] for r in merges].count("report") == 1  # the report it moved
    assert [r["entity"] for r in merges].count("person_facility") == 1  # its Held at entry
    assert "intakes" in people_merged[0]["fields"]
    with pytest.raises(Conflict, match="already one person"):
        await person_merge.confirm(world.con, KEYS, kept.person_id, dup.person_id,
                                   preview.mark, world.supervisor)


async def test_audit_names_fields_never_values(world: World) -> None:
    saved = await save(world)
    await person_work.open_report(world.con, KEYS, saved.report_ids[0], world.supervisor)
    rows = await world.con.fetch("SELECT user_id, action, entity, fields FROM audit_log")
    seen = {(r["action"], r["entity"]) for r in rows}
    assert seen == {("create", "person"), ("create", "intake"), ("create", "report"),
                    ("create", "follow_up"), ("view", "report")}
    person = next(r for r in rows if r["entity"] == "person")
    assert person["fields"] == ["a_number", "country", "date_of_birth", "facility_id",
                                "languages", "names"]
    view = next(r for r in rows if r["action"] == "view")
    assert view["user_id"] == world.supervisor and "narrative" in view["fields"]
    with pytest.raises(asyncpg.InsufficientPrivilegeError):  # the app role (test_audit_roles)
        await world.con.execute("DELETE FROM audit_log")


async def test_follow_ups_filtered_and_changed(world: World) -> None:
    saved = await save(world)
    late = uuid.uuid4()
    await world.con.execute(
        """INSERT INTO follow_ups (id, what, assignee_id, due_on, created_by)
           VALUES ($1, $2, $3, $4, $3)""",
        late, KEYS.seal("Visit", crypto.place("follow_ups", "what", late)), world.other,
        dt.date.today() - dt.timedelta(days=1))
    today = dt.date.today()

    async def found(where: followups.Filter) -> list[uuid.UUID]:
        rows = await followups.search(world.con, KEYS, where, today, offset=0, limit=25)
        assert len(rows) == await followups.count(world.con, where, today)
        return [f.id for f in rows]

    mine = await followups.search(world.con, KEYS, followups.Filter(assignee_id=world.operator),
                                  today, offset=0, limit=25)
    assert [f.id for f in mine] == [saved.follow_up_id]
    assert mine[0].person is not None and mine[0].person.names == (NAME,)
    assert mine[0].person.a_number == anumber.display("098765432")
    assert await found(followups.Filter(overdue=True)) == [late]
    assert await found(followups.Filter(assignee_id=world.operator, overdue=True)) == []
    assert await found(followups.Filter(facility_id=world.facility)) == [saved.follow_up_id]
    opened = (await followup_work.follow_up_page(world.con, KEYS, late, world.supervisor,
                                                 True)).mark
    await followup_work.change(world.con, late, world.supervisor, True,
                               Change(status="done", set_assignee=True,
                                      assignee_id=world.operator), opened, today)
    assert await found(followups.Filter(overdue=True)) == []
    assert await found(followups.Filter(status="done", assignee_id=world.operator)) == [late]
    changes = await followup_thread.history(world.con, late)
    assert [(c.field, c.old, c.new) for c in changes] == [("status", "open", "done"),
                                                          ("assignee", "op2", "op1")]
    with pytest.raises(NotFound):
        await followup_work.change(world.con, uuid.uuid4(), world.supervisor, True,
                                   Change(status="done"), "", today)
