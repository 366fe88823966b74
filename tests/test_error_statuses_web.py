"""The same error gives the same answer on every route, over HTTP against the running app:
a missing record is a 404 wherever an id is taken (in the path or the query, malformed or
well formed), a correction typed over an old revision is a 409 on every record that has
revisions, and scripts get one JSON shape for every refusal."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.test_cases_web import A_NUMBER, JSON, save
from tests.test_intake_corrections_web import correction, saved_intake
from tests.web_fixtures import Client, WebApp

MISSING = str(uuid.uuid4())
# (who, method, path with {id}, form posted): every route that takes a record's id.
BY_ID: list[tuple[str, str, str, dict[str, str]]] = [
    ("supervisor1", "GET", "/people/{id}", {}),
    ("supervisor1", "GET", "/people/{id}/edit", {}),
    ("supervisor1", "POST", "/people/{id}/edit", {"person_names": "Someone"}),
    ("supervisor1", "POST", "/people/{id}/merge", {"other_a_number": A_NUMBER}),
    ("supervisor1", "POST", "/people/{id}/merge/confirm",
     {"other": MISSING, "mark": "x", "other_a_number": A_NUMBER}),
    ("supervisor1", "GET", "/people/{id}/contact-family/{id}", {}),
    ("supervisor1", "POST", "/people/{id}/contact-family/{id}", {"followup_what": "Call"}),
    ("supervisor1", "GET", "/people/{id}/legal-hold", {}),
    ("supervisor1", "POST", "/people/{id}/legal-hold", {"reason": "Subpoena"}),
    ("supervisor1", "POST", "/people/{id}/legal-hold", {"reason": ""}),  # missing beats blank
    ("supervisor1", "GET", "/people/{id}/legal-holds/1/release", {}),
    ("supervisor1", "POST", "/people/{id}/legal-holds/1/release", {"reason": "Settled"}),
    ("supervisor1", "GET", "/reports/{id}", {}),
    ("supervisor1", "GET", "/reports/{id}/print", {}),
    ("supervisor1", "GET", "/reports/{id}/correct", {}),
    ("supervisor1", "POST", "/reports/{id}/correct", {"revision": "0"}),
    ("supervisor1", "GET", "/reports/{id}/revisions", {}),
    ("supervisor1", "GET", "/reports/{id}/revisions/1", {}),
    ("supervisor1", "GET", "/intakes/{id}/correct", {}),
    ("supervisor1", "POST", "/intakes/{id}/correct", {"revision": "0"}),
    ("supervisor1", "GET", "/intakes/{id}/revisions", {}),
    ("supervisor1", "GET", "/follow-ups/{id}", {}),
    ("supervisor1", "POST", "/follow-ups/{id}", {"status": "done"}),
    ("supervisor1", "POST", "/follow-ups/{id}/notes", {}),
    ("supervisor1", "POST", "/follow-ups/{id}/correct", {"revision": "0", "what": "x"}),
    ("supervisor1", "GET", "/follow-ups/{id}/revisions", {}),
    ("supervisor1", "POST", "/proposals/{id}", {"decision": "accept"}),
    ("supervisor1", "GET", "/voicemail/{id}/audio", {}),
    ("supervisor1", "POST", "/voicemail/{id}/reviewed", {}),
    ("supervisor1", "GET", "/intake?voicemail={id}", {}),
    ("operator1", "GET", "/follow-ups/{id}", {}),
    ("operator1", "POST", "/follow-ups/{id}/notes", {"note": "Called the family."}),
]
ADMIN_BY_ID: list[tuple[str, dict[str, str]]] = [
    ("/admin/users/{n}/disable", {}), ("/admin/users/{n}/enable", {}),
    ("/admin/users/{n}/password", {"password": ""}),
    ("/admin/users/{n}/second-factor/remove", {}), ("/admin/users/{n}/role", {"role": "operator"}),
    ("/admin/users/{n}/operator", {"operator": ""}), ("/admin/users/{n}/unlock", {}),
    ("/admin/partners/{n}/disable", {}), ("/admin/partners/{n}/enable", {}),
    ("/admin/categories/no_such_{n}/label", {"label": "A label"}),
    ("/admin/categories/no_such_{n}/label", {"label": ""}),  # missing beats a bad label
    ("/admin/categories/no_such_{n}/disable", {}),
]


async def _ask(client: Client, method: str, path: str, form: dict[str, str],
               headers: dict[str, str] | None = None) -> tuple[int, str]:
    if method == "GET":
        return await client.get(path, headers=headers)
    return await client.post(path, form, headers=headers)


def _json_refusal(text: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(text)
    assert body["ok"] is False and body["error"] and body["errors"], body
    return body


async def test_a_missing_record_is_404_on_every_route_that_takes_an_id(web: WebApp) -> None:
    await save(await web.signed_in("operator1"), await _person_on_record(web))
    clients = {name: await web.signed_in(name) for name in ("supervisor1", "operator1")}
    before = await web.sql("SELECT count(*) AS n FROM audit_log WHERE action <> 'view'")
    for who, method, template, form in BY_ID:
        for record_id in (MISSING, "not-a-uuid"):
            path = template.replace("{id}", record_id)
            if record_id != MISSING and "?" in path:
                continue  # a malformed id in a query is a bad value (422), not a record
            status, page = await _ask(clients[who], method, path, form)
            assert status == 404 and 'id="error-message"' in page, (who, method, path, status)
            status, text = await _ask(clients[who], method, path, form, JSON)
            assert status == 404, (who, method, path, status)
            assert "No such" in _json_refusal(text)["error"], (who, method, path)
    admin = await web.signed_in("admin1")
    for template, form in ADMIN_BY_ID:
        path = template.replace("{n}", "999999")
        status, page = await admin.post(path, form)
        assert status == 404 and "There is no such" in page, (path, status)
    after = await web.sql("SELECT count(*) AS n FROM audit_log WHERE action <> 'view'")
    assert after == before  # nothing was written by any refused request


async def test_a_correction_typed_over_an_old_revision_is_409_on_every_record(
    web: WebApp
) -> None:
    form = await saved_intake(web)
    report_id = form["report_id"]
    follow_up = str((await web.sql("SELECT id FROM follow_ups"))[0]["id"])
    supervisor = await web.signed_in("supervisor1")
    report = {"report_category": "medical_neglect", "report_severity": "high",
              "report_affected": "group", "report_housing_unit": "C",
              "report_consent": form["report_consent"]}
    edits = [  # (path, the correction typed over the original, a later one over it too)
        (f"/reports/{report_id}/correct", {**report, "report_narrative": "First fix"},
         {**report, "report_narrative": "Second fix"}),
        (f"/intakes/{form['intake_id']}/correct", correction(form, needs_note="First fix"),
         correction(form, needs_note="Second fix")),
        (f"/follow-ups/{follow_up}/correct", {"what": "First fix"}, {"what": "Second fix"}),
    ]
    for path, first, second in edits:
        status, _ = await supervisor.post(path, {**first, "revision": "0"})
        assert status == 303, path
        revisions = await web.sql("SELECT count(*) AS n FROM record_revisions")
        status, page = await supervisor.post(path, {**second, "revision": "0"})
        assert status == 409 and "while you were typing" in page and "Second fix" in page, path
        status, text = await supervisor.post(path, {**second, "revision": "0"}, headers=JSON)
        assert status == 409 and "while you were typing" in _json_refusal(text)["error"], path
        assert await web.sql("SELECT count(*) AS n FROM record_revisions") == revisions


async def test_scripts_get_one_json_shape_for_every_refusal(web: WebApp) -> None:
    """The intake form's own routes answer JSON without being asked (@answers_json)."""
    operator = await web.signed_in("operator1")
    status, text = await operator.post("/intakes/undo", {})
    assert status == 422 and _json_refusal(text)["errors"] == {"intake_id": "Which outcome?"}
    status, text = await operator.get(f"/intakes/open?call_id={MISSING}")
    assert status == 403 and "not put through to your phone" in _json_refusal(text)["error"]
    status, text = await operator.post("/intakes/outcome", {"outcome": "nap"})
    assert status == 422 and "outcome" in _json_refusal(text)["errors"]
    status, text = await operator.get("/people/lookup?a_number=A12", headers=JSON)
    assert status == 422 and "a_number" in _json_refusal(text)["errors"]
    status, page = await operator.get("/people/lookup?a_number=A12")
    assert status == 422 and 'id="error-message"' in page  # the panel shows that message


async def _person_on_record(web: WebApp) -> dict[str, Any]:
    """An intake about A_NUMBER, so that a merge into a missing record finds the other."""
    from tests.test_cases_web import intake
    return await intake(web, intake_id=str(uuid.uuid4()))


# A page's filters refused (hand-typed or edited addresses): which value and why, and a
# way on: the page without them. (/statistics shows its own form again: tests/test_statistics_web.)
REFUSED_FILTERS = [
    ("/calls?page=-1", "/calls"),
    ("/reports?since=abc", "/reports"),
    ("/evidence/export?threshold=0", "/evidence/export"),
    ("/evidence?from=2026-13", "/evidence"),
]


async def test_refused_filters_say_which_and_offer_the_page_without_them(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    for address, page_alone in REFUSED_FILTERS:
        status, page = await supervisor.get(address)
        assert status == 422, (address, status)
        field = address.split("?")[1].split("=")[0]
        assert f'<p id="error-message">{field}: ' in page, address
        assert f'<a href="{page_alone}" id="error-clear">' in page, address
    status, page = await supervisor.get("/reports/not-a-uuid")  # no filters: no such link
    assert status == 404 and 'id="error-clear"' not in page
