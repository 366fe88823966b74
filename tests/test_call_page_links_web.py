"""The call's page links to what came of the call (its intake, the person, the reports and
follow-ups written from it) for the roles that may open each, naming no one; the call
pages word language and triage as the operator console does; the navigation leads to the
standalone intake and the legal holds for the roles that may open them. Over HTTP against
the running app and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from lifeline_pbx import crypto
from lifeline_pbx.web.times import hotline_today
from tests.follow_up_seed import (
    A_NUMBER_SHOWN,
    KEYS,
    NAME,
    add_follow_up,
    add_intake,
    add_person,
    facilities,
    user_id,
)
from tests.web_fixtures import Client, WebApp

DUE = dt.date(2031, 5, 6)
PRODUCED = re.compile(r'<a href="([^"]+)" class="produced-([a-z-]+)">([^<]*)</a>')


async def add_call(web: WebApp, *, language: str = "es", urgent: bool = True) -> uuid.UUID:
    call_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
                              caller_number, caller_name, started_at, ended_at, disposition,
                              language, priority)
           SELECT $1, $2, $2, l.did, l.id, l.facility_id, '', '', now() - interval '1 hour',
                  now() - interval '50 minutes', 'completed', $3, $4
           FROM lines l ORDER BY l.id LIMIT 1""",
        call_id, f"chan-{call_id}", language, int(urgent))
    return call_id


async def add_report(web: WebApp, intake: uuid.UUID, person: uuid.UUID, facility: int,
                     user: int) -> uuid.UUID:
    rid = uuid.uuid4()
    await web.sql(
        """INSERT INTO reports (id, intake_id, person_id, facility_id, category, severity,
                                affected, narrative, created_by, intake_position)
           VALUES ($1, $2, $3, $4, 'medical_neglect', 'high', 'person', $5, $6, 1)""",
        rid, intake, person, facility,
        KEYS.seal("Denied his inhaler", crypto.place("reports", "narrative", rid)), user)
    return rid


async def call_with_everything(web: WebApp) -> tuple[uuid.UUID, dict[str, str]]:
    """A call with an intake about a person, a report and a follow-up written from it: the
    call, and the link expected to each (by its kind)."""
    facility = (await facilities(web))[0]
    operator = await user_id(web, "operator1")
    call = await add_call(web)
    person = await add_person(web, facility)
    intake = await add_intake(web, person, facility, operator, family=None, consent=False)
    await web.sql("UPDATE intakes SET call_id = $1 WHERE id = $2", call, intake)
    report = await add_report(web, intake, person, facility, operator)
    follow_up = await add_follow_up(web, "Call the clinic", operator,
                                    assignee=await user_id(web, "supervisor1"), person=person,
                                    intake=intake, due=DUE)
    return call, {"intake": f"/intakes/{intake}/correct", "person": f"/people/{person}",
                  "report": f"/reports/{report}", "follow-up": f"/follow-ups/{follow_up}"}


def produced(page: str) -> dict[str, tuple[str, str]]:
    return {kind: (href, text) for href, kind, text in PRODUCED.findall(page)}


@pytest.mark.parametrize(("username", "shown"), [
    ("operator1", False),  # the call's page is not theirs, nor any page it links to
    ("supervisor1", True),
    ("admin1", True),
])
async def test_the_call_page_links_what_came_of_the_call(web: WebApp, username: str,
                                                          shown: bool) -> None:
    call, expected = await call_with_everything(web)
    viewer = await web.signed_in(username)
    status, page = await viewer.get(f"/calls/{call}")
    found = produced(page)
    if not shown:
        assert status == 403 and found == {}
        assert not any(href in page for href in expected.values())
        return
    assert status == 200 and {kind: href for kind, (href, _) in found.items()} == expected
    texts = [text for _, text in found.values()]
    assert texts[0].startswith("Intake of ") and texts[1:] == [
        "Person record", f"Report Medical neglect or denial of care {hotline_today()}",
        f"Follow-up due {DUE}"]
    assert NAME not in page and A_NUMBER_SHOWN not in page
    for href in expected.values():  # each link opens for the viewer
        assert (await viewer.get(href))[0] == 200, href


async def test_the_intake_link_opens_its_fields_or_a_one_click_outcomes_history(
        web: WebApp) -> None:
    call, expected = await call_with_everything(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(expected["intake"])
    assert status == 200 and 'id="intake-correct"' in page  # the intake's fields
    intake = expected["intake"].split("/")[2]
    await web.sql("UPDATE intakes SET outcome = 'hung_up' WHERE id = $1", uuid.UUID(intake))
    status, page = await supervisor.get(f"/calls/{call}")
    assert produced(page)["intake"][0] == f"/intakes/{intake}/revisions"


async def test_a_call_without_an_intake_links_nothing(web: WebApp) -> None:
    call = await add_call(web)
    await call_with_everything(web)  # another call's records are not this one's
    status, page = await (await web.signed_in("supervisor1")).get(f"/calls/{call}")
    assert status == 200 and produced(page) == {}
    assert 'id="call-produced-none">No intake was written on this call.<' in page


async def test_the_call_page_shows_no_person_data_and_audits_no_read(web: WebApp) -> None:
    call, _ = await call_with_everything(web)
    before = await web.sql("SELECT count(*) AS n FROM audit_log")
    status, page = await (await web.signed_in("supervisor1")).get(f"/calls/{call}")
    assert status == 200 and NAME not in page and A_NUMBER_SHOWN not in page
    after = await web.sql("SELECT entity FROM audit_log ORDER BY id OFFSET $1",
                          before[0]["n"])
    assert [r["entity"] for r in after if r["entity"] in ("person", "intake", "report")] == []


async def test_the_call_pages_word_language_and_triage_as_the_console(web: WebApp) -> None:
    spanish = await add_call(web, language="es", urgent=True)
    english = await add_call(web, language="en", urgent=False)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/calls")
    table = page.split('id="calls-table"', 1)[1]
    assert status == 200
    assert "<td>Spanish</td><td>Emergency</td>" in table
    assert "<td>English</td><td>Not urgent</td>" in table
    assert "<td>es</td>" not in table and ">urgent<" not in table and ">normal<" not in table
    assert '<option value="urgent">Emergency</option>' in page
    assert '<option value="normal">Not urgent</option>' in page
    for call, language, triage in ((spanish, "Spanish", "Emergency"),
                                   (english, "English", "Not urgent")):
        status, page = await supervisor.get(f"/calls/{call}")
        assert status == 200
        assert f"<dt>Language</dt><dd>{language}</dd>" in page
        assert f"<dt>Triage</dt><dd>{triage}</dd>" in page
    status, page = await supervisor.get("/calls?triage=urgent")  # the filter's values stay
    assert status == 200 and '<option value="urgent" selected>Emergency</option>' in page


async def test_the_call_page_gives_its_times_on_the_hotlines_clock_as_the_call_list(
        web: WebApp) -> None:
    """A call just after midnight UTC was the evening before in New York: the call's
    heading, its timeline and the list of calls all say so, with the zone."""
    call = await add_call(web)
    await web.sql("UPDATE calls SET started_at = '2025-01-15 03:28:00+00' WHERE id = $1",
                  call)
    await web.sql("""INSERT INTO call_events (call_id, at, kind, detail)
                     VALUES ($1, '2025-01-15 03:28:14+00', 'connected', '{}')""", call)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/calls/{call}")
    assert status == 200 and "<h1>Call of 2025-01-14 22:28 EST</h1>" in page
    timeline = page.split('id="call-timeline"', 1)[1]
    assert re.findall(r'<tr class="kind-connected"><td>([^<]*)</td>', timeline) == [
        "22:28:14 EST"]
    status, page = await supervisor.get("/calls")
    assert f'<a href="/calls/{call}">2025-01-14 22:28 EST</a>' in page


NAV = re.compile(r"<nav>(.*?)</nav>", re.S)


async def nav_links(client: Client, path: str) -> list[str]:
    status, page = await client.get(path)
    assert status == 200, path
    found = NAV.search(page)
    assert found, "no navigation"
    return re.findall(r'<a href="([^"]+)"', found.group(1))


@pytest.mark.parametrize(("username", "intake", "holds"), [
    ("operator1", True, False),
    ("supervisor1", True, True),
    ("admin1", True, True),
])
async def test_the_navigation_leads_to_the_intake_and_legal_holds(
    web: WebApp, username: str, intake: bool, holds: bool
) -> None:
    client = await web.signed_in(username)
    links = await nav_links(client, "/follow-ups")
    assert ("/intake" in links, "/legal-holds" in links) == (intake, holds)
    for path in ("/intake", "/legal-holds"):  # what is linked opens; what is not, does not
        assert ((await client.get(path))[0] == 200) == (path in links), path
    _, page = await client.get("/intake")
    assert 'href="/intake" title="An intake not linked to any call' in page
    assert re.search(r'href="/intake"[^>]* aria-current="page">New intake</a>', page)
