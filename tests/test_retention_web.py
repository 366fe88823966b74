"""The audit viewer, the retention settings and legal holds over HTTP against the running
app: who may use each route, what a refused form keeps, what each use audits."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import uuid

import pytest
from aiohttp.web import RouteDef

from lifeline_pbx import audit, crypto
from lifeline_pbx.audit import views as audit_views
from lifeline_pbx.cases.reports import REMOVED_NARRATIVE
from lifeline_pbx.retention import views as retention_views
from lifeline_pbx.retention import work
from lifeline_pbx.retention.rules import Removed
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.pg_fixtures import connect
from tests.privacy import sensitive
from tests.test_cases_web import intake, save
from tests.web_fixtures import Client, WebApp

PERSON = uuid.UUID("00000000-0000-4000-8000-00000000a001")
INTAKE = uuid.UUID("00000000-0000-4000-8000-00000000b001")
# (method, path, status for operator, supervisor, admin), in this order for each role.
ROUTES = [
    ("GET", "/admin/audit", 403, 403, 200),
    ("GET", "/admin/audit.csv", 403, 403, 200),
    ("GET", "/admin/audit/chain", 403, 403, 200),
    ("GET", "/admin/retention", 403, 403, 200),
    ("POST", "/admin/retention", 403, 403, 303),
    ("GET", "/legal-holds", 403, 200, 200),
    ("GET", f"/people/{PERSON}/legal-hold", 403, 200, 200),
    ("POST", f"/people/{PERSON}/legal-hold", 403, 303, 303),
    ("GET", f"/people/{PERSON}/legal-holds/1/release", 403, 200, 200),
    ("POST", f"/people/{PERSON}/legal-holds/1/release", 403, 303, 303),
]
ROLES = ("operator1", "supervisor1", "admin1")


KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
A_NUMBER, A_NUMBER_SHOWN = "208555777", "A208-555-777"
MERGED_A_NUMBER, NOBODYS_A_NUMBER = "208555888", "A 999 888 777"
REASON = "Subpoena in Doe v. Northfield, asked by Legal Aid"
RELEASE_REASON = "Case Doe v. Northfield settled"
SECOND_REASON = "Complaint to the OIG by Ms. Roe, asked by Freedom for Immigrants"
sensitive(A_NUMBER, A_NUMBER_SHOWN, MERGED_A_NUMBER, NOBODYS_A_NUMBER, REASON,
          RELEASE_REASON, SECOND_REASON)


async def add_person(dsn: str, person_id: uuid.UUID = PERSON,
                     a_number: str | None = None) -> None:
    """A person sealed with the test run's keys, as the app seals them; found by the
    A-number given (without one: sealed as A_NUMBER, but not found by it)."""
    key = os.urandom(32) if a_number is None else KEYS.lookup(a_number)
    async with connect(dsn) as con:
        await con.execute(
            "INSERT INTO persons (id, a_number_key, a_number, names) VALUES ($1, $2, $3, $4)",
            person_id, key,
            KEYS.seal(a_number or A_NUMBER, crypto.place("persons", "a_number", person_id)),
            KEYS.seal_json(["Held Person"], crypto.place("persons", "names", person_id)))


async def snapshot(web: WebApp) -> tuple[object, ...]:
    settings = await web.sql("SELECT * FROM retention_settings")
    holds = await web.sql("SELECT * FROM legal_holds")
    changes = await web.sql("SELECT entity, action FROM audit_log WHERE action <> 'view'")
    return (list(map(dict, settings)), list(map(dict, holds)), list(map(tuple, changes)))


def test_the_table_names_every_route_added() -> None:
    added = [(r.method, r.path) for r in (*audit_views.routes(), *retention_views.routes())
             if isinstance(r, RouteDef)]
    assert sorted(added) == sorted(
        (method, path.replace(str(PERSON), "{id}").replace("/1/", f"/{retention_views.HOLD}/"))
        for method, path, *_ in ROUTES)


@pytest.mark.parametrize("role", range(3), ids=ROLES)
async def test_who_may_use_each_route(web: WebApp, role: int) -> None:
    await add_person(web.dsn)
    client = await web.signed_in(ROLES[role])
    before = await snapshot(web)
    for method, path, *statuses in ROUTES:
        if method == "GET":
            status, _ = await client.get(path)
        else:
            status, _ = await client.post(path, {"drafts": "30", "reason": REASON})
        assert status == statuses[role], (ROLES[role], method, path, status)
    if role == 0:  # refused everywhere: nothing changed
        assert await snapshot(web) == before


# Retention settings


async def test_a_bad_settings_form_names_each_field_and_saves_nothing(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    before = await snapshot(web)
    status, page = await admin.post("/admin/retention", {
        "drafts": "soon", "narratives": "30", "recordings": "90", "voicemails": "60",
        "call_records": "400"})
    assert status == 422
    assert 'id="error-drafts"' in page and "whole number" in page
    assert 'id="error-narratives"' in page and "from 365" in page
    assert 'id="error-recordings"' in page and "at most as long as voicemails" in page
    assert 'id="error-call_records"' not in page
    assert 'value="soon"' in page and 'value="400"' in page  # what was typed, shown again
    assert await snapshot(web) == before


async def test_saved_settings_are_audited_by_field(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    status, _ = await admin.post("/admin/retention", {"drafts": "14", "audit_entries": "730"})
    assert status == 303 and admin.last["location"] == "/admin/retention?done=saved"
    row = (await web.sql("SELECT drafts_days, audit_entries_days, narratives_days"
                         " FROM retention_settings"))[0]
    assert tuple(row) == (14, 730, None)
    entries = await web.sql("SELECT action, entity, fields FROM audit_log"
                            " WHERE entity = 'retention_settings'")
    assert [tuple(e) for e in entries] == [
        ("update", "retention_settings", ["audit_entries_days", "drafts_days"])]
    status, page = await admin.get("/admin/retention")
    assert status == 200 and 'name="drafts" value="14"' in page


async def old_message(web: WebApp, *, reviewed: bool) -> uuid.UUID:
    """A voicemail left 100 days ago, its audio in the vault (none left on the PBX)."""
    call_id, vid = uuid.uuid4(), uuid.uuid4()
    await web.sql("""INSERT INTO calls (id, channel_id, channel_name, did, caller_number,
                                        caller_name, started_at, ended_at)
                     VALUES ($1, 'c', 'PJSIP/c', '100', '', '',
                             now() - interval '100 days', now() - interval '100 days')""",
                  call_id)
    await web.sql("""INSERT INTO voicemails (id, call_id, language, reason, recording,
                                             duration_seconds, created_at, reviewed_at)
                     VALUES ($1, $2, 'es', 'no_operators', 'r', 20, now() - interval '100 days',
                             CASE WHEN $3 THEN now() - interval '99 days' END)""",
                  vid, call_id, reviewed)
    await web.sql("""INSERT INTO voicemail_audio (voicemail_id, audio, bytes, stored_at, removed_at)
                     VALUES ($1, $2, 64, now() - interval '100 days',
                             now() - interval '100 days')""", vid, os.urandom(64))
    return vid


async def test_the_page_says_how_many_messages_are_kept_unreviewed(web: WebApp) -> None:
    """Past their 30 days, the message reviewed goes and the one nobody reviewed stays: the
    run counts it, and the page says so with a link to the list to review."""
    admin = await web.signed_in("admin1")
    status, page = await admin.get("/admin/retention")
    assert status == 200 and 'id="retention-unreviewed"' not in page
    assert (await admin.post("/admin/retention", {
        "voicemails": "30", "recordings": "30"}))[0] == 303
    await old_message(web, reviewed=True)
    unreviewed = await old_message(web, reviewed=False)
    async with connect(web.dsn) as con:
        removed = await work.run(con, "schedule")
    assert removed is not None and (removed.voicemails, removed.unreviewed) == (1, 1)
    assert [r["id"] for r in await web.sql("SELECT id FROM voicemails")] == [unreviewed]

    status, page = await admin.get("/admin/retention")
    assert status == 200
    line = page.split('id="retention-unreviewed"', 1)[1].split("</p>", 1)[0]
    assert " ".join(line.split()) == (
        'role="status">1 message past its retention is kept because nobody has reviewed it:'
        ' <a href="/voicemail?show=unreviewed">review the messages</a>.')
    runs = page.split('id="retention-runs"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>(\d+)</td></tr>", runs) == ["1"]  # Kept unreviewed
    status, listed = await (await web.signed_in("supervisor1")).get("/voicemail?show=unreviewed")
    assert status == 200 and f'data-voicemail-id="{unreviewed}"' in listed


# Legal holds


def release_path(hold: int, person: uuid.UUID | str = PERSON) -> str:
    return f"/people/{person}/legal-holds/{hold}/release"


def holds_listed(page: str, person: uuid.UUID | str = PERSON) -> list[int]:
    """The holds in force the person's page lists, each with its release link."""
    block = page.split('id="legal-hold"', 1)[1].split("</section>", 1)[0]
    listed = [int(h) for h in re.findall(r'<li data-hold="(\d+)">', block)]
    for hold in listed:
        assert f'href="/people/{person}/legal-holds/{hold}/release"' in block
    assert block.count("Release this hold") == len(listed)
    return listed


def hold_reasons(page: str) -> dict[int, str]:
    """Each hold in force on the person's page, and the reason it shows."""
    block = page.split('id="legal-hold"', 1)[1].split("</section>", 1)[0]
    return {int(h): reason for h, reason in re.findall(
        r'<li data-hold="(\d+)">[^<]*<span class="hold-reason">([^<]*)</span>', block)}


async def test_several_holds_are_placed_listed_and_released_each_on_its_own(
    web: WebApp
) -> None:
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{PERSON}")
    assert status == 200 and f'href="/people/{PERSON}/legal-hold"' in page
    assert "Not on legal hold." in page and holds_listed(page) == []
    status, page = await supervisor.get(f"/people/{PERSON}/legal-hold")
    assert status == 200 and A_NUMBER_SHOWN in page and 'name="reason"' in page
    place = f"/people/{PERSON}/legal-hold"
    for reason in (REASON, SECOND_REASON):  # two matters, each with its hold
        assert (await supervisor.post(place, {"reason": reason}))[0] == 303
        assert supervisor.last["location"] == f"/people/{PERSON}?hold=placed"
    first, second = [h["id"] for h in await web.sql("SELECT id FROM legal_holds ORDER BY id")]
    status, page = await supervisor.get(f"/people/{PERSON}")
    assert holds_listed(page) == [first, second] and "On legal hold" in page
    assert f'href="/people/{PERSON}/legal-hold"' in page  # a third may still be placed
    assert hold_reasons(page) == {first: REASON, second: SECOND_REASON}
    status, page = await supervisor.get("/legal-holds")
    assert status == 200 and page.count("in force: <a") == 2
    assert f'href="{release_path(first)}"' in page and f'href="{release_path(second)}"' in page

    assert (await supervisor.post(release_path(first), {"reason": RELEASE_REASON}))[0] == 303
    assert supervisor.last["location"] == f"/people/{PERSON}?hold=released"
    status, page = await supervisor.get(f"/people/{PERSON}")
    assert holds_listed(page) == [second] and "On legal hold" in page
    assert [tuple(h) for h in await web.sql(
        "SELECT id, released_at IS NULL FROM legal_holds ORDER BY id")] == [
        (first, False), (second, True)]

    assert (await supervisor.post(release_path(second), {"reason": "Subpoena withdrawn"}))[0] \
        == 303
    status, page = await supervisor.get(f"/people/{PERSON}")
    assert "Not on legal hold." in page and holds_listed(page) == []
    status, _ = await supervisor.post(f"/people/{uuid.uuid4()}/legal-hold", {"reason": REASON})
    assert status == 404
    entries = await web.sql("SELECT action, entity, entity_id, fields FROM audit_log"
                            " WHERE 'legal_hold' = ANY(fields) ORDER BY chain_seq")
    placed = ("update", "person", str(PERSON), ["legal_hold", "legal_hold_reason"])
    released = ("update", "person", str(PERSON), ["legal_hold", "legal_hold_release_reason"])
    assert [tuple(e) for e in entries] == [placed, placed, released, released]  # names only


ENDED_REASON = "Request by the Florence Project, withdrawn"
sensitive(ENDED_REASON)


async def reason_views(web: WebApp, username: str, after: int) -> list[tuple[str, list[str]]]:
    """The entries naming a hold's reason as read by that user, after that chain_seq."""
    return [tuple(r) for r in await web.sql(
        "SELECT entity_id, fields FROM audit_log WHERE action = 'view'"
        " AND 'legal_hold_reason' = ANY(fields) AND chain_seq > $1 AND user_id ="
        " (SELECT id FROM users WHERE username = $2) ORDER BY chain_seq", after, username)]


async def test_the_person_page_shows_each_hold_s_reason_to_those_who_may_see_holds(
    web: WebApp
) -> None:
    """Two holds in force, each with its reason, and one released: the person's page shows
    the reasons of those in force to supervisors and admins (who may open the holds'
    pages), audited as the list audits them; an operator is refused the page, reads
    nothing and leaves no entry."""
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    for reason in (REASON, SECOND_REASON, ENDED_REASON):
        assert (await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": reason}))[0] \
            == 303
    first, second, ended = [h["id"] for h in await web.sql("SELECT id FROM legal_holds"
                                                            " ORDER BY id")]
    assert (await supervisor.post(release_path(ended), {"reason": RELEASE_REASON}))[0] == 303
    before = (await web.sql("SELECT max(chain_seq) AS n FROM audit_log"))[0]["n"]

    operator = await web.signed_in("operator1")
    status, page = await operator.get(f"/people/{PERSON}")
    assert status == 403 and REASON not in page and SECOND_REASON not in page
    assert (await web.sql("SELECT max(chain_seq) AS n FROM audit_log"))[0]["n"] == before

    for username in ("supervisor1", "admin1"):
        client = await web.signed_in(username)
        status, page = await client.get(f"/people/{PERSON}")
        assert status == 200
        assert hold_reasons(page) == {first: REASON, second: SECOND_REASON}
        assert ENDED_REASON not in page and RELEASE_REASON not in page  # on the list
        assert await reason_views(web, username, before) == [
            (str(PERSON), ["legal_hold_reason"])]


async def test_a_hold_placed_before_reasons_were_asked_shows_none_and_audits_none(
    web: WebApp
) -> None:
    await add_person(web.dsn)
    await web.sql("INSERT INTO legal_holds (person_id, placed_by) SELECT $1, id FROM users"
                  " WHERE username = 'supervisor1'", PERSON)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{PERSON}")
    assert status == 200 and list(hold_reasons(page).values()) == ["not recorded"]
    assert await reason_views(web, "supervisor1", 0) == []


OTHER_PERSON = uuid.UUID("00000000-0000-4000-8000-00000000a002")
# Releasing a hold the path does not name right: (person in the path, which hold) ->
# status, message. The holds: 1 the person's, released; 2 the other person's, in force.
RELEASE_REFUSED = {
    "a hold released already": (PERSON, 1, 409, "This legal hold was released already."),
    "another person's hold": (PERSON, 2, 404, "No such legal hold on this person."),
    "a hold that does not exist": (PERSON, 99, 404, "No such legal hold on this person."),
    "a person who does not exist": (uuid.uuid4(), 2, 404, "No such person."),
}


@pytest.mark.parametrize("name", RELEASE_REFUSED)
async def test_a_release_names_a_hold_of_that_person_still_in_force(
    web: WebApp, name: str
) -> None:
    person, hold, expected, message = RELEASE_REFUSED[name]
    await add_person(web.dsn)
    await add_person(web.dsn, OTHER_PERSON)
    supervisor = await web.signed_in("supervisor1")
    await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": REASON})
    await supervisor.post(release_path(1), {"reason": RELEASE_REASON})
    await supervisor.post(f"/people/{OTHER_PERSON}/legal-hold", {"reason": SECOND_REASON})
    before = await snapshot(web)
    for form in ({"reason": "Settled"}, {"reason": ""}):  # the hold first, then the form
        status, page = await supervisor.post(release_path(hold, person), form)
        assert status == expected and message in page, (form, status)
        assert SECOND_REASON not in page and 'href="/people"' in page
        if expected == 409:  # not a dead end: the person's page, where their holds are
            assert f'<a href="/people/{person}" id="error-link">' in page
    status, page = await supervisor.get(release_path(hold, person))
    assert status == expected and message in page and SECOND_REASON not in page
    assert await snapshot(web) == before


async def test_the_reasons_are_sealed_at_rest(web: WebApp) -> None:
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": REASON})
    await supervisor.post(release_path(1), {"reason": RELEASE_REASON})
    row = (await web.sql("SELECT id, reason, release_reason FROM legal_holds"))[0]
    for column, plain in (("reason", REASON), ("release_reason", RELEASE_REASON)):
        sealed = bytes(row[column])
        assert plain.encode() not in sealed and b"Northfield" not in sealed
        assert KEYS.open(sealed, crypto.place("legal_holds", column, row["id"])) == plain
        with pytest.raises(crypto.SealError):  # bound to its row
            KEYS.open(sealed, crypto.place("legal_holds", column, row["id"] + 1))


PLACED_REASONS = {  # typed -> status, and what the page shows beside the field
    "empty": ("", 422, "Give the reason for the hold"),
    "only spaces": ("   ", 422, "Give the reason for the hold"),
    "too long": ("Subpoena " + "x" * 500, 422, "At most 500 characters (this one has 509)"),
    "fine": (REASON, 303, ""),
}


@pytest.mark.parametrize("name", PLACED_REASONS)
async def test_placing_a_hold_needs_a_reason(web: WebApp, name: str) -> None:
    typed, expected, error = PLACED_REASONS[name]
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": typed})
    assert status == expected
    placed = await web.sql("SELECT 1 FROM legal_holds")
    if expected == 303:
        assert len(placed) == 1
        return
    assert placed == []
    assert 'id="error-reason"' in page and error in page and "Not placed" in page
    assert f">{typed}</textarea>" in page  # what was typed, shown again
    assert 'id="legal-hold-place"' in page and 'href="/people"' in page  # page, nav


async def test_a_release_is_confirmed_with_a_reason_on_a_page_that_says_what_it_means(
    web: WebApp
) -> None:
    await add_person(web.dsn)
    await web.sql("UPDATE retention_settings SET narratives_days = 365, call_records_days = 90")
    supervisor = await web.signed_in("supervisor1")
    await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": REASON})
    release = release_path(1)
    status, page = await supervisor.get(release)
    assert status == 200 and A_NUMBER_SHOWN in page and REASON in page
    means = page.split('id="legal-hold-release-means"', 1)[1].split("</section>", 1)[0]
    assert "may delete what is tied to this person at\n    its next run" in means
    assert "Call records older than 90 days" in means
    assert "Narratives older than 365 days" in means and "Drafts" not in means
    viewed = await web.sql("SELECT fields FROM audit_log WHERE action = 'view'"
                           " AND entity = 'person' ORDER BY chain_seq")
    assert [v["fields"] for v in viewed] == [["a_number", "legal_hold_reason"]]

    for typed, error in (("", "what ended the matter"), ("y" * 501, "At most 500")):
        status, page = await supervisor.post(release, {"reason": typed})
        assert status == 422 and error in page and f">{typed}</textarea>" in page
        assert "Not released" in page and "Narratives older than 365 days" in page
    assert (await web.sql("SELECT released_at FROM legal_holds"))[0]["released_at"] is None

    assert (await supervisor.post(release, {"reason": RELEASE_REASON}))[0] == 303
    assert (await web.sql("SELECT released_at FROM legal_holds"))[0]["released_at"] is not None


async def test_no_limit_set_the_release_page_says_nothing_would_go(web: WebApp) -> None:
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": REASON})
    status, page = await supervisor.get(release_path(1))
    assert status == 200 and "No retention limit is set just now" in page


async def test_the_list_shows_the_reasons_to_a_supervisor_audited(web: WebApp) -> None:
    """A hold released with its reason, one in force, and one from before reasons were
    asked (migrations/0040): "not recorded"; each reason shown is a view of the person."""
    other, older = uuid.uuid4(), uuid.uuid4()
    for person in (PERSON, other, older):
        await add_person(web.dsn, person)
    supervisor = await web.signed_in("supervisor1")
    await supervisor.post(f"/people/{PERSON}/legal-hold", {"reason": REASON})
    await supervisor.post(release_path(1), {"reason": RELEASE_REASON})
    await supervisor.post(f"/people/{other}/legal-hold", {"reason": "Complaint to OIG"})
    await web.sql("INSERT INTO legal_holds (person_id, placed_by) SELECT $1, id FROM users"
                  " WHERE username = 'supervisor1'", older)
    before = await web.sql("SELECT count(*) AS n FROM audit_log")

    operator = await web.signed_in("operator1")
    status, page = await operator.get("/legal-holds")
    assert status == 403 and REASON not in page and "Complaint" not in page
    assert await web.sql("SELECT count(*) AS n FROM audit_log") == before

    status, page = await supervisor.get("/legal-holds")
    assert status == 200
    rows = {person: page.split(f'<a href="/people/{person}">', 1)[1].split("</tr>", 1)[0]
            for person in (PERSON, other, older)}
    assert REASON in rows[PERSON] and RELEASE_REASON in rows[PERSON]
    assert "Complaint to OIG" in rows[other] and "in force" in rows[other]
    assert rows[older].count("not recorded") == 1 and "in force" in rows[older]
    viewed = await web.sql(
        "SELECT entity_id, fields FROM audit_log WHERE action = 'view' AND entity = 'person'"
        " AND 'legal_hold_reason' = ANY(fields) AND user_id = (SELECT id FROM users"
        " WHERE username = 'supervisor1') AND chain_seq > $1", before[0]["n"])
    assert sorted((v["entity_id"], v["fields"]) for v in viewed) == sorted([
        (str(PERSON), ["legal_hold_reason", "legal_hold_release_reason"]),
        (str(other), ["legal_hold_reason"])])


# The audit viewer


ENTRY_ID = re.compile(r"<td><code>([^<]*)</code></td>")


def shown(page: str) -> list[str]:
    table = page.split('id="audit-entries"', 1)[1].split("</table>", 1)[0]
    return ENTRY_ID.findall(table)


@pytest.fixture
async def logged(web: WebApp) -> dict[str, int]:
    """Entries by two users about one person (directly and through an intake), and others."""
    await add_person(web.dsn, PERSON, A_NUMBER)
    users = {r["username"]: r["id"] for r in await web.sql("SELECT id, username FROM users")}
    async with connect(web.dsn) as con:
        await con.execute("INSERT INTO intakes (id, person_id, user_id, outcome)"
                          " VALUES ($1, $2, $3, 'intake')", INTAKE, PERSON,
                          users["operator1"])
    async with connect(web.dsn) as con:
        await audit.record(con, users["operator1"], "view", "person", PERSON, ["names"])
        await audit.record(con, users["operator1"], "create", "intake", INTAKE, ["outcome"])
        await audit.record(con, users["supervisor1"], "view", "report", "r-1", ["narrative"])
        await audit.record(con, users["supervisor1"], "export", "reports", "csv", ["category"])
        await audit.record(con, None, "update", "facility", 7, ["name"])
    return users


async def test_the_viewer_filters_pages_and_is_itself_audited(
    web: WebApp, logged: dict[str, int]
) -> None:
    admin = await web.signed_in("admin1")
    person, intake = str(PERSON), str(INTAKE)
    cases = {  # newest first
        "": ["7", "csv", "r-1", intake, person],
        f"?user={logged['operator1']}": [intake, person],
        f"?person={PERSON}": [intake, person],  # the person's intake too
        "?action=export": ["csv"],
        "?entity=facility": ["7"],
        f"?user={logged['supervisor1']}&action=view": ["r-1"],
        "?since=2000-01-01&until=2000-12-31": [],
    }
    for query, expected in cases.items():
        status, page = await admin.get("/admin/audit" + query)
        assert status == 200, (query, page)
        found = [e for e in shown(page) if e != "list"]  # "list": the viewer's own entries
        assert found == expected, (query, found)
    status, page = await admin.get("/admin/audit?per_page=2&entity=person")
    assert status == 200 and len(shown(page)) == 1
    views = await web.sql("SELECT fields FROM audit_log WHERE entity = 'audit_log'"
                          " ORDER BY chain_seq")
    assert [v["fields"] for v in views][:3] == [[], ["user_id"], ["person_id"]]


BAD_FILTERS = {
    "?person=A01234": "person",
    "?person=someone": "person",
    "?action=destroy": "action",
    "?entity=Robert'); DROP": "entity",
    "?since=2025-02-30": "since",
    "?since=2025-03-02&until=2025-03-01": "until",
    "?user=me": "user",
    "?page=0": "page",
}


@pytest.mark.parametrize("query", BAD_FILTERS)
async def test_a_bad_filter_is_refused_by_name(web: WebApp, query: str) -> None:
    admin = await web.signed_in("admin1")
    paths = ("/admin/audit",) if "page" in query else ("/admin/audit", "/admin/audit.csv")
    for path in paths:  # the export is not paged
        status, page = await admin.get(path + query)
        assert status == 422 and BAD_FILTERS[query] in page, (path, status)
    assert await web.sql("SELECT 1 FROM audit_log WHERE entity = 'audit_log'") == []


async def test_the_person_filter_takes_an_a_number_and_audits_the_lookup(
    web: WebApp, logged: dict[str, int]
) -> None:
    merged = uuid.UUID("00000000-0000-4000-8000-00000000a002")
    await add_person(web.dsn, merged, MERGED_A_NUMBER)
    await web.sql("UPDATE persons SET merged_into = $1 WHERE id = $2", PERSON, merged)
    admin = await web.signed_in("admin1")
    for typed in (A_NUMBER_SHOWN, MERGED_A_NUMBER):  # one merged away finds the kept record
        status, page = await admin.get("/admin/audit", params={"person": typed})
        assert status == 200, page
        assert [e for e in shown(page) if e != "list"] == [str(INTAKE), str(PERSON)]
        assert f'value="{typed}"' in page  # what was typed, kept in the form
        assert str(PERSON) in page.split('id="audit-person-found"', 1)[1].split("</p>")[0]
    status, page = await admin.get("/admin/audit", params={"person": NOBODYS_A_NUMBER})
    assert status == 422 and f'value="{NOBODYS_A_NUMBER}"' in page
    assert 'id="error-person"' in page and "No person with A-number A999-888-777." in page
    assert 'id="audit-filter"' in page and 'id="audit-entries"' not in page
    lookups = await web.sql("SELECT user_id, entity_id, fields FROM audit_log"
                            " WHERE entity = 'person_search' ORDER BY id")
    assert [(r["user_id"], r["entity_id"], r["fields"]) for r in lookups] == [
        (logged["admin1"], str(PERSON), ["a_number"]),
        (logged["admin1"], str(PERSON), ["a_number"]),
        (logged["admin1"], "not_found", ["a_number"])]
    views = await web.sql("SELECT fields FROM audit_log WHERE entity = 'audit_log'")
    assert [v["fields"] for v in views] == [["a_number", "person_id"]] * 2  # none refused
    async with admin.http.get(admin.url(f"/admin/audit.csv?person={A_NUMBER}")) as r:
        assert r.status == 200
        assert [row[5] for row in csv.reader(io.StringIO(await r.text()))][1:] == [
            "intake", "person"]


async def test_the_export_holds_the_filtered_entries_and_is_audited(
    web: WebApp, logged: dict[str, int]
) -> None:
    admin = await web.signed_in("admin1")
    async with admin.http.get(admin.url(f"/admin/audit.csv?person={PERSON}")) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        body = await r.text()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["chain_seq", "at", "user_id", "user", "action", "entity", "entity_id",
                       "fields"]
    assert [(r[4], r[5], r[7]) for r in rows[1:]] == [
        ("create", "intake", "outcome"), ("view", "person", "names")]
    assert all(r[2] == str(logged["operator1"]) for r in rows[1:])
    exports = await web.sql("SELECT user_id, fields FROM audit_log"
                            " WHERE action = 'export' AND entity = 'audit_log'")
    assert len(exports) == 1 and exports[0]["user_id"] == logged["admin1"]
    assert "filter:person_id" in exports[0]["fields"] and "entity_id" in exports[0]["fields"]


async def test_the_chain_page_says_whether_the_log_verifies(
    web: WebApp, logged: dict[str, int], admin_dsn: str
) -> None:
    admin = await web.signed_in("admin1")
    status, page = await admin.get("/admin/audit/chain")
    assert status == 200 and 'data-ok="yes"' in page and "entries verified" in page
    async with connect(admin_dsn) as con, con.transaction():
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await con.execute("UPDATE audit_log SET fields = '{}' WHERE chain_seq = 2")
        await con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    status, page = await admin.get("/admin/audit/chain")
    assert status == 200 and 'data-ok="no"' in page and "entry 2" in page


async def test_a_held_narrative_stays_until_the_last_hold_is_released(web: WebApp) -> None:
    """End to end: a real intake (sealed narrative), two holds placed on the person's page
    (two matters), the narrative past its time kept; one released, it is still kept (and
    the other's release page says so); the last released, the next run removes it, and
    the report page says so."""
    operator = await web.signed_in("operator1")
    status, body = await save(operator, await intake(web))
    assert status == 200 and body["ok"], body
    person_id, report_id = (await web.sql("SELECT person_id, id FROM reports"))[0]
    await web.sql("UPDATE reports SET created_at = now() - interval '400 days'")
    await web.sql("UPDATE retention_settings SET narratives_days = 365")
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{person_id}")
    assert status == 200 and 'id="legal-hold-place-link"' in page
    for reason in (REASON, SECOND_REASON):
        assert (await supervisor.post(f"/people/{person_id}/legal-hold",
                                      {"reason": reason}))[0] == 303
    status, page = await supervisor.get(f"/people/{person_id}?hold=placed")
    assert page.count('class="legal-hold-release-link"') == 2 and "Legal hold placed." in page

    async with connect(web.dsn) as con:
        assert (await work.run(con, "command")) == Removed(held=1)  # once, for two holds
    first, second = (release_path(h["id"], person_id)
                     for h in await web.sql("SELECT id FROM legal_holds ORDER BY id"))
    status, page = await supervisor.get(first)
    means = page.split('id="legal-hold-release-means"', 1)[1].split("</section>", 1)[0]
    assert "1 other legal\n    hold in force: while one lasts" in means
    assert "may delete" not in means and "Narratives older" not in means
    assert (await supervisor.post(first, {"reason": RELEASE_REASON}))[0] == 303
    async with connect(web.dsn) as con:
        assert (await work.run(con, "command")) == Removed(held=1)
    status, page = await supervisor.get(f"/reports/{report_id}")
    assert status == 200 and "Narrative Denied insulin" in page

    status, page = await supervisor.get(second)
    assert "may delete what is tied to this person" in page and "Narratives older" in page
    assert (await supervisor.post(second, {"reason": RELEASE_REASON}))[0] == 303
    async with connect(web.dsn) as con:
        assert (await work.run(con, "command")) == Removed(narratives=1)
    status, page = await supervisor.get(f"/reports/{report_id}")
    assert status == 200 and "Narrative Denied insulin" not in page
    assert REMOVED_NARRATIVE in page


async def opened_key(client: Client, person: uuid.UUID = PERSON) -> str:
    """The key of the place form, as the page gives it when opened."""
    status, page = await client.get(f"/people/{person}/legal-hold")
    found = re.search(r'name="form_key" id="legal-hold-form-key" value="([0-9a-f-]{36})"', page)
    assert status == 200 and found, page
    return found[1]


async def hold_changes(web: WebApp) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await web.sql(
        "SELECT person_id, form_key FROM legal_holds ORDER BY id")] + [tuple(r) for r in
        await web.sql("SELECT entity_id FROM audit_log WHERE 'legal_hold' = ANY(fields)")]


@pytest.mark.parametrize("at_once", [False, True], ids=["one after the other", "at once"])
async def test_a_place_form_posted_twice_places_one_hold(web: WebApp, at_once: bool) -> None:
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    form = {"reason": REASON, "form_key": await opened_key(supervisor)}
    place = f"/people/{PERSON}/legal-hold"
    if at_once:
        answers = await asyncio.gather(*(supervisor.post(place, form) for _ in range(2)))
    else:
        answers = [await supervisor.post(place, form) for _ in range(2)]
    assert [status for status, _ in answers] == [303, 303]
    assert supervisor.last["location"] == f"/people/{PERSON}?hold=placed"  # as the first
    assert await hold_changes(web) == [(PERSON, uuid.UUID(form["form_key"])), (str(PERSON),)]


async def test_two_place_forms_place_two_holds_and_a_key_stays_with_its_person(
        web: WebApp) -> None:
    await add_person(web.dsn)
    await add_person(web.dsn, OTHER_PERSON)
    supervisor = await web.signed_in("supervisor1")
    first, second = await opened_key(supervisor), await opened_key(supervisor)
    assert first != second
    place = f"/people/{PERSON}/legal-hold"
    for key, reason in ((first, REASON), (second, SECOND_REASON), (first, REASON)):
        assert (await supervisor.post(place, {"reason": reason, "form_key": key}))[0] == 303
    before = await snapshot(web)
    assert len(await web.sql("SELECT 1 FROM legal_holds")) == 2
    status, page = await supervisor.post(f"/people/{OTHER_PERSON}/legal-hold",
                                         {"reason": REASON, "form_key": first})
    assert status == 409 and "another person" in page and await snapshot(web) == before


async def test_a_refused_place_form_keeps_its_key(web: WebApp) -> None:
    await add_person(web.dsn)
    supervisor = await web.signed_in("supervisor1")
    key = await opened_key(supervisor)
    status, page = await supervisor.post(f"/people/{PERSON}/legal-hold",
                                         {"reason": "", "form_key": key})
    assert status == 422 and f'value="{key}"' in page
    status, page = await supervisor.post(f"/people/{PERSON}/legal-hold",
                                         {"reason": REASON, "form_key": "not-a-key"})
    assert status == 422 and 'id="error-form-key"' in page and f">{REASON}</textarea>" in page
    assert await web.sql("SELECT 1 FROM legal_holds") == []
