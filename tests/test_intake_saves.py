"""Saving one intake form again and again, against a real PostgreSQL: the same submission
writes nothing, a later one updates the same intake (and a corrected language reaches its
reports), concurrent ones make one intake, saved parts are never emptied, a second form for
a call is refused, outcomes undo."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from lifeline_pbx.cases import (
    binding,
    drafts,
    intake_save,
    pick_lists,
    reopen,
    reports,
)
from lifeline_pbx.cases.forms import OutcomeForm, parse_intake
from lifeline_pbx.errors import Conflict, Forbidden, Invalid, NotFound
from tests.test_cases_store import KEYS, NARRATIVE, World, add_call, intake_form, world

__all__ = ["world"]
TABLES = ("persons", "intakes", "reports", "report_consents", "follow_ups", "audit_log",
          "person_facilities")


async def rows(con: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the case tables, to prove a refused or repeated save changed nothing."""
    return {t: sorted(tuple(r.values()) for r in await con.fetch(f"SELECT * FROM {t}"))
            for t in TABLES}


async def save(w: World, key: uuid.UUID, *, con: asyncpg.Connection | None = None,
               user: int | None = None, more: dict[str, str] | None = None,
               **changes: str) -> intake_save.Saved:
    con = con or w.con
    form = parse_intake(intake_form(w, intake_id=str(key), **(more or {}), **changes),
                        await pick_lists.choices(con))
    return await intake_save.save_intake(con, KEYS, user or w.operator, form)


R1, R2 = str(uuid.uuid4()), str(uuid.uuid4())
SECOND = {"report_id_2": R2, "report_category_2": "use_of_force", "report_severity_2": "low",
          "report_affected_2": "group", "report_narrative_2": "Pepper spray in unit C"}


async def test_the_same_submission_again_writes_nothing(world: World) -> None:
    key = uuid.uuid4()
    first = await save(world, key, report_id=R1, more=SECOND)
    before = await rows(world.con)
    again = await save(world, key, report_id=R1, more=SECOND)
    assert again == intake_save.Saved(first.intake_id, first.person_id, first.report_ids,
                                      first.follow_up_id, False)
    assert first.intake_id == key and [str(r) for r in first.report_ids] == [R1, R2]
    assert await rows(world.con) == before


async def test_a_later_save_updates_the_same_intake(world: World) -> None:
    key = uuid.uuid4()
    await save(world, key, report_id=R1)
    await drafts.save(world.con, KEYS, world.operator, world.call, {"needs_note": "more"})
    later = await save(world, key, report_id=R1, report_narrative=NARRATIVE + " and more",
                       needs_note="more", followup_due="2099-02-01", more=SECOND)
    assert later.changed and len(later.report_ids) == 2
    assert [r["id"] for r in await world.con.fetch("SELECT id FROM intakes")] == [key]
    assert len(await world.con.fetch("SELECT 1 FROM follow_ups")) == 1
    stored = await reopen.form_values(world.con, KEYS, key)
    assert stored[0]["report_narrative"] == NARRATIVE + " and more"
    assert stored[0]["report_narrative_2"] == "Pepper spray in unit C"
    assert stored[0]["needs_note"] == "more" and stored[0]["followup_due"] == "2099-02-01"
    audit = {(r["action"], r["entity"], tuple(r["fields"])) for r in await world.con.fetch(
        "SELECT action, entity, fields FROM audit_log WHERE action = 'update'")}
    assert audit == {("update", "intake", ("needs_note",)),
                     ("update", "report", ("narrative",)),
                     ("update", "follow_up", ("due_on",))}
    assert await drafts.get(world.con, KEYS, world.operator, world.call) is None


async def test_a_corrected_language_moves_the_intakes_reports_in_the_filter(
        world: World) -> None:
    key = uuid.uuid4()
    await save(world, key, report_id=R1, more=SECOND)

    async def found(language: str) -> int:
        return await reports.count(world.con, reports.ReportFilter(language=language))

    assert (await found("es"), await found("ht")) == (2, 0)
    await save(world, key, report_id=R1, language="ht", more=SECOND)
    assert (await found("es"), await found("ht")) == (0, 2)
    await world.con.execute("UPDATE reports SET language = 'es'")  # a repair by hand
    assert (await found("es"), await found("ht")) == (0, 2)


async def test_concurrent_saves_of_one_form_make_one_intake(world: World, app_dsn: str) -> None:
    key = uuid.uuid4()
    cons = [await asyncpg.connect(app_dsn) for _ in range(3)]
    try:
        saved = await asyncio.gather(*(save(world, key, con=con, report_id=R1) for con in cons))
    finally:
        for con in cons:
            await con.close()
    assert {s.intake_id for s in saved} == {key}
    assert sorted(s.changed for s in saved) == [False, False, True]
    for table in ("intakes", "reports", "follow_ups", "persons"):
        assert len(await world.con.fetch(f"SELECT 1 FROM {table}")) == 1, table


@pytest.mark.parametrize(("emptied", "field"), [
    ({"report_category": "", "report_narrative": "", "report_severity": "high"},
     "report_narrative"),
    ({"a_number": "", "person_names": "", "person_dob": "", "person_country": ""}, "a_number"),
    ({"followup_what": "", "followup_due": ""}, "followup_what"),
])
async def test_a_saved_part_is_not_emptied_by_a_later_save(
    world: World, emptied: dict[str, str], field: str
) -> None:
    key = uuid.uuid4()
    await save(world, key, report_id=R1)
    before = await rows(world.con)
    with pytest.raises(Invalid) as refused:
        await save(world, key, report_id=R1, more=emptied)
    assert "already saved" in refused.value.errors[field] or "saved with" in \
        refused.value.errors[field]
    assert await rows(world.con) == before


async def test_a_second_form_for_a_call_and_a_foreign_key_are_refused(world: World) -> None:
    key = uuid.uuid4()
    await save(world, key)
    before = await rows(world.con)
    with pytest.raises(Conflict, match=r"already has an intake.*reload the page"):
        await save(world, uuid.uuid4())
    with pytest.raises(Conflict, match="another intake or call"):
        await save(world, key, user=world.other)
    with pytest.raises(Conflict, match="another intake or call"):
        await save(world, key, call_id=str(await add_call(world.con, world.facility)))
    with pytest.raises(Conflict, match="already has an intake"):
        await intake_save.save_outcome(world.con, KEYS, world.operator,
                                       OutcomeForm(uuid.uuid4(), world.call, "silent"))
    after = await rows(world.con)
    assert after == before


async def test_an_outcome_is_repeated_once_undone_and_then_the_form_saves(world: World) -> None:
    key = uuid.uuid4()
    outcome = OutcomeForm(key, world.call, "test_call")
    assert await intake_save.save_outcome(world.con, KEYS, world.operator, outcome)
    before = await rows(world.con)
    assert not await intake_save.save_outcome(world.con, KEYS, world.operator, outcome)
    assert await rows(world.con) == before
    with pytest.raises(NotFound):
        await intake_save.undo_outcome(world.con, world.other, key)  # not theirs
    await intake_save.undo_outcome(world.con, world.operator, key)
    assert await world.con.fetch("SELECT 1 FROM intakes") == []
    with pytest.raises(NotFound):
        await intake_save.undo_outcome(world.con, world.operator, key)
    saved = await save(world, key)
    assert saved.intake_id == key
    actions = [(r["action"], r["entity"]) for r in await world.con.fetch(
        "SELECT action, entity FROM audit_log WHERE entity = 'intake' ORDER BY id")]
    assert actions == [("create", "intake"), ("delete", "intake"), ("create", "intake")]


async def test_opening_a_form_gives_the_same_key_until_saved_and_then_the_saved_one(
    world: World,
) -> None:
    phone = await world.con.fetchval(
        """INSERT INTO operators (display_name, sip_username, sip_md5_cred)
           VALUES ('Saves', 'op-saves', repeat('0', 32)) RETURNING id""")
    await world.con.execute("UPDATE users SET operator_id = $1 WHERE id = $2", phone,
                            world.operator)
    await world.con.execute("UPDATE calls SET operator_id = $1", phone)
    bound = await binding.resolve(world.con, world.operator, False, world.call, None)
    assert (bound.kind, bound.facility_id) == ("call", world.facility)
    with pytest.raises(Forbidden, match="not put through to your phone"):
        await binding.resolve(world.con, world.other, False, world.call, None)
    opened = await binding.open_form(world.con, KEYS, world.operator, bound)
    first = opened.key
    again = await binding.open_form(world.con, KEYS, world.operator, bound)
    assert first == again.key and not opened.saved and opened.draft_at is None
    standalone = await binding.open_form(world.con, KEYS, world.operator, binding.STANDALONE)
    assert standalone.key != first and standalone.fields == {"intake_id": str(standalone.key)}
    await save(world, first, report_id=R1)
    reopened = await binding.open_form(world.con, KEYS, world.operator, bound)
    assert (reopened.key, reopened.saved) == (first, True)
    fields = reopened.fields
    assert fields["report_narrative"] == NARRATIVE and fields["a_number"] == "A098-765-432"
    views = {r["entity"] for r in await world.con.fetch(
        "SELECT entity FROM audit_log WHERE action = 'view'")}
    assert views == {"intake", "person", "report", "follow_up"}
