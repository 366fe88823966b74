"""The case record over HTTP against the running app: save an intake, find it as a
supervisor, script rendered inert everywhere, roles and drafts refused across users."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.edit_forms import post_opened
from tests.web_fixtures import Client, WebApp, add_user

XSS = "<script>alert(1)</script>"
A_NUMBER = "A-208-555-019"
JSON = {"Accept": "application/json"}


async def new_call(web: WebApp, operator: str = "operator1") -> tuple[str, int]:
    """A call put through to that operator's phone (calls.operator_id)."""
    facility = (await web.sql("SELECT id FROM facilities ORDER BY id LIMIT 1"))[0]["id"]
    call_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                              caller_name, started_at, operator_id)
           VALUES ($1, 'c', 'PJSIP/c', '100', $2, '', '', now(),
                   (SELECT id FROM operators WHERE sip_username = $3))""",
        call_id, facility, operator)
    return str(call_id), facility


async def intake(web: WebApp, text: str = "Denied insulin", **extra: str) -> dict[str, Any]:
    call_id, facility = await new_call(web)
    partner = (await web.sql("SELECT id FROM partners ORDER BY id LIMIT 1"))[0]["id"]
    return {
        "call_id": call_id, "facility_id": str(facility), "language": "es",
        "a_number": A_NUMBER, "person_names": f"Name {text}", "person_country": text,
        "person_facility": str(facility), "needs_medical": "on", "needs_note": text,
        "family_name": text, "family_phone": "+1 555 0100", "family_message": text,
        "family_consent": "on", "report_category": "medical_neglect",
        "report_severity": "critical", "report_affected": "group",
        "report_housing_unit": text[:100], "report_narrative": f"Narrative {text}",
        "report_consent": str(partner), "followup_what": f"Follow {text}",
        "followup_due": "2099-01-01", **extra,
    }


async def save(client: Client, form: dict[str, Any]) -> tuple[int, Any]:
    status, text = await client.post("/intakes", form, headers=JSON)
    return status, json.loads(text)


async def test_an_intake_is_saved_and_a_supervisor_finds_it(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    status, page = await operator.get("/intake")
    assert status == 200 and 'id="intake-form"' in page and 'id="report-consent-' in page
    status, body = await save(operator, await intake(web))
    assert status == 200 and body["ok"], body
    supervisor = await web.signed_in("supervisor1")
    async with supervisor.http.get(supervisor.url("/people?a_number=208555019"),
                                   allow_redirects=False) as r:
        assert r.status == 303
        person_url = r.headers["Location"]
    status, page = await supervisor.get(person_url)
    assert status == 200 and "Name Denied insulin" in page
    assert "<dt>Languages</dt><dd>Spanish</dd>" in page
    report_id = (await web.sql("SELECT id FROM reports"))[0]["id"]
    status, page = await supervisor.get("/reports")
    assert status == 200 and f"/reports/{report_id}" in page and "Narrative" not in page
    assert "<th>Recorded</th>" in page and "<td>Critical</td><td>A group (Denied insulin)" in page
    assert '<option value="critical">Critical</option>' in page  # the filter's words too
    status, page = await supervisor.get(f"/reports/{report_id}")
    assert status == 200 and "Narrative Denied insulin" in page
    assert "· Critical</h1>" in page and '<dd id="report-when">not given</dd>' in page
    assert '<dd id="report-affected">A group · housing unit Denied insulin</dd>' in page
    status, csv = await supervisor.get("/reports.csv")
    assert status == 200
    assert "medical_neglect,Medical neglect or denial of care,critical,es,Spanish" in csv
    assert "Name Denied" not in csv and "208555019" not in csv
    actions = {(r["action"], r["entity"]) for r in await web.sql("SELECT * FROM audit_log")}
    assert {("create", "intake"), ("view", "person"), ("view", "report"),
            ("export", "reports")} <= actions


async def test_script_in_every_text_field_comes_back_inert(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await intake(web, XSS)
    status, page = await operator.post("/intakes", {**form, "a_number": "A1"})
    assert status == 422 and "8 or 9 digits" in page
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert await web.sql("SELECT id FROM persons") == []
    status, body = await save(operator, form)
    assert status == 200, body
    status, fragment = await operator.get(
        f"/people/lookup?a_number={A_NUMBER}&call_id={form['call_id']}")
    assert status == 200 and "Known caller" in fragment and XSS not in fragment
    supervisor = await web.signed_in("supervisor1")
    person_id = (await web.sql("SELECT id FROM persons"))[0]["id"]
    report_id = (await web.sql("SELECT id FROM reports"))[0]["id"]
    for path in (f"/people/{person_id}", f"/reports/{report_id}", "/reports", "/follow-ups"):
        status, page = await supervisor.get(path)
        assert status == 200 and XSS not in page, path
    status, page = await supervisor.get(f"/reports/{report_id}")
    assert "&lt;script&gt;" in page


async def test_roles_drafts_and_bad_urls(web: WebApp) -> None:
    await add_user(web.dsn, "operator2", "operator", "another-long-passw0rd")
    operator = await web.signed_in("operator1")
    other = await web.client()
    assert await other.sign_in("operator2", "another-long-passw0rd") == 303
    call_id, _ = await new_call(web)
    status, _ = await operator.post_json("/drafts", {"call_id": call_id,
                                                     "fields": {"report_narrative": "secret"}})
    assert status == 200
    status, mine = await operator.get(f"/drafts?call_id={call_id}", headers=JSON)
    assert json.loads(mine)["draft"]["fields"] == {"report_narrative": "secret"}
    for path in (f"/drafts?call_id={call_id}", "/drafts"):
        status, theirs = await other.get(path, headers=JSON)
        assert status == 200 and json.loads(theirs) == {"draft": None}
    person_id = uuid.uuid4()
    for path in ("/reports", "/reports.csv", f"/people/{person_id}", "/people?a_number=1"):
        status, _ = await operator.get(path)
        assert status == 403, path
    status, _ = await operator.get(f"/people/lookup?a_number={A_NUMBER}")
    assert status == 403  # operators look people up only with a call
    await add_user(web.dsn, "operator3", "operator", "a-third-long-passw0rd")
    await web.sql("INSERT INTO operators (display_name, sip_username, sip_md5_cred) "
                  "VALUES ('Three', 'operator3', repeat('0', 32))")
    await web.sql("UPDATE users SET operator_id = (SELECT id FROM operators "
                  "WHERE sip_username = 'operator3') WHERE username = 'operator3'")
    third = await web.client()
    assert await third.sign_in("operator3", "a-third-long-passw0rd") == 303
    status, _ = await third.get(f"/people/lookup?a_number={A_NUMBER}&call_id={call_id}")
    assert status == 403  # not with another operator's call
    status, text = await operator.get(f"/people/lookup?a_number=A12&call_id={call_id}")
    assert status == 422 and "8 or 9 digits" in text
    supervisor = await web.signed_in("supervisor1")
    for path in ("/reports/not-a-uuid", f"/reports/{uuid.uuid4()}", "/people/42",
                 f"/people/{person_id}"):
        status, _ = await supervisor.get(path)
        assert status == 404, path
    status, body = await save(operator, await intake(web, report_narrative="n" * 20_001))
    assert status == 422 and "20,000" in body["errors"]["report_narrative"]
    status, _ = await operator.post("/intakes", {"report_narrative": "n" * 300_000})
    assert status == 413
    status, _ = await operator.post_json("/drafts", {"call_id": None, "fields": {
        "x": "y" * 70_000}})
    assert status == 413


async def test_one_click_outcome_and_follow_up_status(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    call_id, _ = await new_call(web)
    status, body = await operator.post_json("/intakes/outcome",
                                            {"call_id": call_id, "outcome": "silent"})
    assert status == 200 and body["ok"]
    status, body = await operator.post_json("/intakes/outcome",
                                            {"call_id": call_id, "outcome": "silent"})
    assert status == 409
    form = await intake(web)
    me = (await web.sql("SELECT id FROM users WHERE username = 'operator1'"))[0]["id"]
    status, _ = await save(operator, {**form, "followup_assignee": str(me)})
    follow_up = (await web.sql("SELECT id FROM follow_ups"))[0]["id"]
    status, page = await operator.get("/follow-ups")
    assert status == 200 and "Follow Denied insulin" in page
    status, _ = await post_opened(operator, f"/follow-ups/{follow_up}", {"status": "done"})
    assert status == 303
    assert (await web.sql("SELECT status FROM follow_ups"))[0]["status"] == "done"
    boss = (await web.sql("SELECT id FROM users WHERE username = 'supervisor1'"))[0]["id"]
    status, _ = await post_opened(operator, f"/follow-ups/{follow_up}", {"assignee": str(boss)})
    assert status == 403  # only supervisors reassign


async def test_every_search_for_a_person_is_audited(web: WebApp) -> None:
    """Found or not, by the people page, the lookup or a merge: one entry per search,
    naming the person found (or none), never the A-number searched for."""
    operator = await web.signed_in("operator1")
    assert (await save(operator, await intake(web)))[0] == 200
    person_id = str((await web.sql("SELECT id FROM persons"))[0]["id"])
    supervisor = await web.signed_in("supervisor1")
    searches = [
        (supervisor.get, "/people?a_number=208555019", person_id),
        (supervisor.get, "/people?a_number=A-999-888-777", "not_found"),
        (supervisor.get, "/people/lookup?a_number=208555019", person_id),
        (supervisor.get, "/people/lookup?a_number=999888777", "not_found"),
    ]
    for search, path, found in searches:
        before = await web.sql("SELECT id FROM audit_log")
        status, _ = await search(path)
        assert status in (200, 303, 404), path
        rows = await web.sql(
            """SELECT u.username, a.action, a.entity_id, a.fields FROM audit_log a
               JOIN users u ON u.id = a.user_id
               WHERE a.entity = 'person_search' AND a.id > $1""",
            max((r["id"] for r in before), default=0))
        assert [tuple(r) for r in rows] == [("supervisor1", "view", found, ["a_number"])], path
    status, _ = await supervisor.post(f"/people/{person_id}/merge",
                                      {"other_a_number": "A-999-888-776"})
    assert status == 422  # shown on the person's page beside the merge form
    merges = await web.sql(
        "SELECT entity_id FROM audit_log WHERE entity = 'person_search' ORDER BY id")
    assert len(merges) == len(searches) + 1 and merges[-1]["entity_id"] == "not_found"
    everything = repr([dict(r) for r in await web.sql("SELECT * FROM audit_log")])
    for digits in ("208555019", "999888777", "999888776"):
        assert digits not in everything
