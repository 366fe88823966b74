"""Records filed under the wrong facility or person, put right over HTTP against the
running app and PostgreSQL: a report moved to its facility (every count follows, the
person's "Held at" does not), an intake's reports moved with it when ticked, and an intake
filed under the wrong person moved to the right one with what it added taken off."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest

from tests.test_cases_web import intake, save
from tests.test_evidence_web import heat_rows
from tests.test_revisions_web import audit
from tests.web_fixtures import WebApp

AHMED = "A111222333"
REASON = "Typed under the line called; it happened at the other facility"
VALLEY = "Example Valley ICE Processing Center"
COUNTY = "Demo County Processing Center"


async def facilities(web: WebApp) -> dict[str, int]:
    return {r["name"]: r["id"] for r in await web.sql("SELECT id, name FROM facilities")}


async def evidence_by_facility(web: WebApp) -> dict[str, int]:
    """The evidence heat map's reports per facility this month (its totals column)."""
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/evidence?from={month}&to={month}")
    assert status == 200
    return {label: total for label, (_, total) in heat_rows(page).items()}


async def saved_report(web: WebApp, facility: int) -> dict[str, Any]:
    operator = await web.signed_in("operator1")
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()),
                        facility_id=str(facility), person_facility=str(facility))
    assert (await save(operator, form))[0] == 200
    return form


def report_correction(form: dict[str, Any], revision: str = "0",
                      **changed: str) -> dict[str, str]:
    fields = ("report_category", "report_severity", "report_affected", "report_housing_unit",
              "report_narrative", "report_consent")
    return {"revision": revision, **{k: form[k] for k in fields}, **changed}


async def test_a_reports_facility_is_corrected_with_a_reason_and_every_count_follows(
    web: WebApp
) -> None:
    ids = await facilities(web)
    form = await saved_report(web, ids[VALLEY])
    rid = form["report_id"]
    held = await web.sql("SELECT * FROM person_facilities ORDER BY id")
    assert (await evidence_by_facility(web)).get(VALLEY) == 1
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/reports/{rid}/correct")
    assert status == 200 and f'<option value="{ids[VALLEY]}" selected>' in page

    moved = report_correction(form, report_facility=str(ids[COUNTY]))
    status, page = await supervisor.post(f"/reports/{rid}/correct", moved)
    assert status == 422 and 'data-error-for="reason"' in page  # no reason: nothing saved
    assert f'<option value="{ids[COUNTY]}" selected>' in page  # what was typed, kept
    assert await web.sql("SELECT * FROM record_revisions") == []
    status, _ = await supervisor.post(f"/reports/{rid}/correct", {**moved, "reason": REASON})
    assert status == 303

    assert (await web.sql("SELECT facility_id FROM reports"))[0]["facility_id"] == ids[COUNTY]
    counts = await evidence_by_facility(web)
    assert counts.get(COUNTY) == 1 and VALLEY not in counts
    rows = await web.sql("SELECT * FROM record_revisions ORDER BY number")
    assert [(list(r["fields"]), r["facility_from"], r["facility_to"]) for r in rows] == [
        ([], None, None), (["facility"], ids[VALLEY], ids[COUNTY])]
    assert REASON.encode() not in rows[1]["content"]  # sealed with the revision
    status, page = await supervisor.get(f"/reports/{rid}")
    assert f'revision-fields">Facility: {VALLEY} → {COUNTY}<' in page
    status, page = await supervisor.get(f"/reports/{rid}/revisions/2")
    assert REASON in page and "Why it was corrected" in page
    # Where the person is held is theirs: no transfer was made up.
    assert await web.sql("SELECT * FROM person_facilities ORDER BY id") == held
    assert ("update", "report", rid, ["facility"]) in await audit(web)
    with pytest.raises(asyncpg.RaiseError, match="kept as written"):
        await web.sql("UPDATE record_revisions SET facility_to = facility_from")


async def test_an_intakes_reports_move_with_its_facility_only_when_ticked(web: WebApp) -> None:
    ids = await facilities(web)
    form = await saved_report(web, ids[VALLEY])
    iid = form["intake_id"]
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/intakes/{iid}/correct")
    assert status == 200 and 'id="correct-move-reports"' in page and VALLEY in page
    fields = ("language", "needs_medical", "needs_note", "family_name", "family_phone",
              "family_message", "family_consent")
    base = {"triage": "0", **{k: form[k] for k in fields},
            "facility_id": str(ids[COUNTY])}
    status, _ = await supervisor.post(f"/intakes/{iid}/correct",
                                      {**base, "revision": "0", "reason": REASON})
    assert status == 303
    assert (await web.sql("SELECT facility_id FROM reports"))[0]["facility_id"] == ids[VALLEY]
    status, page = await supervisor.get(f"/intakes/{iid}/revisions")
    assert f'revision-fields">Facility: {VALLEY} → {COUNTY}<' in page

    # Ticked later, with the intake unchanged: its reports follow it.
    status, _ = await supervisor.post(f"/intakes/{iid}/correct", {
        **base, "revision": "2", "reason": REASON, "move_reports": "on"})
    assert status == 303
    assert (await web.sql("SELECT facility_id FROM reports"))[0]["facility_id"] == ids[COUNTY]
    assert (await evidence_by_facility(web)).get(COUNTY) == 1
    assert len(await web.sql("SELECT 1 FROM person_facilities")) == 1  # no transfer


async def misfiled(web: WebApp) -> dict[str, Any]:
    """Ahmed's record (operator1's intake at Example Valley), then a supervisor's intake
    about Maria typed under Ahmed's A-number, at Demo County, in Spanish."""
    ids = await facilities(web)
    operator = await web.signed_in("operator1")
    ahmed = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()),
                         a_number=AHMED, person_names="Ahmed Ali", language="ar",
                         facility_id=str(ids[VALLEY]), person_facility=str(ids[VALLEY]))
    assert (await save(operator, ahmed))[0] == 200
    supervisor = await web.signed_in("supervisor1")
    maria = await intake(web, "Maria's report", intake_id=str(uuid.uuid4()),
                         report_id=str(uuid.uuid4()), a_number=AHMED, call_id="",
                         person_names="Maria Lopez", language="es",
                         facility_id=str(ids[COUNTY]), person_facility=str(ids[COUNTY]))
    status, body = await save(supervisor, maria)
    assert status == 200, body
    return maria


async def test_an_intake_under_the_wrong_person_moves_with_what_it_added(web: WebApp) -> None:
    ids = await facilities(web)
    maria = await misfiled(web)
    iid, rid = maria["intake_id"], maria["report_id"]
    ahmed_id = (await web.sql("SELECT person_id FROM intakes WHERE id = $1",
                              uuid.UUID(iid)))[0]["person_id"]
    row = (await web.sql("SELECT languages, facility_id FROM persons"))[0]
    assert (list(row["languages"]), row["facility_id"]) == (["ar", "es"], ids[COUNTY])
    held = await web.sql("SELECT id, facility_id FROM person_facilities ORDER BY id")
    assert [h["facility_id"] for h in held] == [ids[VALLEY], ids[COUNTY]]  # made up

    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/intakes/{iid}/move")
    assert status == 200 and "names, country, languages, facility" in page
    assert f'name="remove_facility" value="{held[1]["id"]}" checked' in page
    move = {"revision": "0", "a_number": "A999888777", "person_names": "Maria Lopez",
            "person_facility": str(ids[COUNTY]), "person_languages": "es",
            "remove_names": "Maria Lopez", "remove_languages": "es",
            "remove_facility": str(held[1]["id"])}
    before = await web.sql("SELECT * FROM intakes ORDER BY id")
    status, page = await supervisor.post(f"/intakes/{iid}/move", move)
    assert status == 422 and 'data-error-for="reason"' in page and "A999888777" in page
    assert await web.sql("SELECT * FROM intakes ORDER BY id") == before
    status, _ = await supervisor.post(f"/intakes/{iid}/move", {**move, "reason": REASON})
    assert status == 303
    maria_id = uuid.UUID(supervisor.last["location"].split("/")[2].split("?")[0])

    assert {r["person_id"] for r in await web.sql(
        "SELECT person_id FROM reports WHERE intake_id = $1 UNION "
        "SELECT person_id FROM follow_ups WHERE intake_id = $1 UNION "
        "SELECT person_id FROM intakes WHERE id = $1", uuid.UUID(iid))} == {maria_id}
    rows = {r["id"]: r for r in await web.sql("SELECT * FROM persons")}
    assert (list(rows[ahmed_id]["languages"]), rows[ahmed_id]["facility_id"]) == (
        ["ar"], ids[VALLEY])
    assert (list(rows[maria_id]["languages"]), rows[maria_id]["facility_id"]) == (
        ["es"], ids[COUNTY])
    entries = await web.sql("SELECT * FROM person_facilities WHERE person_id = $1 "
                            "ORDER BY id", ahmed_id)
    assert [(e["facility_id"], e["struck_at"] is not None) for e in entries] == [
        (ids[VALLEY], False), (ids[COUNTY], True)]  # struck, kept; no move back added

    status, page = await supervisor.get(f"/people/{ahmed_id}")
    assert "Maria Lopez" not in page and "Ahmed Ali" in page
    assert COUNTY not in page.split('id="person-held-at"')[1].split("</ul>")[0]
    assert 'id="person-held-struck"' in page
    assert (f'moved from here to <a href="/people/{maria_id}">another record</a>, taking off '
            "this record 1 name, 1 language and a Held at entry") in page
    status, page = await supervisor.get(f"/people/{maria_id}")
    assert f'moved here from <a href="/people/{ahmed_id}">another record</a>' in page
    assert f'data-intake="{iid}"' in page
    status, page = await supervisor.get(f"/reports/{rid}")
    assert "Person: moved to another person&#39;s record" in page

    entries_ = await audit(web)
    assert ("update", "intake", iid, ["person_id"]) in entries_
    assert ("update", "report", rid, ["person_id"]) in entries_
    assert ("update", "person", str(ahmed_id), ["facility", "intakes", "languages",
                                                "names"]) in entries_
    assert ("update", "person", str(maria_id), ["intakes"]) in entries_
    assert (await web.sql("SELECT count(DISTINCT person_id) AS n FROM reports"))[0]["n"] == 2


async def test_an_operator_cannot_move_an_intake_and_moving_onto_the_same_person_is_refused(
    web: WebApp
) -> None:
    maria = await misfiled(web)
    iid = maria["intake_id"]
    before = await web.sql("SELECT * FROM intakes ORDER BY id")
    operator = await web.signed_in("operator1")
    assert (await operator.get(f"/intakes/{iid}/move"))[0] == 403
    move = {"revision": "0", "a_number": AHMED, "reason": REASON}
    assert (await operator.post(f"/intakes/{iid}/move", move))[0] == 403
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.post(f"/intakes/{iid}/move", move)
    assert status == 422 and "already filed under that person" in page and REASON in page
    status, page = await supervisor.post(f"/intakes/{iid}/move",
                                         {**move, "a_number": "A999888777",
                                          "remove_names": "Nobody"})
    assert status == 409 and "Not on this person" in page
    assert await web.sql("SELECT * FROM intakes ORDER BY id") == before
    assert len(await web.sql("SELECT * FROM persons")) == 1  # the refused move created no one
    assert await web.sql("SELECT * FROM intake_moves") == []

