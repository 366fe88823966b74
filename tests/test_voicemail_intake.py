"""One intake per voicemail, against the running app and PostgreSQL: a second intake is
refused whoever writes it (the form kept, with a link to the first), two saves at once make
one; the form for a voicemail with an intake opens that intake; the review list shows each
message's intake (and duplicates already saved); the save reviews the voicemail, which
leaves the supervisors' "waiting for review" list. One browser test: a refused save keeps
what was typed and shows the link."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from typing import Any

import asyncpg
import pytest
from markupsafe import escape
from playwright.async_api import expect

from lifeline_pbx.cases.intake_page import page_of
from lifeline_pbx.cases.voicemail_intake import elsewhere
from lifeline_pbx.voicemail.review_rules import NO_NOTE, NO_REASON
from lifeline_pbx.voicemail.store import VoicemailIntake
from tests.browser import Browsing
from tests.test_cases_web import JSON, intake
from tests.test_intake_web import rows
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, Client, WebApp

NARRATIVE = "Narrative Left at night"
SAVED_AT = dt.datetime(2025, 3, 1, 4, 5, tzinfo=dt.UTC)


def _intake(user_id: int, outcome: str = "intake") -> VoicemailIntake:
    return VoicemailIntake(uuid.UUID(int=7), user_id, outcome, "Someone", SAVED_AT, 1)


@pytest.mark.parametrize(("first", "user_id", "goes_to"), [
    (None, 1, None),  # none yet: the form
    (_intake(1), 1, None),  # the author: their form reopens it
    (_intake(2), 1, f"/intakes/{uuid.UUID(int=7)}/correct"),
    (_intake(2, "silent"), 1, f"/intakes/{uuid.UUID(int=7)}/revisions"),  # no fields
])
def test_where_the_form_for_a_voicemail_goes(first: VoicemailIntake | None, user_id: int,
                                             goes_to: str | None) -> None:
    assert elsewhere(first, user_id) == goes_to


def test_an_intakes_page() -> None:
    assert page_of(_intake(2)) == f"/intakes/{uuid.UUID(int=7)}/correct"


async def voicemail(web: WebApp, *, reviewed: bool = False,
                    reason: str = "no_operators") -> tuple[uuid.UUID, uuid.UUID]:
    """A message left on a call nobody answered: (voicemail id, call id)."""
    facility = (await web.sql("SELECT id FROM facilities ORDER BY id LIMIT 1"))[0]["id"]
    call_id, vid = uuid.uuid4(), uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                              caller_name, started_at, ended_at)
           VALUES ($1, 'c', 'PJSIP/c', '100', $2, '', '', now(), now())""", call_id, facility)
    await web.sql(
        """INSERT INTO voicemails (id, call_id, facility_id, language, reason, recording,
                                   duration_seconds, created_at, reviewed_at)
           VALUES ($1, $2, $3, 'es', $5, 'r', 20, now(),
                   CASE WHEN $4 THEN now() - interval '1 hour' END)""",
        vid, call_id, facility, reviewed, reason)
    return vid, call_id


async def vm_form(web: WebApp, vid: uuid.UUID, text: str, **extra: str) -> dict[str, Any]:
    """The intake form as the page sends it for that voicemail, with a new key."""
    return {**await intake(web, text, **extra), "call_id": "", "voicemail_id": str(vid),
            "intake_id": str(uuid.uuid4()), "report_id": str(uuid.uuid4())}


async def post(client: Client, path: str, form: dict[str, Any]) -> tuple[int, Any]:
    status, text = await client.post(path, form, headers=JSON)
    return status, json.loads(text)


async def audits(web: WebApp, entity: str, entity_id: object) -> list[tuple[str, str, list[str]]]:
    found = await web.sql(
        """SELECT u.username, a.action, a.fields FROM audit_log a JOIN users u ON u.id = a.user_id
           WHERE a.entity = $1 AND a.entity_id = $2 ORDER BY a.id""", entity, str(entity_id))
    return [(r["username"], r["action"], list(r["fields"])) for r in found]


@pytest.mark.parametrize(("first", "second"), [("supervisor1", "admin1"),
                                                ("admin1", "supervisor1")])
async def test_a_second_intake_for_a_voicemail_is_refused(web: WebApp, first: str,
                                                          second: str) -> None:
    vid, call_id = await voicemail(web)
    writer, other = await web.signed_in(first), await web.signed_in(second)
    saved = await vm_form(web, vid, "Left at night")
    status, body = await post(writer, "/intakes", saved)
    assert status == 200, body
    intake_id = body["intake_id"]
    link = f"/intakes/{intake_id}/correct"
    assert (await web.sql("SELECT call_id FROM intakes"))[0]["call_id"] == call_id

    typed = await vm_form(web, vid, "Typed by the other")
    before = await rows(web)
    cases: list[tuple[Client, str, dict[str, Any]]] = [
        (other, "/intakes", typed),  # another user, another form
        (writer, "/intakes", {**typed, "intake_id": str(uuid.uuid4())}),  # the author, a new form
        (other, "/intakes/outcome", {"intake_id": str(uuid.uuid4()),
                                     "voicemail_id": str(vid), "outcome": "silent"}),
    ]
    for client, path, form in cases:
        status, body = await post(client, path, form)
        assert status == 409, (path, body)
        assert "already has an intake" in body["error"] and body["link"] == link
        assert await rows(web) == before, path

    # Without script the form comes back with what was typed, the message and the link.
    status, page = await other.post("/intakes", typed)
    assert status == 409 and "already has an intake" in page
    assert f'<a href="{link}">Open the intake</a>' in page
    assert ">Narrative Typed by the other</textarea>" in page and typed["intake_id"] in page
    assert await rows(web) == before
    assert len(await web.sql("SELECT 1 FROM intakes")) == 1


async def test_two_saves_at_once_make_one_intake(web: WebApp) -> None:
    """Both requests are let go together once both wait on the voicemail's row."""
    vid, _ = await voicemail(web)
    supervisor, admin = await web.signed_in("supervisor1"), await web.signed_in("admin1")
    # Two people, or both saves would meet on the new person's A-number first.
    forms = [await vm_form(web, vid, "First"),
             await vm_form(web, vid, "Second", a_number="A-208-555-020")]
    holder = await asyncpg.connect(web.dsn)
    try:
        hold = holder.transaction()
        await hold.start()
        await holder.execute("SELECT 1 FROM voicemails WHERE id = $1 FOR UPDATE", vid)
        saves = [asyncio.create_task(post(client, "/intakes", form))
                 for client, form in zip((supervisor, admin), forms, strict=True)]
        await wait_for(lambda: holder.fetchval(
            """SELECT count(DISTINCT l.pid) = 2 FROM pg_locks l
               JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE NOT l.granted AND a.datname = current_database()"""),
            what="both saves waiting on the voicemail")
        await hold.commit()
        answers = await asyncio.gather(*saves)
    finally:
        await holder.close()
    assert sorted(status for status, _ in answers) == [200, 409]
    won = next(body["intake_id"] for status, body in answers if status == 200)
    refused = next(body for status, body in answers if status == 409)
    assert "already has an intake" in refused["error"]
    assert refused["link"] == f"/intakes/{won}/correct"
    assert [str(r["id"]) for r in await web.sql("SELECT id FROM intakes")] == [won]
    assert len(await web.sql("SELECT 1 FROM reports")) == 1
    assert [action for _, action, _ in await audits(web, "voicemail", vid)] == ["update"]


async def test_the_form_for_a_voicemail_with_an_intake_opens_it(web: WebApp) -> None:
    vid, call_id = await voicemail(web)
    supervisor, admin = await web.signed_in("supervisor1"), await web.signed_in("admin1")
    # Before it is saved, the writer's draft keeps the form's key and what was typed.
    status, text = await supervisor.get(f"/intakes/open?voicemail={vid}", headers=JSON)
    opened = json.loads(text)
    assert status == 200 and opened["kind"] == "voicemail" and not opened["saved"]
    status, _ = await supervisor.post_json("/drafts", {"call_id": str(call_id), "fields": {
        "intake_id": opened["intake_id"], "report_narrative": "half typed"}})
    assert status == 200
    _, text = await supervisor.get(f"/intakes/open?voicemail={vid}", headers=JSON)
    again = json.loads(text)
    assert again["intake_id"] == opened["intake_id"]
    assert again["fields"]["report_narrative"] == "half typed"
    assert (await admin.get(f"/intake?voicemail={vid}"))[0] == 200  # nothing saved yet

    form = {**await vm_form(web, vid, "Left at night"), "intake_id": opened["intake_id"]}
    assert (await post(supervisor, "/intakes", form))[0] == 200
    intake_id = opened["intake_id"]

    # Anyone else is sent to the intake; its page shows it, audited as viewed.
    status, _ = await admin.get(f"/intake?voicemail={vid}")
    assert (status, admin.last["location"]) == (303, f"/intakes/{intake_id}/correct")
    status, page = await admin.get(admin.last["location"])
    assert status == 200 and "Left at night" in page
    assert ("admin1", "view") in [(u, a) for u, a, _ in await audits(web, "intake", intake_id)]
    # Its author gets the form, which reopens the saved intake.
    status, page = await supervisor.get(f"/intake?voicemail={vid}")
    assert status == 200 and f'value="{vid}"' in page
    _, text = await supervisor.get(f"/intakes/open?voicemail={vid}", headers=JSON)
    reopened = json.loads(text)
    assert reopened["saved"] and reopened["intake_id"] == intake_id
    assert reopened["fields"]["needs_note"] == "Left at night"


async def test_the_list_shows_each_voicemails_intake(web: WebApp) -> None:
    none, _ = await voicemail(web)
    one, _ = await voicemail(web)
    twice, twice_call = await voicemail(web)
    supervisor, admin = await web.signed_in("supervisor1"), await web.signed_in("admin1")
    assert (await post(supervisor, "/intakes", await vm_form(web, one, "One")))[0] == 200
    # Duplicates saved before the rule, as deployed databases may hold: two users, one call.
    ids = [uuid.uuid4(), uuid.uuid4()]
    for intake_id, username, hours in zip(ids, ("admin1", "supervisor1"), (2, 1), strict=True):
        await web.sql(
            """INSERT INTO intakes (id, call_id, user_id, outcome, created_at)
               VALUES ($1, $2, (SELECT id FROM users WHERE username = $3), 'intake',
                       now() - $4 * interval '1 hour')""", intake_id, twice_call, username, hours)

    status, page = await supervisor.get("/voicemail")
    assert status == 200
    cells = {vid: row_of(page, vid) for vid in (none, one, twice)}
    assert "Write an intake" in cells[none] and "Intake saved" not in cells[none]
    assert "<td>Spanish</td>" in cells[none]  # a language named, not its code
    assert "Intake saved by Demo Supervisor" in cells[one] and "Open the intake" in cells[one]
    assert "Write an intake" not in cells[one] and "intakes</strong>" not in cells[one]
    assert "Intake saved by Demo Admin" in cells[twice]  # the earliest
    assert '<strong class="voicemail-intakes">2 intakes</strong>' in cells[twice]
    # Its link opens the earliest, for anyone but its author.
    await supervisor.get(f"/intake?voicemail={twice}")
    assert supervisor.last["location"] == f"/intakes/{ids[0]}/correct"
    assert (await admin.get(f"/intake?voicemail={twice}"))[0] == 200
    kept = await web.sql("SELECT 1 FROM intakes WHERE call_id = $1", twice_call)
    assert len(kept) == 2  # nothing merged or removed


@pytest.mark.parametrize(("reason", "cell"), [
    ("closed", "The line was closed"),
    ("no_operators", "No operator was logged in"),
    ("phones_offline", "No operator's phone was connected"),  # logged in, phones offline
    ("max_wait", "The caller waited too long in the queue"),
    ("error", "The call could not be routed"),
    ("oncall_unanswered", "Nobody on the line's on-call list accepted the call"),
])
async def test_the_list_says_why_the_call_went_to_voicemail(web: WebApp, reason: str,
                                                           cell: str) -> None:
    """In the words of the message's email and of the call's timeline (reasons.py)."""
    vid, _ = await voicemail(web, reason=reason)
    status, page = await (await web.signed_in("supervisor1")).get("/voicemail")
    assert status == 200
    assert f"<td>{escape(cell)}</td>" in row_of(page, vid)


def row_of(page: str, vid: uuid.UUID) -> str:
    start = page.index(f'data-voicemail-id="{vid}"')
    return page[start:page.index("</tr>", start)]


async def waiting(web: WebApp, client: Client) -> list[str]:
    """The voicemails the supervisors' feed (on /supervisor/queues) lists as waiting."""
    screen = await client.http.ws_connect(client.url("/supervisor/alerts/ws"),
                                          headers={"Origin": web.base_url})
    try:
        snapshot = await screen.receive_json(timeout=10)
    finally:
        await screen.close()
    assert snapshot["type"] == "snapshot"
    return [v["id"] for v in snapshot["voicemails"]]


async def test_saving_an_intake_reviews_the_voicemail(web: WebApp) -> None:
    by_form, _ = await voicemail(web)
    by_outcome, _ = await voicemail(web)
    already, _ = await voicemail(web, reviewed=True)
    supervisor, admin = await web.signed_in("supervisor1"), await web.signed_in("admin1")
    assert {str(by_form), str(by_outcome)} <= set(await waiting(web, supervisor))
    was = (await web.sql("SELECT reviewed_at FROM voicemails WHERE id = $1", already))[0][0]

    status, body = await post(admin, "/intakes", await vm_form(web, by_form, "Reviewed"))
    assert status == 200, body
    status, _ = await post(supervisor, "/intakes/outcome", {
        "intake_id": str(uuid.uuid4()), "voicemail_id": str(by_outcome), "outcome": "silent"})
    assert status == 200
    assert (await post(admin, "/intakes", await vm_form(web, already, "Later")))[0] == 200

    reviewed = {r["id"]: r["reviewed_at"] for r in await web.sql(
        "SELECT id, reviewed_at FROM voicemails")}
    assert reviewed[by_form] and reviewed[by_outcome] and reviewed[already] == was
    # Audited as the "Mark reviewed" button does, by whoever saved the intake: who reviewed
    # it is kept, with no reason (the intake is the record).
    assert await audits(web, "voicemail", by_form) == [
        ("admin1", "update", ["reviewed_at", "reviewed_by"])]
    assert await audits(web, "voicemail", by_outcome) == [
        ("supervisor1", "update", ["reviewed_at", "reviewed_by"])]
    assert await reviewers(web) >= {(by_form, "admin1", None), (by_outcome, "supervisor1", None)}
    assert await audits(web, "voicemail", already) == []  # already reviewed: left as it was
    intake_id = body["intake_id"]
    assert [a for _, a, _ in await audits(web, "intake", intake_id)] == ["create"]

    assert not {str(by_form), str(by_outcome)} & set(await waiting(web, supervisor))
    _, unreviewed = await supervisor.get("/voicemail?show=unreviewed")
    assert str(by_form) not in unreviewed and str(by_outcome) not in unreviewed


async def reviewers(web: WebApp) -> set[tuple[uuid.UUID, str, str | None]]:
    return {(r["id"], r["username"], r["review_reason"]) for r in await web.sql(
        """SELECT v.id, u.username, v.review_reason FROM voicemails v
           JOIN users u ON u.id = v.reviewed_by""")}


async def test_the_button_reviews_once_with_who_and_why_and_audits_each_click(
    web: WebApp
) -> None:
    vid, _ = await voicemail(web)
    supervisor, admin = await web.signed_in("supervisor1"), await web.signed_in("admin1")
    await supervisor.get("/voicemail")
    assert (await supervisor.post(f"/voicemail/{vid}/reviewed",
                                  {"reason": "other", "note": "Caller's lawyer phoned us"})
            )[0] == 303
    assert supervisor.last["location"] == "/voicemail?show=all"
    first = await reviewed_at(web, vid)
    assert first is not None
    assert (await admin.post(f"/voicemail/{vid}/reviewed"))[0] == 303  # a list shown earlier
    assert await reviewed_at(web, vid) == first
    assert await reviewers(web) == {(vid, "supervisor1", "other")}  # the first review's
    assert await audits(web, "voicemail", vid) == [
        ("supervisor1", "update", ["review_note", "review_reason", "reviewed_at",
                                   "reviewed_by"]),
        ("admin1", "update", ["reviewed_at"])]
    # The note is sealed at rest, and shown on the list (a view of it, audited).
    sealed = (await web.sql("SELECT review_note FROM voicemails WHERE id = $1", vid))[0][0]
    assert b"lawyer" not in bytes(sealed)
    status, page = await admin.get("/voicemail?show=reviewed")
    assert status == 200
    said = escape("Other: Caller's lawyer phoned us")
    assert f'by Demo Supervisor. No intake: <span class="review-reason">{said}</span>' in row_of(
        page, vid)
    assert (await audits(web, "voicemail", vid))[-1] == ("admin1", "view", ["review_note"])
    assert (await supervisor.post(f"/voicemail/{uuid.uuid4()}/reviewed",
                                  {"reason": "duplicate"}))[0] == 404


@pytest.mark.parametrize(("form", "field", "message"), [
    ({}, "reason", NO_REASON),
    ({"reason": "mislaid"}, "reason", NO_REASON),
    ({"reason": "other", "note": "  "}, "note", NO_NOTE),
    ({"reason": "other", "note": "x" * 201}, "note", "At most 200 characters"),
])
async def test_a_message_without_an_intake_needs_a_reason(
    web: WebApp, form: dict[str, str], field: str, message: str
) -> None:
    """Refused on the server: the list again, the problem beside the message's own form
    with what was chosen, nothing saved or audited."""
    vid, _ = await voicemail(web)
    other, _ = await voicemail(web)
    supervisor = await web.signed_in("supervisor1")
    await supervisor.get("/voicemail")
    status, page = await supervisor.post(f"/voicemail/{vid}/reviewed",
                                         {**form, "show": "unreviewed"})
    assert status == 422
    row = row_of(page, vid)
    assert f'id="error-{field}"' in row and str(escape(message)) in row
    assert "error-" not in row_of(page, other)
    if form.get("reason") == "other":
        assert '<option value="other" selected>' in row
    assert 'aria-current="page">Unreviewed' in page  # the list asked for
    assert await reviewed_at(web, vid) is None
    assert await audits(web, "voicemail", vid) == []


async def test_a_message_with_an_intake_needs_no_reason(web: WebApp) -> None:
    """An intake saved before writing it reviewed the message (older data): the button
    asks for nothing more."""
    vid, call_id = await voicemail(web)
    await web.sql("""INSERT INTO intakes (id, call_id, user_id, outcome)
                     SELECT $1, $2, id, 'intake' FROM users WHERE username = 'admin1'""",
                  uuid.uuid4(), call_id)
    supervisor = await web.signed_in("supervisor1")
    _, page = await supervisor.get("/voicemail")
    assert 'name="reason"' not in row_of(page, vid)
    assert (await supervisor.post(f"/voicemail/{vid}/reviewed"))[0] == 303
    assert await reviewers(web) == {(vid, "supervisor1", None)}


@pytest.mark.parametrize(("priority", "word"), [(0, "Not urgent"), (1, "Emergency")])
async def test_triage_is_worded_as_the_call_history_words_it(web: WebApp, priority: int,
                                                             word: str) -> None:
    vid, call_id = await voicemail(web)
    await web.sql("UPDATE calls SET priority = $2 WHERE id = $1", call_id, priority)
    await web.sql("UPDATE voicemails SET priority = $2 WHERE id = $1", vid, priority)
    supervisor = await web.signed_in("supervisor1")
    _, listed = await supervisor.get("/voicemail")
    _, calls = await supervisor.get("/calls")
    assert f">{word}<" in row_of(listed, vid)
    start = calls.index(f'href="/calls/{call_id}"')
    assert f"<td>{word}</td>" in calls[start:calls.index("</tr>", start)]


async def reviewed_at(web: WebApp, vid: uuid.UUID) -> dt.datetime | None:
    found: dt.datetime | None = (await web.sql(
        "SELECT reviewed_at FROM voicemails WHERE id = $1", vid))[0][0]
    return found


async def test_a_refused_save_in_the_browser_keeps_the_form_and_links_the_intake(
    web: WebApp, browsing: Browsing
) -> None:
    """The page was opened before someone else saved the voicemail's intake."""
    vid, _ = await voicemail(web)
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    "/voicemail")
    await page.locator(f'tr[data-voicemail-id="{vid}"] a', has_text="Write an intake").click()
    await expect(page.locator("#intake-binding")).to_contain_text("voicemail")
    admin = await web.signed_in("admin1")
    status, body = await post(admin, "/intakes", await vm_form(web, vid, "Saved first"))
    assert status == 200, body

    await page.fill("#needs-note", "Typed meanwhile")
    await page.click("#intake-save")
    await expect(page.locator("#intake-status")).to_contain_text("already has an intake")
    await expect(page.locator("#needs-note")).to_have_value("Typed meanwhile")
    link = page.locator("#intake-elsewhere a")
    await expect(link).to_have_attribute("href", f"/intakes/{body['intake_id']}/correct")
    await link.click()
    await expect(page.locator("h1")).to_have_text("Correct an intake")
    await page.goto(f"{web.base_url}/voicemail")
    row = page.locator(f'tr[data-voicemail-id="{vid}"]')
    await expect(row).to_contain_text("Intake saved by Demo Admin")
    await expect(row.locator("a", has_text="Open the intake")).to_be_visible()
    browsing.problems = [p for p in browsing.problems if "HTTP 409 /intakes" not in p]
    browsing.check_clean()


async def test_the_message_is_heard_on_its_intake_form(web: WebApp) -> None:
    """Whoever writes a voicemail's intake hears it on the same page (the audio route is
    the list's: supervisors only, each listen audited); a message not yet secured says so."""
    stored, waiting = (await voicemail(web))[0], (await voicemail(web))[0]
    await web.sql("INSERT INTO voicemail_audio (voicemail_id, audio, bytes) VALUES ($1, $2, 3)",
                  stored, b"abc")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/intake?voicemail={stored}")
    assert status == 200
    assert f'<audio controls preload="none" src="/voicemail/{stored}/audio"></audio>' in page
    assert 'id="intake-voicemail"' in page and "20 s, left" in page
    status, page = await supervisor.get(f"/intake?voicemail={waiting}")
    assert status == 200 and "Being secured" in page and "<audio" not in page
    status, page = await supervisor.get("/intake")  # standalone: no message
    assert status == 200 and 'id="intake-voicemail"' not in page


async def test_a_voicemails_intake_form_is_under_voicemail_in_the_top_bar(web: WebApp) -> None:
    vid, _ = await voicemail(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/intake?voicemail={vid}&language=es")
    assert status == 200
    assert current_links(page) == ["/voicemail"]
    _, page = await supervisor.get("/intake")  # the standalone form
    assert current_links(page) == ["/intake"]


def current_links(page: str) -> list[str]:
    """The top bar's links marked as the page's own."""
    bar = page[page.index("<nav>"):page.index("</nav>")]
    return re.findall(r'<a href="([^"]+)"[^>]* aria-current="page">', bar)


async def test_the_list_gives_times_on_the_hotlines_clock(web: WebApp) -> None:
    """As /calls does (the statistics' zone, named): 03:05 UTC is the evening before."""
    vid, call_id = await voicemail(web, reviewed=True)
    await web.sql("""UPDATE voicemails SET created_at = '2025-03-01 03:05+00',
                                           reviewed_at = '2025-07-01 03:10+00' WHERE id = $1""",
                  vid)
    await web.sql("""INSERT INTO intakes (id, call_id, user_id, outcome, created_at)
                     VALUES ($1, $2, (SELECT id FROM users WHERE username = 'admin1'),
                             'intake', '2025-03-01 04:00+00')""", uuid.uuid4(), call_id)
    status, page = await (await web.signed_in("supervisor1")).get("/voicemail")
    assert status == 200
    cell = " ".join(row_of(page, vid).split())
    assert "<td>2025-02-28 22:05 EST</td>" in cell
    assert "Intake saved by Demo Admin, 2025-02-28 23:00 EST." in cell
    assert "Reviewed 2025-06-30 23:10 EDT" in cell and "UTC" not in cell
