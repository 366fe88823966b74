"""Saving a saved intake's form again under another A-number, over HTTP against the
running app: refused beside the A-number, nothing written, what was typed shown again; a
move is the supervisor's (/intakes/{id}/move), and the intake's proposals leave with it."""

from __future__ import annotations

import uuid
from typing import Any

from tests.test_cases_web import intake, save
from tests.test_misfile_web import AHMED, REASON, facilities
from tests.test_revisions_web import audit
from tests.web_fixtures import Client, WebApp

PEDRO = "A444555666"
TABLES = ("persons", "intakes", "reports", "follow_ups", "person_facilities",
          "person_proposals", "record_revisions", "intake_moves")


async def rows(web: WebApp) -> dict[str, list[str]]:
    return {t: sorted(repr(tuple(r.values())) for r in await web.sql(f"SELECT * FROM {t}"))
            for t in TABLES}


async def person_id(web: WebApp, intake_id: str) -> uuid.UUID:
    found = await web.sql("SELECT person_id FROM intakes WHERE id = $1", uuid.UUID(intake_id))
    return uuid.UUID(str(found[0]["person_id"]))


async def refused_again(web: WebApp, client: Client, form: dict[str, Any],
                        filed: uuid.UUID) -> dict[str, Any]:
    """The save refused as JSON (the console) and as a page (/intake without script),
    nothing written; the JSON answer."""
    before = await rows(web)
    status, answer = await save(client, form)
    assert status == 422, answer
    body: dict[str, Any] = answer
    status, page = await client.post("/intakes", form)
    assert status == 422 and 'data-error-for="a_number"' in page
    assert f'value="{form["a_number"]}"' in page  # what was typed, kept
    assert f'>{form["report_narrative"]}</textarea>' in page
    assert await rows(web) == before
    assert ("view", "person", str(filed), ["a_number"]) in await audit(web)
    return body


async def test_an_operator_resaving_their_call_intake_under_another_a_number_is_refused(
    web: WebApp
) -> None:
    operator = await web.signed_in("operator1")
    pedro = await intake(web, "Pedro", intake_id=str(uuid.uuid4()),
                         report_id=str(uuid.uuid4()), a_number=PEDRO)
    assert (await save(operator, pedro))[0] == 200
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()),
                        a_number=AHMED)
    assert (await save(operator, form))[0] == 200
    ahmed_id = await person_id(web, form["intake_id"])

    for other in (PEDRO, "A999888777"):  # someone on record, and an A-number no one has
        body = await refused_again(web, operator,
                                   {**form, "a_number": other, "report_narrative": "Later"},
                                   ahmed_id)
        said = body["errors"]["a_number"]
        assert "filed under A111-222-333" in said and "a supervisor moves it" in said
        assert "link" not in body  # the move is not an operator's to open
    assert len(await web.sql("SELECT 1 FROM persons")) == 2

    # Everything else in a re-save works as before, the A-number typed another way too.
    status, body = await save(operator, {**form, "a_number": "A-111-222-333",
                                         "report_narrative": "Later"})
    assert (status, body["changed"]) == (200, True)
    assert await person_id(web, form["intake_id"]) == ahmed_id


async def test_a_supervisors_standalone_intake_is_moved_not_resaved_and_its_proposals_go(
    web: WebApp
) -> None:
    supervisor = await web.signed_in("supervisor1")
    form = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()),
                        call_id="", a_number=AHMED)
    assert (await save(supervisor, form))[0] == 200
    ahmed_id = await person_id(web, form["intake_id"])
    body = await refused_again(web, supervisor, {**form, "a_number": PEDRO}, ahmed_id)
    assert "the link below opens the move" in body["errors"]["a_number"]
    assert body["link"] == f"/intakes/{form['intake_id']}/move"
    _, page = await supervisor.post("/intakes", {**form, "a_number": PEDRO})
    assert f'href="/intakes/{form["intake_id"]}/move"' in page


async def test_a_moved_intake_takes_its_proposals_and_an_operator_is_not_told_where(
    web: WebApp
) -> None:
    operator = await web.signed_in("operator1")
    ahmed = await intake(web, "Ahmed", intake_id=str(uuid.uuid4()),
                         report_id=str(uuid.uuid4()), a_number=AHMED,
                         person_names="Ahmed Ali")
    assert (await save(operator, ahmed))[0] == 200
    held = (await web.sql("SELECT facility_id FROM persons"))[0]["facility_id"]
    other, elsewhere = next((n, i) for n, i in (await facilities(web)).items() if i != held)
    # A standalone intake about Pedro typed under Ahmed's A-number: all of it proposed.
    form = await intake(web, "Pedro", intake_id=str(uuid.uuid4()),
                        report_id=str(uuid.uuid4()), call_id="", a_number=AHMED,
                        person_names="Pedro Alvarez", person_country="",
                        person_facility=str(elsewhere), facility_id=str(elsewhere))
    assert (await save(operator, form))[0] == 200
    ahmed_id = await person_id(web, form["intake_id"])
    assert [r["person_id"] for r in await web.sql(
        "SELECT person_id FROM person_proposals WHERE status = 'open'")] == [ahmed_id]

    supervisor = await web.signed_in("supervisor1")
    status, _ = await supervisor.post(f"/intakes/{form['intake_id']}/move", {
        "revision": "0", "a_number": PEDRO, "person_names": "Pedro Alvarez",
        "reason": REASON})
    assert status == 303
    pedro_id = await person_id(web, form["intake_id"])
    assert pedro_id != ahmed_id
    status, page = await supervisor.get(f"/people/{ahmed_id}")
    assert "Proposed corrections (0)" in page and "Pedro Alvarez" not in page
    # With it went its proposal, less what Pedro's record already says (his name).
    status, page = await supervisor.get(f"/people/{pedro_id}")
    assert "Proposed corrections (1)" in page and 'class="proposed-names"' not in page
    assert 'class="proposed-facility">' + other in page

    # The operator's form, saved again as it was: refused, not naming Pedro.
    before = await rows(web)
    status, body = await save(operator, {**form, "report_narrative": "Later"})
    assert status == 422 and "moved by a supervisor" in body["errors"]["a_number"]
    assert "A444" not in body["errors"]["a_number"]
    assert await rows(web) == before
