"""A supervisor's correction of an intake's own fields, over HTTP against the running app:
the needs note and family contact corrected as a new revision with both versions readable
and audited, an operator refused with nothing changed, a correction typed over an older
revision refused with what was typed shown again and nothing written."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.test_cases_web import JSON, intake, new_call, save
from tests.test_revisions_web import audit
from tests.web_fixtures import Client, WebApp

NOTE = "Insulin twice a day, denied since Monday"
FAMILY = "Rosa Pérez"
FAMILY_PHONE = "+1 555 0199"


async def saved_intake(web: WebApp) -> dict[str, Any]:
    """An intake an operator saved (needs note and family contact "Denied insulin")."""
    operator = await web.signed_in("operator1")
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()))
    assert (await save(operator, form))[0] == 200
    return form


def correction(form: dict[str, Any], **changed: str) -> dict[str, str]:
    """The correction page's fields as the intake form left them, with `changed`."""
    fields = ("facility_id", "language", "needs_medical", "needs_note", "family_name",
              "family_phone", "family_message", "family_consent")
    return {"revision": "0", "triage": "0", **{k: form[k] for k in fields}, **changed}


async def rows(web: WebApp, intake_id: str) -> tuple[Any, ...]:
    """Everything a correction would write: the intake's row, its revisions, its audit."""
    return (await web.sql("SELECT * FROM intakes WHERE id = $1", uuid.UUID(intake_id)),
            await web.sql("SELECT * FROM record_revisions ORDER BY number"),
            await web.sql("SELECT * FROM audit_log WHERE action = 'update' ORDER BY id"))


async def test_a_supervisor_corrects_the_needs_note_and_family_contact(web: WebApp) -> None:
    form = await saved_intake(web)
    iid = form["intake_id"]
    supervisor = await web.signed_in("supervisor1")
    person_id = (await web.sql("SELECT person_id FROM intakes"))[0]["person_id"]
    status, page = await supervisor.get(f"/people/{person_id}")
    assert status == 200 and f'href="/intakes/{iid}/correct"' in page

    status, page = await supervisor.get(f"/intakes/{iid}/correct")
    assert status == 200 and 'name="revision" value="0"' in page
    assert ">Denied insulin</textarea>" in page and 'value="Denied insulin"' in page
    assert "Never corrected." in page
    status, _ = await supervisor.post(f"/intakes/{iid}/correct", correction(
        form, needs_note=NOTE, family_name=FAMILY, family_phone=FAMILY_PHONE))
    assert status == 303 and supervisor.last["location"] == f"/intakes/{iid}/revisions?corrected=1"

    revisions = await web.sql("SELECT * FROM record_revisions ORDER BY number")
    assert [(r["entity"], str(r["entity_id"]), r["number"], list(r["fields"]))
            for r in revisions] == [("intake", iid, 1, []),
                                    ("intake", iid, 2, ["family_contact", "needs_note"])]
    users = {r["username"]: r["id"] for r in await web.sql("SELECT id, username FROM users")}
    assert [r["author_id"] for r in revisions] == [users["operator1"], users["supervisor1"]]
    row = (await web.sql("SELECT * FROM intakes"))[0]
    assert (str(row["call_id"]), row["person_id"], row["user_id"], row["outcome"]) == (
        form["call_id"], person_id, users["operator1"], "intake")
    assert row["family_consent"] and list(row["needs"]) == ["medical", "family"]
    for sealed in (row["needs_note"], row["family_contact"],
                   *(r["content"] for r in revisions)):
        for text in (NOTE, FAMILY, "Denied insulin", "0199"):
            assert text.encode() not in sealed, text

    status, page = await supervisor.get(f"/intakes/{iid}/revisions?corrected=1")
    assert status == 200 and 'id="record-corrected"' in page
    assert 'revision-fields">Needs note, Family contact<' in page
    status, page = await supervisor.get(f"/intakes/{iid}/revisions/1")
    assert status == 200 and "Denied insulin" in page and NOTE not in page and FAMILY not in page
    status, page = await supervisor.get(f"/intakes/{iid}/revisions/2")
    assert status == 200 and NOTE in page and FAMILY in page and FAMILY_PHONE in page
    assert re.search(r'revision-needs_note" data-corrected="1">' + NOTE, page)
    status, page = await supervisor.get(f"/people/{person_id}")
    assert NOTE in page and FAMILY in page and "Denied insulin</div>" not in page

    entries = await audit(web)
    assert ("update", "intake", iid, ["family_contact", "needs_note"]) in entries
    assert any(e[:3] == ("view", "intake", iid) and "needs_note" in e[3]
               and "family_contact" in e[3] for e in entries)  # the correction page, opened
    assert ("view", "intake", iid, ["history"]) in entries
    for number in (1, 2):
        assert any(e[:3] == ("view", "intake_revision", f"{iid}/{number}")
                   and "needs_note" in e[3] for e in entries), number


async def test_an_operator_cannot_use_the_supervisors_correction(web: WebApp) -> None:
    form = await saved_intake(web)
    iid = form["intake_id"]
    before = await rows(web, iid)
    operator = await web.signed_in("operator1")  # the author, still in wrap-up
    status, _ = await operator.get(f"/intakes/{iid}/correct")
    assert status == 403
    status, _ = await operator.post(f"/intakes/{iid}/correct",
                                    correction(form, needs_note=NOTE))
    assert status == 403
    assert await rows(web, iid) == before
    assert not [e for e in await audit(web) if e[0] == "view" and e[1].startswith("intake")]


async def test_a_stale_or_invalid_correction_writes_nothing(web: WebApp) -> None:
    form = await saved_intake(web)
    iid = form["intake_id"]
    supervisor = await web.signed_in("supervisor1")
    status, _ = await supervisor.post(f"/intakes/{iid}/correct",
                                      correction(form, needs_note=NOTE))
    assert status == 303
    status, page = await supervisor.get(f"/intakes/{iid}/correct")
    assert 'name="revision" value="2"' in page and f">{NOTE}</textarea>" in page
    before = await rows(web, iid)

    typed = "Typed over the first version"
    status, page = await supervisor.post(f"/intakes/{iid}/correct",  # typed over revision 0
                                         correction(form, needs_note=typed))
    assert status == 409 and "while you were typing" in page
    assert f">{typed}</textarea>" in page and 'name="revision" value="0"' in page
    status, page = await supervisor.post(f"/intakes/{iid}/correct",
                                         correction(form, revision="2", needs_note=NOTE))
    assert status == 422 and "Nothing to correct" in page
    status, page = await supervisor.post(f"/intakes/{iid}/correct", correction(
        form, revision="2", family_name=FAMILY, family_consent=""))
    assert status == 422 and 'data-error-for="family_consent"' in page
    assert f'value="{FAMILY}"' in page
    for bad in ({"revision": "x"}, {"facility_id": "999999"}, {"triage": "7"}):
        status, _ = await supervisor.post(f"/intakes/{iid}/correct",
                                          correction(form, **{"revision": "2", **bad}))
        assert status == 422, bad
    assert await rows(web, iid) == before

    status, _ = await supervisor.post(f"/intakes/{uuid.uuid4()}/correct",
                                      correction(form, revision="2"))
    assert status == 404
    outcome, (call_id, _) = str(uuid.uuid4()), await new_call(web)
    operator: Client = await web.signed_in("operator1")
    status, _ = await operator.post("/intakes/outcome", {
        "intake_id": outcome, "call_id": call_id, "outcome": "silent"}, headers=JSON)
    assert status == 200
    status, text = await supervisor.get(f"/intakes/{outcome}/correct")
    assert status == 422 and "one-click outcome" in text
