"""Corrections with history over HTTP against the running app: the author corrects a
narrative during wrap-up, a supervisor reads both versions and corrects again, every
revision and every view of an old one is audited, and nothing sealed is stored in clear."""

from __future__ import annotations

import json
import re
import uuid

import asyncpg
import pytest

from tests.test_cases_web import JSON, intake, save
from tests.web_fixtures import WebApp

FIRST = "Kept in a cold cell for two days"
SECOND = "Kept in a cold cell for three days, no blanket"
THIRD = "Kept in a cold cell for three days (unit C), no blanket"


async def audit(web: WebApp) -> list[tuple[str, str, str, list[str]]]:
    return [(r["action"], r["entity"], r["entity_id"], list(r["fields"]))
            for r in await web.sql("SELECT * FROM audit_log ORDER BY id")]


async def test_a_corrected_narrative_keeps_both_versions_read_by_a_supervisor(
    web: WebApp
) -> None:
    operator = await web.signed_in("operator1")
    form = await intake(web, report_narrative=FIRST, intake_id=str(uuid.uuid4()),
                        report_id=str(uuid.uuid4()))
    assert (await save(operator, form))[0] == 200
    rid = form["report_id"]
    assert await web.sql("SELECT * FROM record_revisions") == []  # saved once: no history
    status, body = await save(operator, {**form, "report_narrative": SECOND})
    assert (status, body["changed"]) == (200, True)  # the author, during wrap-up
    rows = await web.sql("SELECT * FROM record_revisions ORDER BY number")
    assert [(r["entity"], str(r["entity_id"]), r["number"], r["fields"]) for r in rows] == [
        ("report", rid, 1, []), ("report", rid, 2, ["narrative"])]
    for row in rows:
        assert FIRST.encode() not in row["content"] and b"cold cell" not in row["content"]
    author = (await web.sql("SELECT id FROM users WHERE username = 'operator1'"))[0]["id"]
    assert {r["author_id"] for r in rows} == {author}

    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/reports/{rid}")
    assert status == 200 and SECOND in page and FIRST not in page
    assert "Revision 1" in page and "Revision 2" in page
    assert 'revision-fields">What happened<' in page
    for number, text in ((1, FIRST), (2, SECOND)):
        status, page = await supervisor.get(f"/reports/{rid}/revisions/{number}")
        assert status == 200 and text in page, number
    entries = await audit(web)
    assert ("update", "report", rid, ["narrative"]) in entries
    assert ("view", "report", rid, ["history"]) in entries
    for number in (1, 2):
        assert any(e[:3] == ("view", "report_revision", f"{rid}/{number}")
                   and "narrative" in e[3] for e in entries), number

    status, page = await supervisor.get(f"/reports/{rid}/correct")
    assert status == 200 and 'name="revision" value="2"' in page and SECOND in page
    correction = {"revision": "2", "report_category": "medical_neglect",
                  "report_severity": "high", "report_affected": "group",
                  "report_housing_unit": "C", "report_narrative": THIRD,
                  "report_consent": form["report_consent"]}
    status, _ = await supervisor.post(f"/reports/{rid}/correct", correction)
    assert status == 303 and supervisor.last["location"].startswith(f"/reports/{rid}?")
    assert [r["number"] for r in await web.sql("SELECT number FROM record_revisions")] == [
        1, 2, 3]
    status, page = await supervisor.get(f"/reports/{rid}/revisions/3")
    assert status == 200 and THIRD in page and "Supervisor" in page
    assert [list(r["fields"]) for r in await web.sql(
        "SELECT fields FROM record_revisions WHERE number = 3")] == [
        ["housing_unit", "narrative", "severity"]]
    before = await web.sql("SELECT * FROM record_revisions ORDER BY number")
    status, page = await supervisor.post(f"/reports/{rid}/correct",  # typed over revision 2
                                         {**correction, "report_narrative": "x"})
    assert status == 409 and "while you were typing" in page and ">x</textarea>" in page
    status, page = await supervisor.post(f"/reports/{rid}/correct",
                                         {**correction, "revision": "3"})
    assert status == 422 and "Nothing to correct" in page
    assert await web.sql("SELECT * FROM record_revisions ORDER BY number") == before


async def test_intake_and_follow_up_corrections_are_revisions_too(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()))
    assert (await save(operator, form))[0] == 200
    iid = form["intake_id"]
    status, _ = await save(operator, {**form, "needs_note": "Insulin, twice a day",
                                      "followup_what": "Phone the clinic"})
    assert status == 200
    entities = {(r["entity"], r["number"]) for r in await web.sql(
        "SELECT entity, number FROM record_revisions")}
    assert entities == {("intake", 1), ("intake", 2), ("follow_up", 1), ("follow_up", 2)}
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/intakes/{iid}/revisions")
    assert status == 200 and 'revision-fields">Needs note<' in page
    status, page = await supervisor.get(f"/intakes/{iid}/revisions/1")
    assert status == 200 and "Denied insulin" in page and "Insulin, twice" not in page

    fid = str((await web.sql("SELECT id FROM follow_ups"))[0]["id"])
    status, page = await supervisor.get(f"/follow-ups/{fid}")
    assert status == 200 and 'name="revision" value="2"' in page
    status, _ = await supervisor.post(f"/follow-ups/{fid}/correct",
                                      {"revision": "2", "what": "Phone the clinic in Spanish"})
    assert status == 303
    status, page = await supervisor.get(f"/follow-ups/{fid}")
    assert "Phone the clinic in Spanish" in page and "Revision 3" in page
    status, page = await supervisor.get(f"/follow-ups/{fid}/revisions/1")
    assert status == 200 and "Follow Denied insulin" in page
    for path in (f"/follow-ups/{fid}/revisions/4", f"/reports/{uuid.uuid4()}/revisions",
                 f"/intakes/{iid}/revisions/x"):
        status, _ = await supervisor.get(path)
        assert status == 404, path
    status, text = await supervisor.post(f"/follow-ups/{fid}/correct",
                                         {"revision": "3", "what": ""})
    assert status == 422 and re.search('id="correct-what-error">Enter what is to be done', text)
    status, text = await supervisor.post(f"/follow-ups/{fid}/correct",
                                         {"revision": "2", "what": "Typed over an old one"})
    assert status == 409 and ">Typed over an old one</textarea>" in text


async def test_rows_cannot_be_rewritten_or_removed(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()))
    await save(operator, form)
    await save(operator, {**form, "report_narrative": SECOND})
    for sql in ("UPDATE record_revisions SET fields = '{}'",
                "UPDATE record_revisions SET number = number + 10",
                "DELETE FROM record_revisions"):
        with pytest.raises(asyncpg.RaiseError, match="kept as written"):
            await web.sql(sql)
    assert len(await web.sql("SELECT * FROM record_revisions")) == 2
    status, text = await operator.get(f"/people/lookup?a_number={form['a_number']}"
                                      f"&call_id={form['call_id']}", headers=JSON)
    assert status == 200 and json.loads(text)["found"]
