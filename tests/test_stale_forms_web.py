"""Lost updates, over HTTP against the running app: an edit form of the case record saved
over a record someone else changed after it was opened is refused (409) and writes
nothing; the page shows the record as it is now and, beside it, what was typed; saved
again from that page (or opened again), it saves. Two saves at once from forms opened over
the same record: one saves, the other is refused. Each form, the same table."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from lifeline_pbx.cases import edit_marks
from tests.edit_forms import mark_in, opened
from tests.follow_up_seed import add_follow_up, add_person, facilities, user_id
from tests.test_cases_web import intake, save
from tests.waiting import wait_for
from tests.web_fixtures import Client, WebApp, add_user

TOMORROW = dt.date.today() + dt.timedelta(days=1)
LATER = TOMORROW + dt.timedelta(days=6)
PASSWORD = "another-long-passw0rd"


@dataclass(frozen=True)
class Case:
    """One edit form: A opens it, B saves theirs, then A saves what A typed."""

    path: str  # the form's page, where it is posted too
    a: Client
    b: Client
    theirs: dict[str, Any]  # what B saves
    mine: dict[str, Any]  # what A typed over the record as it was
    again: dict[str, Any]  # what A saves once shown the record as it is now
    now_shown: tuple[str, ...]  # B's values, as A's refused page shows the record now
    typed_shown: tuple[str, ...]  # A's values, as that page shows what was typed
    state: Callable[[], Awaitable[object]]  # all a refused save must leave as it was
    row: tuple[str, uuid.UUID]  # the table and id of the record's row


async def _supervisor2(web: WebApp) -> Client:
    await add_user(web.dsn, "supervisor2", "supervisor", PASSWORD)
    client = await web.client()
    assert await client.sign_in("supervisor2", PASSWORD) == 303
    return client


def _audited_updates(web: WebApp, entity: str, entity_id: uuid.UUID) -> Awaitable[object]:
    return web.sql("SELECT fields FROM audit_log WHERE action = 'update' AND entity = $1 "
                   "AND entity_id = $2 ORDER BY id", entity, str(entity_id))


async def person_edit(web: WebApp) -> Case:
    """The walkthrough's: B adds a name and a date of birth, A changes only the country."""
    facility = (await facilities(web))[0]
    person = await add_person(web, facility, name="Ana Ruiz")
    base = {"person_names": "Ana Ruiz", "person_dob": "", "person_country": "",
            "person_languages": ["es"], "person_facility": str(facility)}

    async def state() -> object:
        return (await web.sql("SELECT names, date_of_birth, country, languages, facility_id, "
                              "updated_at FROM persons WHERE id = $1", person),
                await web.sql("SELECT id FROM person_facilities"),
                await _audited_updates(web, "person", person))

    return Case(
        f"/people/{person}/edit", await web.signed_in("supervisor1"), await _supervisor2(web),
        theirs={**base, "person_names": "Ana Ruiz\nAna María Ruiz", "person_dob": "1990-02-03"},
        mine={**base, "person_country": "Guatemala"},
        again={**base, "person_names": "Ana Ruiz\nAna María Ruiz", "person_dob": "1990-02-03",
               "person_country": "Guatemala"},
        now_shown=(">Ana Ruiz\nAna María Ruiz</textarea>", 'name="person_dob" type="date" '
                   'value="1990-02-03"', 'name="person_country" maxlength="200" value=""'),
        typed_shown=('id="typed-names">Ana Ruiz<', 'id="typed-dob">—<',
                     'id="typed-country">Guatemala<', 'id="typed-languages">Spanish<'),
        state=state, row=("persons", person))


async def _follow_up_state(web: WebApp, follow_up: uuid.UUID) -> object:
    return (await web.sql("SELECT status, assignee_id, due_on, closed_at FROM follow_ups "
                          "WHERE id = $1", follow_up),
            await web.sql("SELECT id FROM follow_up_changes WHERE follow_up_id = $1",
                          follow_up),
            await _audited_updates(web, "follow_up", follow_up))


async def follow_up_by_supervisors(web: WebApp) -> Case:
    """The walkthrough's: B marks it done and assigns it, A's form would re-open and
    unassign it while moving its due date."""
    boss, op1 = await user_id(web, "supervisor1"), await user_id(web, "operator1")
    follow_up = await add_follow_up(web, "Call the consulate", boss, due=TOMORROW)
    return Case(
        f"/follow-ups/{follow_up}", await web.signed_in("supervisor1"),
        await _supervisor2(web),
        theirs={"status": "done", "assignee": str(op1), "due_on": TOMORROW.isoformat()},
        mine={"status": "open", "assignee": "", "due_on": LATER.isoformat()},
        again={"status": "done", "assignee": str(op1), "due_on": LATER.isoformat()},
        now_shown=('id="follow-up-status">done', 'id="follow-up-assignee">Demo Operator<',
                   '<option value="done" selected>',
                   f'<option value="{op1}" selected>Demo Operator</option>'),
        typed_shown=('id="chosen-status">open<', 'id="chosen-assignee">(nobody)<',
                     f'id="chosen-due">{LATER.isoformat()}<'),
        state=lambda: _follow_up_state(web, follow_up), row=("follow_ups", follow_up))


async def follow_up_by_its_assignee(web: WebApp) -> Case:
    """The assignee's "Mark done" over a follow-up whose due date a supervisor moved."""
    boss, op1 = await user_id(web, "supervisor1"), await user_id(web, "operator1")
    follow_up = await add_follow_up(web, "Call the consulate", boss, assignee=op1,
                                    due=TOMORROW)
    return Case(
        f"/follow-ups/{follow_up}", await web.signed_in("operator1"),
        await web.signed_in("supervisor1"),
        theirs={"status": "open", "assignee": str(op1), "due_on": LATER.isoformat()},
        mine={"status": "done"}, again={"status": "done"},
        now_shown=(f'id="follow-up-due">{LATER.isoformat()}<', 'id="mark-done"'),
        typed_shown=('id="chosen-status">done<',),
        state=lambda: _follow_up_state(web, follow_up), row=("follow_ups", follow_up))


FORMS = [person_edit, follow_up_by_supervisors, follow_up_by_its_assignee]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
async def test_a_form_opened_before_someone_saved_saves_nothing_and_shows_both(
        web: WebApp, form: Callable[[WebApp], Awaitable[Case]]) -> None:
    case = await form(web)
    mark_a = await opened(case.a, case.path)
    status, _ = await case.b.post(case.path, {**case.theirs,
                                              "opened": await opened(case.b, case.path)})
    assert status == 303  # a save over the record as opened saves
    before = await case.state()

    status, page = await case.a.post(case.path, {**case.mine, "opened": mark_a})
    assert status == 409
    assert edit_marks.CHANGED in html.unescape(page)
    for shown in (*case.now_shown, *case.typed_shown):
        assert shown in html.unescape(page), shown
    assert await case.state() == before  # nothing written, nothing audited as updated
    # A form with no mark at all is no better than a stale one.
    status, _ = await case.a.post(case.path, case.mine)
    assert status == 409 and await case.state() == before

    # Saved from the refused page (which shows the record as it is now), it saves.
    mark_now = mark_in(page)
    assert mark_now != mark_a
    status, _ = await case.a.post(case.path, {**case.again, "opened": mark_now})
    assert status == 303
    assert await case.state() != before


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
async def test_the_same_user_saves_again_from_the_form_opened_again(
        web: WebApp, form: Callable[[WebApp], Awaitable[Case]]) -> None:
    case = await form(web)
    status, _ = await case.b.post(case.path, {**case.theirs,
                                              "opened": await opened(case.b, case.path)})
    assert status == 303
    first = await case.state()
    status, _ = await case.a.post(case.path, {**case.again,
                                              "opened": await opened(case.a, case.path)})
    assert status == 303 and await case.state() != first


def _both_waiting(web: WebApp) -> Callable[[], Awaitable[bool]]:
    """Two sessions wait on a lock (asked outside the holding transaction: within one, the
    activity view stays as it was first read)."""
    async def probe() -> bool:
        rows = await web.sql("SELECT count(*) AS n FROM pg_stat_activity "
                             "WHERE wait_event_type = 'Lock' AND datname = current_database()")
        return bool(rows[0]["n"] == 2)
    return probe


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
async def test_two_saves_at_once_over_the_same_record_one_is_refused(
        web: WebApp, form: Callable[[WebApp], Awaitable[Case]]) -> None:
    """Two saves from forms opened over the same record, held at the record's row (locked
    here) until both wait on it, then let go: exactly one writes. A mark compared before
    the row is locked in the save's transaction would let both through."""
    case = await form(web)
    mark = await opened(case.a, case.path)
    assert await opened(case.b, case.path) == mark
    table, record_id = case.row
    holder = await asyncpg.connect(web.dsn)
    try:
        held = holder.transaction()
        await held.start()
        await holder.execute(f"SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE", record_id)
        saves = asyncio.gather(case.a.post(case.path, {**case.mine, "opened": mark}),
                               case.b.post(case.path, {**case.theirs, "opened": mark}))
        await wait_for(_both_waiting(web), what="both saves waiting on the row")
        await held.rollback()
        statuses = sorted(status for status, _ in await saves)
    finally:
        await holder.close()
    assert statuses == [303, 409]


async def test_an_intake_saved_over_a_person_changed_meanwhile_keeps_that_change(
        web: WebApp) -> None:
    """An intake about a known person reads them, then locks their row to write what it
    adds. A change saved in between (here, held at the row until the intake waits on it)
    is kept: the intake adds to the record as it is under the lock, not as first read."""
    operator = await web.signed_in("operator1")
    status, _ = await save(operator, await intake(web, "First", person_country=""))
    assert status == 200
    person_id = (await web.sql("SELECT id FROM persons"))[0]["id"]
    holder = await asyncpg.connect(web.dsn)
    try:
        held = holder.transaction()
        await held.start()
        await holder.execute("SELECT 1 FROM persons WHERE id = $1 FOR UPDATE", person_id)
        # The second call's intake fills the country the first left empty.
        second = asyncio.ensure_future(save(operator, await intake(web, "Second")))

        async def waiting() -> bool:
            rows = await web.sql("SELECT count(*) AS n FROM pg_stat_activity WHERE "
                                 "wait_event_type = 'Lock' AND datname = current_database()")
            return bool(rows[0]["n"] == 1)

        await wait_for(waiting, what="the intake waiting on the person's row")
        await holder.execute("UPDATE persons SET languages = '{es,fr}', updated_at = now() "
                             "WHERE id = $1", person_id)
        await held.commit()
        status, body = await second
    finally:
        await holder.close()
    assert status == 200, body
    row = (await web.sql("SELECT languages, country FROM persons WHERE id = $1", person_id))[0]
    assert (list(row["languages"]), row["country"]) == (["es", "fr"], "Second")
