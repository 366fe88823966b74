"""Unsaved intakes (drafts) can be found again: the call's page says who has one on the call
and when they last saved it (never what it says), the author's intake page and console list
theirs and open each on its call, a draft not on any call can be discarded (audited), and a
page opened under an earlier session can fetch this session's token. Over HTTP against the
running app and a real PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid

from tests.test_cases_web import JSON, intake, new_call, save
from tests.web_fixtures import WebApp, add_user

NARRATIVE = "The guard kept the medicine from her."
A_NUMBER = "A 208-555-901"


async def display_name(web: WebApp, username: str) -> str:
    rows = await web.sql("SELECT display_name FROM users WHERE username = $1", username)
    return str(rows[0]["display_name"])


async def test_a_draft_on_a_call_shows_on_its_page_and_in_its_authors_list(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    typed_on, _ = await new_call(web)
    only_opened, _ = await new_call(web)
    status, _ = await operator.post_json("/drafts", {"call_id": typed_on, "fields": {
        "a_number": A_NUMBER, "report_narrative": NARRATIVE, "intake_id": ""}})
    assert status == 200
    status, _ = await operator.get(f"/intakes/open?call_id={only_opened}", headers=JSON)
    assert status == 200  # a form's key kept, nothing typed: no sign of it anywhere
    await web.sql("UPDATE retention_settings SET drafts_days = 3")
    views_before = len(await web.sql("SELECT id FROM audit_log WHERE action = 'view'"))

    status, page = await supervisor.get(f"/calls/{typed_on}")
    author = await display_name(web, "operator1")
    assert status == 200 and "No intake was written" not in page, page
    assert f"An unsaved intake exists, by {author}, last saved " in page
    assert re.search(r"Retention removes it on \d{4}-\d\d-\d\d unless", page)
    assert NARRATIVE not in page and "208-555-901" not in page
    status, page = await supervisor.get(f"/calls/{only_opened}")
    assert "No intake was written on this call." in page and "unsaved intake" not in page
    assert len(await web.sql("SELECT id FROM audit_log WHERE action = 'view'")) == views_before

    status, page = await operator.get("/intake")
    assert status == 200 and "Your unfinished intakes on calls" in page
    assert f'href="/intake?call_id={typed_on}"' in page and A_NUMBER in page
    assert f"call_id={only_opened}" not in page and NARRATIVE not in page
    status, page = await operator.get("/console")  # the same list, on the console
    listed = page.split('id="unfinished-intakes"', 1)[1].split("</section>", 1)[0]
    assert status == 200 and 'id="console"' in page
    assert f'href="/intake?call_id={typed_on}"' in listed and A_NUMBER in listed
    assert f"call_id={only_opened}" not in listed and NARRATIVE not in page
    status, page = await operator.get(f"/intake?call_id={typed_on}")
    assert status == 200 and f'id="intake-call-id" value="{typed_on}"' in page
    await add_user(web.dsn, "operator2", "operator", "another-long-passw0rd")
    other = await web.client()
    assert await other.sign_in("operator2", "another-long-passw0rd") == 303
    status, page = await other.get("/intake")
    assert status == 200 and "Your unfinished intakes" not in page
    status, _ = await other.get(f"/intake?call_id={typed_on}")
    assert status == 403  # not their call

    form = await intake(web)
    form["call_id"] = typed_on
    status, body = await save(operator, form)
    assert status == 200, body
    status, page = await supervisor.get(f"/calls/{typed_on}")
    assert "unsaved intake" not in page
    for path in ("/intake", "/console"):
        status, page = await operator.get(path)
        assert status == 200 and "Your unfinished intakes" not in page, path


async def test_the_draft_not_on_a_call_is_offered_and_discarded_only_by_its_author(
    web: WebApp,
) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    for client in (operator, supervisor):
        status, _ = await client.post_json("/drafts", {"call_id": None, "fields": {
            "a_number": A_NUMBER, "report_narrative": NARRATIVE}})
        assert status == 200
    status, text = await operator.get("/intakes/open", headers=JSON)
    opened = json.loads(text)
    assert opened["kind"] == "standalone" and opened["fields"]["report_narrative"] == NARRATIVE
    # On the hotline's clock, as the call history says its times.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", opened["draft_at"])
    status, body = await operator.post_json("/drafts/discard", {"call_id": None})
    assert (status, body) == (200, {"ok": True, "discarded": True})
    status, body = await operator.post_json("/drafts/discard", {"call_id": None})
    assert (status, body) == (200, {"ok": True, "discarded": False})
    status, text = await operator.get("/intakes/open", headers=JSON)
    assert json.loads(text)["draft_at"] is None
    status, text = await supervisor.get("/drafts", headers=JSON)
    assert json.loads(text)["draft"]["fields"]["report_narrative"] == NARRATIVE
    entries = await web.sql("SELECT user_id, action, entity FROM audit_log "
                            "WHERE entity = 'draft'")
    operator_id = (await web.sql("SELECT id FROM users WHERE username = 'operator1'"))[0]["id"]
    assert [tuple(e) for e in entries] == [(operator_id, "delete", "draft")]


async def test_the_sessions_token_is_given_to_this_sites_pages_only(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    status, text = await operator.get("/session/csrf", headers=JSON)
    assert status == 200 and json.loads(text) == {"csrf_token": operator.csrf}
    for header in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                   {"Origin": "http://elsewhere.example"}):
        status, text = await operator.get("/session/csrf", headers={**JSON, **header})
        assert status == 403 and operator.csrf not in text, header
    signed_out = await web.client()
    status, text = await signed_out.get("/session/csrf", headers=JSON)
    assert status == 401 and "sign in" in text
    # signed in again elsewhere: the page's old token is refused, the session's is not
    old = operator.csrf
    again = await web.signed_in("operator1")
    status, _ = await again.post_json("/drafts", {"call_id": None, "fields": {}}, csrf=old)
    assert status == 403
    status, text = await again.get("/session/csrf", headers=JSON)
    token = json.loads(text)["csrf_token"]
    assert token != old
    status, _ = await again.post_json("/drafts", {"call_id": None, "fields": {}}, csrf=token)
    assert status == 200


async def test_an_untouched_form_and_a_saved_intake_leave_no_draft_listed(web: WebApp) -> None:
    """A form sent as it opened (its key, the call's facility and language, the defaults) is
    not a draft: no "draft kept" on /calls, nothing on the call's page or in the author's
    list. Saving an intake removes the call's draft, even when the save changes nothing."""
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    untouched, facility = await new_call(web)
    await web.sql("UPDATE calls SET connected_at = now(), ended_at = now() WHERE id = $1",
                  uuid.UUID(untouched))
    status, text = await operator.get(f"/intakes/open?call_id={untouched}", headers=JSON)
    key = json.loads(text)["intake_id"]
    status, _ = await operator.post_json("/drafts", {"call_id": untouched, "fields": {
        "call_id": untouched, "intake_id": key, "facility_id": str(facility), "triage": "0",
        "language": "es", "person_facility": str(facility), "a_number": "",
        "report_id": str(uuid.uuid4()), "report_category": "", "report_severity": "medium",
        "report_affected": "person", "report_narrative": "", "report_consent": [],
        "followup_assignee": "1", "followup_what": ""}})
    assert status == 200
    status, page = await supervisor.get("/calls?intake=missing")
    assert status == 200 and f'href="/calls/{untouched}"' in page
    assert "draft kept" not in page
    status, page = await supervisor.get(f"/calls/{untouched}")
    assert "No intake was written on this call." in page and "unsaved intake" not in page
    status, page = await operator.get("/intake")
    assert "Your unfinished intakes" not in page

    form = await intake(web)
    saved_on = form["call_id"]
    status, body = await save(operator, form)
    assert status == 200 and body["ok"], body
    form["intake_id"] = body["intake_id"]
    status, _ = await operator.post_json("/drafts", {"call_id": saved_on, "fields": {
        **{k: v for k, v in form.items() if isinstance(v, str)}, "needs_note": "Later"}})
    assert status == 200
    status, page = await operator.get("/intake")
    assert f"call_id={saved_on}" in page  # changes to the saved intake, not yet saved
    status, body = await save(operator, form)  # the same form again: nothing changes...
    assert status == 200 and body["ok"] and body["changed"] is False, body
    status, page = await operator.get("/intake")
    assert "Your unfinished intakes" not in page  # ...but the draft is gone
    status, page = await supervisor.get(f"/calls/{saved_on}")
    assert "unsaved intake" not in page


async def test_a_draft_save_names_its_revision_and_one_from_a_tab_behind_is_refused(
    web: WebApp,
) -> None:
    """The draft's revision (opwalk2, finding 7): a save based on the revision the form
    opened with is kept; the same save sent again (its answer lost) too; one based on a
    revision another tab's save replaced is refused with the reason, and keeps nothing."""
    operator = await web.signed_in("operator1")
    call_id, _ = await new_call(web)
    status, opened = await operator.get(f"/intakes/open?call_id={call_id}", headers=JSON)
    assert status == 200
    start = json.loads(opened)["revision"]
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())

    def draft(note: str, base: str, revision: str) -> dict[str, object]:
        return {"call_id": call_id, "fields": {"needs_note": note},
                "base": base, "revision": revision}

    assert (await operator.post_json("/drafts", draft("one", start, mine)))[0] == 200
    assert (await operator.post_json("/drafts", draft("one more", start, mine)))[0] == 200
    status, body = await operator.post_json("/drafts", draft("two", start, theirs))
    assert status == 409, body
    assert body["error"] == "This intake was changed in another tab: reload to see it."
    status, found = await operator.get(f"/drafts?call_id={call_id}", headers=JSON)
    assert json.loads(found)["draft"]["fields"] == {"needs_note": "one more"}
    status, reopened = await operator.get(f"/intakes/open?call_id={call_id}", headers=JSON)
    assert json.loads(reopened)["revision"] == mine
    assert (await operator.post_json("/drafts", draft("two", mine, theirs)))[0] == 200
    status, body = await operator.post_json("/drafts", draft("bad", "not-a-revision", mine))
    assert status == 422 and body["error"] == "The draft's revision is not valid."
