"""Follow-ups over HTTP against the running app: an operator works only their own, refusals
change nothing, notes are sealed, every view and change is audited; family contacts follow
the caller's consent; supervisors filter and page through everyone's."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from lifeline_pbx import crypto
from tests.edit_forms import post_opened
from tests.follow_up_seed import (
    A_NUMBER_SHOWN,
    FAMILY,
    FAMILY_PHONE,
    HIDDEN_FAMILY,
    KEYS,
    MESSAGE,
    NAME,
    NEEDS_NOTE,
    add_follow_up,
    add_intake,
    add_person,
    facilities,
    user_id,
)
from tests.privacy import sensitive
from tests.web_fixtures import WebApp, add_user

NOTE = "Reached the sister at noon; she will bring the certificate on Friday."
TOMORROW = dt.date.today() + dt.timedelta(days=1)
YESTERDAY = dt.date.today() - dt.timedelta(days=1)
DASH = "\N{EN DASH}"
sensitive(NOTE)


async def state(web: WebApp, follow_up: uuid.UUID) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    row = (await web.sql("SELECT status, assignee_id, due_on, closed_at FROM follow_ups "
                         "WHERE id = $1", follow_up))[0]
    return {
        **dict(row),
        "notes": len(await web.sql("SELECT 1 FROM follow_up_notes WHERE follow_up_id = $1",
                                   follow_up)),
        "changes": len(await web.sql("SELECT 1 FROM follow_up_changes "
                                     "WHERE follow_up_id = $1", follow_up)),
        "audit": len(await web.sql("SELECT 1 FROM audit_log WHERE entity_id = $1",
                                   str(follow_up))),
    }


async def audit_rows(web: WebApp, entity_id: object) -> set[tuple[str, str, tuple[str, ...]]]:
    rows = await web.sql("SELECT action, entity, fields FROM audit_log WHERE entity_id = $1",
                         str(entity_id))
    return {(r["action"], r["entity"], tuple(r["fields"])) for r in rows}


async def test_an_operator_works_only_their_own_follow_ups(web: WebApp) -> None:
    await add_user(web.dsn, "operator2", "operator", "another-long-passw0rd")
    op1, op2 = await user_id(web, "operator1"), await user_id(web, "operator2")
    boss = await user_id(web, "supervisor1")
    facility = (await facilities(web))[0]
    person = await add_person(web, facility)
    intake = await add_intake(web, person, facility, op1, family=FAMILY, consent=True)
    mine = await add_follow_up(web, "Relay the message to the sister", boss, assignee=op1,
                               person=person, intake=intake, due=TOMORROW)
    theirs = await add_follow_up(web, "Theirs to do", boss, assignee=op2, person=person,
                                 intake=intake, due=TOMORROW)
    operator = await web.signed_in("operator1")

    status, page = await operator.get("/follow-ups")
    assert status == 200 and f"/follow-ups/{mine}" in page and f"/follow-ups/{theirs}" not in page
    assert NAME in page and A_NUMBER_SHOWN in page and "Theirs to do" not in page
    assert f'1{DASH}1 of <span class="pager-total">1<' in page

    # Another's follow-up: not readable, not changeable, and nothing moves.
    before = await state(web, theirs)
    for method, path, form in (
        ("get", f"/follow-ups/{theirs}", None),
        ("post", f"/follow-ups/{theirs}", {"status": "done"}),
        ("post", f"/follow-ups/{theirs}/notes", {"note": "not mine"}),
    ):
        status, body = await (operator.get(path) if method == "get"
                              else operator.post(path, form))
        assert status == 403, (method, path)
        assert NAME not in body and FAMILY not in body
    assert await state(web, theirs) == before
    for path in ("/follow-ups/all", f"/people/{person}",
                 f"/people/{person}/contact-family/{intake}"):
        status, _ = await operator.get(path)
        assert status == 403, path

    # Their own: the person, the family contact and the needs note, audited as viewed.
    status, page = await operator.get(f"/follow-ups/{mine}")
    assert status == 200
    for shown in (NAME, A_NUMBER_SHOWN, FAMILY, FAMILY_PHONE, MESSAGE, NEEDS_NOTE):
        assert shown in page, shown
    assert f'href="/people/{person}"' not in page  # the whole record is supervisors'
    assert ("view", "intake", ("family_consent", "family_contact", "needs", "needs_note")) \
        in await audit_rows(web, intake)
    assert ("view", "person", ("a_number", "facility", "names")) in await audit_rows(web, person)

    # What an operator may not do to their own: cancel, reassign, move the due date.
    before = await state(web, mine)
    for form in ({"status": "cancelled"}, {"assignee": str(op2)},
                 {"due_on": (TOMORROW + dt.timedelta(days=3)).isoformat()}):
        status, _ = await operator.post(f"/follow-ups/{mine}", form)
        assert status == 403, form
    # Bad input: a clear 422, the typed note kept on the page, nothing stored.
    for form, message in (({"note": "   "}, "Enter the note"),
                          ({"note": "x" * 2001}, "at most 2,000")):
        status, page = await operator.post(f"/follow-ups/{mine}/notes", form)
        assert status == 422 and message in page
    status, page = await operator.post(f"/follow-ups/{mine}", {"status": "finished"})
    assert status == 422 and "Choose status" in page
    status, page = await post_opened(operator, f"/follow-ups/{mine}", {"status": "open"})
    assert status == 422 and "Nothing to change" in page
    after_refusals = await state(web, mine)
    assert {k: v for k, v in after_refusals.items() if k != "audit"} == \
        {k: v for k, v in before.items() if k != "audit"}
    # (Only the re-shown pages were audited: views, never an update.)
    assert ("update", "follow_up") not in {(a, e) for a, e, _ in await audit_rows(web, mine)}

    # A note, then done.
    status, _ = await operator.post(f"/follow-ups/{mine}/notes", {"note": NOTE})
    assert status == 303
    status, _ = await post_opened(operator, f"/follow-ups/{mine}", {"status": "done"})
    assert status == 303 and operator.last["location"] == f"/follow-ups/{mine}"
    row = (await web.sql("SELECT status, closed_at FROM follow_ups WHERE id = $1", mine))[0]
    assert row["status"] == "done" and row["closed_at"] is not None
    changes = await web.sql("SELECT changed_by, field, old_value, new_value "
                            "FROM follow_up_changes WHERE follow_up_id = $1", mine)
    assert [tuple(c.values()) for c in changes] == [(op1, "status", "open", "done")]

    # The note is sealed: the raw row holds no plaintext, and opens only in its place.
    note = (await web.sql("SELECT id, body, author_id FROM follow_up_notes "
                          "WHERE follow_up_id = $1", mine))[0]
    raw = bytes(note["body"])
    assert NOTE.encode() not in raw and b"sister" not in raw and note["author_id"] == op1
    assert KEYS.open(raw, crypto.place("follow_up_notes", "body", note["id"])) == NOTE
    assert ("create", "follow_up_note", ("body", "follow_up_id")) in await audit_rows(
        web, note["id"])
    assert ("update", "follow_up", ("status",)) in await audit_rows(web, mine)
    every_field = {f for r in await web.sql("SELECT fields FROM audit_log") for f in r["fields"]}
    assert all(re.fullmatch(r"[a-z_]+", f) for f in every_field), every_field

    # The supervisor sees the thread and the history.
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/follow-ups/{mine}")
    assert status == 200 and NOTE in page and "Demo Operator" in page
    assert re.search(r"Demo Operator · status: open → done", page)
    # and may change what an operator may not.
    status, _ = await post_opened(supervisor, f"/follow-ups/{mine}", {
        "status": "open", "assignee": str(op2), "due_on": TOMORROW.isoformat()})
    assert status == 303
    fields = {r["field"] for r in await web.sql(
        "SELECT field FROM follow_up_changes WHERE follow_up_id = $1 AND changed_by = $2",
        mine, boss)}
    assert fields == {"status", "assignee"}  # the due date was sent unchanged
    # Reassigned to operator2: operator1 can no longer open it.
    status, _ = await operator.get(f"/follow-ups/{mine}")
    assert status == 403


async def test_family_contact_follows_consent_and_contact_family(web: WebApp) -> None:
    op1, boss = await user_id(web, "operator1"), await user_id(web, "supervisor1")
    facility = (await facilities(web))[0]
    person = await add_person(web, facility)
    agreed = await add_intake(web, person, facility, op1, family=FAMILY, consent=True)
    refused = await add_intake(web, person, facility, op1, family=HIDDEN_FAMILY,
                               consent=False, needs_note=None)
    hidden = await add_follow_up(web, "Ask about the family", boss, assignee=op1,
                                 person=person, intake=refused)
    operator = await web.signed_in("operator1")
    status, page = await operator.get(f"/follow-ups/{hidden}")
    assert status == 200 and HIDDEN_FAMILY not in page and FAMILY_PHONE not in page
    assert "only a supervisor can see it" in page
    assert ("view", "intake", ("family_consent", "needs")) in await audit_rows(web, refused)

    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{person}")
    assert status == 200
    for shown in (FAMILY, HIDDEN_FAMILY, NEEDS_NOTE, "did not consent",
                  f"/people/{person}/contact-family/{agreed}", f"/follow-ups/{hidden}"):
        assert shown in page, shown
    assert ("view", "intake", ("family_consent", "family_contact", "needs")) \
        in await audit_rows(web, refused)

    # Contact family: the form, its refusals, then the follow-up with the contact attached.
    path = f"/people/{person}/contact-family/{agreed}"
    status, page = await supervisor.get(path)
    assert status == 200 and FAMILY in page and 'name="followup_what"' in page
    count = len(await web.sql("SELECT 1 FROM follow_ups"))
    status, page = await supervisor.post(path, {
        "followup_what": "Call the sister today", "followup_due": "2001-01-01",
        "followup_assignee": str(op1)})
    assert status == 422 and "in the past" in page and "Call the sister today" in page
    for bad in (f"/people/{person}/contact-family/{uuid.uuid4()}",
                f"/people/{uuid.uuid4()}/contact-family/{agreed}",
                f"/people/{person}/contact-family/not-an-id"):
        status, _ = await supervisor.post(bad, {"followup_what": "x"})
        assert status == 404, bad
    status, _ = await operator.post(path, {"followup_what": "x"})
    assert status == 403
    assert len(await web.sql("SELECT 1 FROM follow_ups")) == count
    status, _ = await supervisor.post(path, {
        "followup_what": "Call the sister today", "followup_due": TOMORROW.isoformat(),
        "followup_assignee": str(op1)})
    assert status == 303
    created = uuid.UUID(supervisor.last["location"].rsplit("/", 1)[1])
    row = (await web.sql("SELECT person_id, intake_id, assignee_id, due_on, created_by "
                         "FROM follow_ups WHERE id = $1", created))[0]
    assert tuple(row.values()) == (person, agreed, op1, TOMORROW, boss)
    assert ("create", "follow_up", ("assignee_id", "due_on", "intake_id", "person_id",
                                    "what")) in await audit_rows(web, created)
    status, page = await operator.get("/follow-ups")
    assert f"/follow-ups/{created}" in page and "Call the sister today" in page
    status, page = await operator.get(f"/follow-ups/{created}")
    assert status == 200 and FAMILY in page and FAMILY_PHONE in page and MESSAGE in page


async def test_supervisors_filter_and_page_all_follow_ups(web: WebApp) -> None:
    await add_user(web.dsn, "operator2", "operator", "another-long-passw0rd")
    op1, op2 = await user_id(web, "operator1"), await user_id(web, "operator2")
    boss = await user_id(web, "supervisor1")
    first, second = (await facilities(web))[:2]
    here = await add_person(web, first)
    there = await add_person(web, second, a_number="208555124", name="Other Person")
    made: dict[uuid.UUID, tuple[int | None, str, int, bool]] = {}
    for n in range(40):
        assignee = (op1, op2, None)[n % 3]
        state = "done" if n % 7 == 0 else "open"
        person, facility = (here, first) if n % 2 else (there, second)
        late = n % 5 == 0
        fid = await add_follow_up(web, f"Task {n:02d}", boss, assignee=assignee, person=person,
                                  status=state, due=YESTERDAY if late else TOMORROW)
        made[fid] = (assignee, state, facility, late and state == "open")
    supervisor = await web.signed_in("supervisor1")

    async def listed(query: str) -> tuple[set[uuid.UUID], int, str]:
        """Every follow-up the filter shows, through all its pages, and the total."""
        ids: set[uuid.UUID] = set()
        status, page = await supervisor.get(f"/follow-ups/all?{query}")
        assert status == 200, query
        total = int(re.search(r'pager-total">(\d+)<', page).group(1))  # type: ignore[union-attr]
        first_page = page
        number = 1
        while True:
            ids |= {uuid.UUID(i) for i in re.findall(r'data-id="([0-9a-f-]+)"', page)}
            if 'rel="next"' not in page:
                break
            number += 1
            status, page = await supervisor.get(f"/follow-ups/all?{query}&page={number}")
            assert status == 200
        assert len(ids) == total, query
        return ids, total, first_page

    def expected(keep: Any) -> set[uuid.UUID]:
        return {fid for fid, facts in made.items() if keep(*facts)}

    ids, total, page = await listed("status=open")
    assert ids == expected(lambda a, s, f, late: s == "open") and total > 25
    assert f"1{DASH}25 of" in page and 'rel="next"' in page
    cases = {
        "status=done": lambda a, s, f, late: s == "done",
        "status=any": lambda a, s, f, late: True,
        f"status=any&assignee={op2}": lambda a, s, f, late: a == op2,
        "status=open&assignee=none": lambda a, s, f, late: a is None and s == "open",
        f"status=any&facility={first}": lambda a, s, f, late: f == first,
        "status=open&overdue=1": lambda a, s, f, late: late,
        f"status=open&overdue=1&assignee={op1}&facility={second}":
            lambda a, s, f, late: late and a == op1 and f == second,
    }
    for query, keep in cases.items():
        ids, _, _ = await listed(query)
        assert ids == expected(keep), query

    # Overdue rows stand out, in words as well as colour; the audit has every row shown.
    status, page = await supervisor.get("/follow-ups/all?overdue=1")
    late_rows = re.findall(r'<tr class="follow-up overdue"', page)
    assert late_rows and len(late_rows) == page.count("Overdue</strong>")
    viewed = {r["entity_id"] for r in await web.sql(
        "SELECT entity_id FROM audit_log WHERE action = 'view' AND entity = 'follow_up' "
        "AND user_id = $1", boss)}
    assert {str(f) for f in made} <= viewed

    # A page past the end shows the last page; bad filters are refused clearly.
    status, page = await supervisor.get("/follow-ups/all?status=any&page=99")
    assert status == 200 and f"41{DASH}40" not in page
    assert f'26{DASH}40 of <span class="pager-total">40<' in page
    for query in ("page=0", "page=abc", "status=bogus", "assignee=abc",
                  f"facility={second + 1000}", f"assignee={op2 + 1000}"):
        status, page = await supervisor.get(f"/follow-ups/all?{query}")
        assert status == 422 and 'role="alert"' in page, query

    # An operator's list is their own, whatever the address asks for.
    operator = await web.signed_in("operator1")
    status, page = await operator.get(f"/follow-ups?status=any&assignee={op2}")
    shown = {uuid.UUID(i) for i in re.findall(r'data-id="([0-9a-f-]+)"', page)}
    assert status == 200 and 'pager-total">14<' in page
    assert shown <= expected(lambda a, s, f, late: a == op1) and len(shown) == 14


def _chosen(page: str, select_id: str) -> str | None:
    """The value of the option selected in that select of the page."""
    select = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert select, select_id
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return chosen.group(1) if chosen else None


async def test_the_work_form_comes_back_with_what_was_typed_on_each_error(
        web: WebApp) -> None:
    """A supervisor's "Work on it" form refused: the error beside it, and the status,
    assignee and due date as typed, not as saved; nothing stored."""
    op1 = await user_id(web, "operator1")
    await add_user(web.dsn, "operator3", "operator", "another-long-passw0rd")
    op3 = await user_id(web, "operator3")
    await web.sql("UPDATE users SET enabled = false WHERE id = $1", op3)
    boss = await user_id(web, "supervisor1")
    follow_up = await add_follow_up(web, "Call the consulate", boss, assignee=op1,
                                    due=TOMORROW)
    supervisor = await web.signed_in("supervisor1")
    saved = {"status": "open", "assignee": str(op1), "due_on": TOMORROW.isoformat()}
    before = await state(web, follow_up)
    for typed, message in [
        ({"status": "cancelled", "assignee": str(boss), "due_on": "1999-01-01"},
         "The new due date is in the past."),
        ({"status": "done", "assignee": "", "due_on": "2099-13-40"},
         "Due date: give a date as YYYY-MM-DD."),
        ({"status": "finished", "assignee": str(boss), "due_on": "2099-02-03"},
         "Choose status."),
        ({"status": "done", "assignee": "someone", "due_on": "2099-02-03"},
         "Choose the assignee from the list."),
        ({"status": "cancelled", "assignee": str(op3), "due_on": ""},
         "Choose the assignee from the list (an enabled user)."),
        (saved, "Nothing to change"),
    ]:
        status, page = await post_opened(supervisor, f"/follow-ups/{follow_up}", typed)
        assert status == 422 and message in page, typed
        work = page[page.index('<section id="follow-up-work">'):]
        assert message in work[:work.index("</section>")], typed  # beside the form
        status_shown = typed["status"] if typed["status"] != "finished" else None
        assert _chosen(page, "change-status") == status_shown, typed
        listed = typed["assignee"] if typed["assignee"] not in ("someone", str(op3)) else None
        assert _chosen(page, "change-assignee") == listed, typed
        assert f'id="change-due" name="due_on" value="{typed["due_on"]}"' in page, typed
    after = await state(web, follow_up)
    assert {k: v for k, v in after.items() if k != "audit"} == \
        {k: v for k, v in before.items() if k != "audit"}
    # Opened again afterwards, the form shows the saved values.
    status, page = await supervisor.get(f"/follow-ups/{follow_up}")
    assert status == 200 and _chosen(page, "change-status") == "open"
    assert _chosen(page, "change-assignee") == str(op1)
    assert f'value="{TOMORROW.isoformat()}"' in page


def _form_key(page: str, form_id: str) -> str:
    form = page[page.index(f'id="{form_id}"'):]
    found = re.search(r'name="form_key" value="([0-9a-f-]{36})"', form)
    assert found, form_id
    return found[1]


async def test_a_note_or_a_contact_form_posted_again_adds_nothing(web: WebApp) -> None:
    """A double click, a back button and resubmit, a retry: the same form (its key, made
    as it was shown) adds one note, one follow-up; a form shown anew adds another."""
    op1 = await user_id(web, "operator1")
    facility = (await facilities(web))[0]
    person = await add_person(web, facility)
    agreed = await add_intake(web, person, facility, op1, family=FAMILY, consent=True)
    mine = await add_follow_up(web, "Call the lawyer", op1, assignee=op1, person=person)
    operator = await web.signed_in("operator1")

    _, page = await operator.get(f"/follow-ups/{mine}")
    form = {"note": NOTE, "form_key": _form_key(page, "note-form")}
    for _ in range(3):
        assert (await operator.post(f"/follow-ups/{mine}/notes", form))[0] == 303
    _, page = await operator.get(f"/follow-ups/{mine}")  # a new form: a new note
    await operator.post(f"/follow-ups/{mine}/notes",
                        {"note": "Second call", "form_key": _form_key(page, "note-form")})
    notes = await web.sql("SELECT id FROM follow_up_notes WHERE follow_up_id = $1", mine)
    assert len(notes) == 2
    created = [r for r in await audit_rows(web, notes[0]["id"]) if r[0] == "create"]
    assert len(created) == 1

    supervisor = await web.signed_in("supervisor1")
    path = f"/people/{person}/contact-family/{agreed}"
    _, page = await supervisor.get(path)
    form = {"followup_what": "Call the sister", "followup_assignee": str(op1),
            "form_key": _form_key(page, "contact-family-form")}
    before = len(await web.sql("SELECT 1 FROM follow_ups"))
    made = set()
    for _ in range(2):
        assert (await supervisor.post(path, form))[0] == 303
        made.add(supervisor.last["location"])
    assert len(made) == 1 and len(await web.sql("SELECT 1 FROM follow_ups")) == before + 1
