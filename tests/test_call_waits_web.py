"""A call's wait and operator as the call history, a person's calls and the statistics show
them, over HTTP against the running app and a real PostgreSQL: the wait is the time in the
queue the statistics count (not the voicemail message after it), and the operator is who
answered the call, never who wrote an intake about it.

A day of four calls on the first line, counted by hand, written as the record writer writes
them (calls.wait_seconds is the distributor's wait when the caller left the queue):

    call  queued    what happened                          wait    ended      intake by
    1     09:00:00  answered by operator1                  5 s     09:01:05   supervisor1
    2     10:00:00  nobody logged in: voicemail at once    0.0003  10:00:45   supervisor1
    3     11:00:00  waited too long, voicemail             42 s    11:01:12
    4     12:00:00  hung up waiting                        47 s    12:00:47

Waits 0, 5, 42, 47: median 23.5 s, 90th percentile 45.5 s, longest 47 s; answered within
30 s: 1 of the 4 that left the queue (25%).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid

from tests.follow_up_seed import add_intake, add_person, facilities, user_id
from tests.web_fixtures import WebApp

DAY = dt.date(2024, 5, 7)
STATISTICS = "period=day&date=2024-05-07&tz=UTC"
CELLS = re.compile(r"<td>(.*?)</td>", re.S)

# (queued, wait, seconds from the queue to the end, disposition, voicemail reason, answered)
CALLS = (
    ("09:00:00", 5.0, 65, "answered", None, True),
    ("10:00:00", 0.0003, 45, "voicemail", "no_operators", False),
    ("11:00:00", 42.0, 72, "voicemail", "max_wait", False),
    ("12:00:00", 47.0, 47, "abandoned", None, False),
)


async def _day(web: WebApp) -> list[uuid.UUID]:
    operator = (await web.sql(
        "SELECT id FROM operators WHERE sip_username = 'operator1'"))[0]["id"]
    found = []
    for queued, wait, to_end, disposition, reason, answered in CALLS:
        call_id = uuid.uuid4()
        at = dt.datetime.combine(DAY, dt.time.fromisoformat(queued), tzinfo=dt.UTC)
        await web.sql(
            """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
                   caller_number, caller_name, started_at, answered_at, queued_at, queue_id,
                   language, connected_at, operator_id, ended_at, disposition, hangup_by,
                   voicemail_reason, wait_seconds)
               SELECT $1, $2, 'PJSIP/carrier-1', l.did, l.id, l.facility_id, '', '',
                      $3::timestamptz - interval '30 s', $3::timestamptz - interval '30 s', $3,
                      (SELECT min(id) FROM queues), 'en', $4, $5, $6, $7, 'caller', $8, $9
                 FROM lines l ORDER BY l.id LIMIT 1""",
            call_id, f"chan-{call_id.hex[:8]}", at,
            at + dt.timedelta(seconds=wait) if answered else None,
            operator if answered else None, at + dt.timedelta(seconds=to_end), disposition,
            reason, wait)
        found.append(call_id)
    return found


def _table(page: str, table_id: str) -> list[list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [CELLS.findall(row) for row in body.split("<tr")[1:]]


async def test_the_call_history_shows_the_waits_the_statistics_count(web: WebApp) -> None:
    await _day(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/calls?since={DAY}&until={DAY}")
    assert status == 200
    rows = _table(page, "calls-table")  # newest first
    # Date, Facility, Line, Language, Triage, Wait, Outcome, Operator, Duration
    assert [(r[5], r[6]) for r in rows] == [
        ("0:47", "abandoned"), ("0:42", "voicemail"), ("0:00", "voicemail"),
        ("0:05", "answered")]
    assert [r[8] for r in rows] == ["1:17", "1:42", "1:15", "1:35"]  # the whole call

    status, text = await supervisor.get(f"/statistics/line.csv?{STATISTICS}")
    assert status == 200
    total = {row["Line"]: row for row in csv.DictReader(io.StringIO(text))}["Total"]
    assert (total["Received"], total["Voicemail"], total["Abandoned in queue"]) == ("4", "2", "1")
    assert (total["Wait median"], total["Wait 90th percentile"], total["Wait max"]) == (
        "23.5", "45.5", "47.0")
    assert total["Service level"] == "0.2500"
    status, page = await supervisor.get(f"/statistics?{STATISTICS}")
    assert status == 200
    assert "Waits: time in the queue of every call that left it, answered or not" in page
    assert "(the message is not a wait)" in page


async def test_a_voicemail_with_a_supervisors_intake_names_no_operator(web: WebApp) -> None:
    answered, at_once, *_ = await _day(web)
    facility = (await facilities(web))[0]
    person = await add_person(web, facility)
    supervisor_id = await user_id(web, "supervisor1")
    for call_id in (answered, at_once):
        intake = await add_intake(web, person, facility, supervisor_id, family=None,
                                  consent=False)
        await web.sql("UPDATE intakes SET call_id = $1, created_at = c.started_at "
                      "FROM calls c WHERE c.id = $1 AND intakes.id = $2", call_id, intake)
    names = {r["username"]: r["display_name"] for r in await web.sql(
        """SELECT u.username, coalesce(o.display_name, u.display_name) AS display_name
             FROM users u LEFT JOIN operators o ON o.id = u.operator_id""")}
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{person}")
    assert status == 200
    calls = _table(page, "person-calls")  # newest first: the voicemail, then the answered
    assert [(r[5], r[6].split(" ")[0], r[7]) for r in calls] == [
        ("0:00", "voicemail", "—"), ("0:05", "answered", names["operator1"])]
    assert names["supervisor1"] not in [r[7] for r in calls]
    # The intakes table says who wrote them.
    assert [r[4] for r in _table(page, "person-intakes")] == [names["supervisor1"]] * 2
    status, page = await supervisor.get(f"/calls/{at_once}")
    assert status == 200 and "<dt>Operator</dt><dd>—</dd>" in page


async def _call(web: WebApp, started: dt.datetime, *, answered: bool = True,
                ended: bool = True) -> uuid.UUID:
    """A call on the first line, answered by operator1 (or sent to voicemail), a minute long."""
    call_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
               caller_number, caller_name, started_at, queued_at, connected_at, operator_id,
               ended_at, disposition)
           SELECT $1, $2, 'PJSIP/carrier-1', l.did, l.id, l.facility_id, '', '', $3, $3,
                  CASE WHEN $4 THEN $3::timestamptz + interval '5 s' END,
                  CASE WHEN $4 THEN (SELECT id FROM operators
                                      WHERE sip_username = 'operator1') END,
                  CASE WHEN $5 THEN $3::timestamptz + interval '1 min' END,
                  CASE WHEN NOT $5 THEN NULL WHEN $4 THEN 'answered' ELSE 'voicemail' END
             FROM lines l ORDER BY l.id LIMIT 1""",
        call_id, f"chan-{call_id.hex[:8]}", started, answered, ended)
    return call_id


async def test_a_day_on_the_call_history_is_the_statistics_day(web: WebApp) -> None:
    """Both cut days at midnight in the statistics' zone (America/New_York): a call at
    03:00 UTC on 1 December is on 30 November there, one at 04:30 UTC on 2 December is
    still on 1 December; the history shows each time there, with its zone."""
    utc = dt.UTC
    for at in (dt.datetime(2026, 12, 1, 3, 0, tzinfo=utc),
               dt.datetime(2026, 12, 1, 12, 0, tzinfo=utc),
               dt.datetime(2026, 12, 2, 4, 30, tzinfo=utc)):
        await _call(web, at)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/calls?since=2026-12-01&until=2026-12-01")
    assert status == 200
    assert [r[0].split(">")[1].split("<")[0] for r in _table(page, "calls-table")] == [
        "2026-12-01 23:30 EST", "2026-12-01 07:00 EST"]
    assert "Days and times are in America/New_York" in page
    _, before = await supervisor.get("/calls?since=2026-11-30&until=2026-11-30")
    assert [r[0].split(">")[1].split("<")[0] for r in _table(before, "calls-table")] == [
        "2026-11-30 22:00 EST"]
    status, text = await supervisor.get("/statistics/line.csv?period=day&date=2026-12-01")
    assert status == 200
    total = {row["Line"]: row for row in csv.DictReader(io.StringIO(text))}["Total"]
    assert total["Received"] == "2"


async def test_answered_calls_without_an_intake_are_listed_and_counted(web: WebApp) -> None:
    """Answered, ended, no intake saved: on /calls?intake=missing (a draft kept is said),
    and counted on the live queue view for the last 7 days, linking to that list. Not
    counted: a call with an intake, a voicemail, a call still going on, one 8 days ago."""
    now = dt.datetime.now(dt.UTC)
    with_intake = await _call(web, now - dt.timedelta(hours=2))
    await web.sql("""INSERT INTO intakes (id, call_id, user_id, outcome)
                     SELECT $1, $2, id, 'silent' FROM users WHERE username = 'operator1'""",
                  uuid.uuid4(), with_intake)
    missing = await _call(web, now - dt.timedelta(hours=1))
    drafted = await _call(web, now - dt.timedelta(days=3))
    operator = await web.signed_in("operator1")
    status, _ = await operator.post_json("/drafts", {"call_id": str(drafted), "fields": {
        "needs_note": "Call back after lunch"}})
    assert status == 200
    await _call(web, now - dt.timedelta(minutes=30), answered=False)  # voicemail
    await _call(web, now - dt.timedelta(minutes=1), ended=False)  # still talking
    old = await _call(web, now - dt.timedelta(days=8))

    supervisor = await web.signed_in("supervisor1")
    status, queues = await supervisor.get("/supervisor/queues")
    assert status == 200
    link = re.search(r'id="missing-intakes"[^>]*><a href="([^"]+)">([^<]+)</a>', queues)
    assert link is not None and link.group(2) == "2 answered calls"
    status, page = await supervisor.get(link.group(1).replace("&amp;", "&"))
    assert status == 200
    listed = _table(page, "calls-table")
    assert len(listed) == 2
    assert f'href="/calls/{missing}"' in page and f'href="/calls/{drafted}"' in page
    assert "draft kept, no intake saved" in listed[1][6] and "draft" not in listed[0][6]
    assert f'href="/calls/{with_intake}"' not in page
    _, everything = await supervisor.get("/calls?intake=missing")
    assert f'href="/calls/{old}"' in everything and everything.count('href="/calls/') == 3
