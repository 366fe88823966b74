"""Signing out with unsaved intakes of one's own (drafts with anything typed, on calls and
not on any call) shows them first, each linked to its form, with "Sign out anyway"; they
stay. Over HTTP against the running app and a real PostgreSQL."""

from __future__ import annotations

from tests.test_cases_web import JSON, new_call
from tests.web_fixtures import WebApp

A_NUMBER = "A 208-555-902"


async def test_signing_out_with_unsaved_intakes_names_them_first(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    typed_on, _ = await new_call(web)
    opened_only, _ = await new_call(web)
    for call_id, fields in ((typed_on, {"a_number": A_NUMBER, "needs_note": "insulin"}),
                            (None, {"needs_note": "a standalone note"})):
        status, _ = await operator.post_json("/drafts", {"call_id": call_id, "fields": fields})
        assert status == 200
    status, _ = await operator.get(f"/intakes/open?call_id={opened_only}", headers=JSON)
    assert status == 200  # a form opened, nothing typed: not an unsaved intake

    status, page = await operator.post("/logout")
    assert status == 200 and "You have 2 unsaved intakes" in page, page
    assert f'href="/intake?call_id={typed_on}"' in page and A_NUMBER in page
    assert f"call_id={opened_only}" not in page and "insulin" not in page
    assert 'id="unsaved-standalone"' in page and 'href="/intake"' in page
    assert 'id="sign-out-anyway"' in page
    assert (await operator.get("/console"))[0] == 200  # still signed in

    status, _ = await operator.post("/logout", {"anyway": "1"})
    assert status == 303 and operator.last["location"] == "/login"
    assert (await operator.get("/console"))[0] == 303
    again = await web.signed_in("operator1")
    status, page = await again.get("/intake")  # the drafts stayed
    assert status == 200 and f'href="/intake?call_id={typed_on}"' in page


async def test_signing_out_with_nothing_unsaved_is_at_once(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    call_id, _ = await new_call(web)
    status, _ = await operator.post_json("/drafts", {"call_id": call_id, "fields": {}})
    assert status == 200  # an empty form's draft is nothing unsaved
    status, _ = await operator.post("/logout")
    assert status == 303 and operator.last["location"] == "/login"
    assert (await operator.get("/"))[0] == 303
