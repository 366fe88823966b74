"""The supervisors' live queue view over HTTP: who may see it, and a real caller moving through."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect

from lifeline_pbx.calls import model
from lifeline_pbx.queues import routing
from lifeline_pbx.queues.handle import CallHandle
from lifeline_pbx.queues.picture import Waiter
from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.engine import DID, Hotline
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, Client, WebApp

JSON = {"Accept": "application/json"}
INTL_NAME = "(code) => new Intl.DisplayNames(['en'], { type: 'language' }).of(code)"
ROUTES = ("/supervisor/queues", "/supervisor/queues.json")


@pytest.mark.parametrize("path", ROUTES)
async def test_operators_are_refused_supervisors_and_admins_see_the_queues(
    web_with_calls: WebApp, path: str
) -> None:
    web = web_with_calls
    operator = await web.signed_in("operator1")
    assert (await operator.get(path, headers=JSON))[0] == 403
    anonymous = await web.client()
    assert (await anonymous.get(path, headers=JSON))[0] == 401
    for username in ("supervisor1", "admin1"):
        client = await web.signed_in(username)
        status, _ = await client.get(path, headers=JSON)
        assert status == 200, username


async def test_the_page_loads_its_script_and_the_nav_links_to_it(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/supervisor/queues")
    assert status == 200
    assert '<script src="/static/queues.js"></script>' in page
    assert "<script>" not in page and "onclick" not in page
    assert 'href="/supervisor/queues" aria-current="page">Queues</a>' in page
    _, reports = await supervisor.get("/reports")
    assert 'href="/supervisor/queues">Queues</a>' in reports
    _, console = await (await web.signed_in("operator1")).get("/console")
    assert "/supervisor/queues" not in console
    async with supervisor.http.get(supervisor.url("/static/queues.js")) as r:
        script = await r.text()
    assert r.status == 200 and "innerHTML" not in script


async def test_the_snapshot_names_the_queues_and_their_operators(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    supervisor = await web.signed_in("supervisor1")
    status, text = await supervisor.get("/supervisor/queues.json", headers=JSON)
    assert status == 200
    snap = json.loads(text)
    names = {r["id"]: r["name"] for r in await web.sql("SELECT id, name FROM queues")}
    assert {q["queue_id"]: q["name"] for q in snap["queues"]} == names
    operators = [o["username"] for q in snap["queues"] for o in q["operators"]]
    assert "operator1" in operators


def held(queue_id: int, language: str, priority: int, waited: float) -> Waiter:
    """A caller in the distributor's picture, as if held in the queue bridge."""
    line = model.Line(1, DID, 1, "Demo County Processing Center", "en")
    call = CallHandle(uuid.uuid4(), f"fake-{uuid.uuid4()}", line, language, priority,
                      lambda outcome: None)
    caller = routing.Caller(str(call.call_id), str(queue_id), language, priority,
                            time.time() - waited, False, frozenset())
    return Waiter(call, caller, queue_id)


async def test_the_page_highlights_emergencies_and_long_waits_and_says_when_cut_off(
    web_with_calls: WebApp, browsing: Browsing
) -> None:
    web = web_with_calls
    queue_id = (await web.sql("SELECT id FROM queues ORDER BY id LIMIT 1"))[0]["id"]
    picture = web.app[ACD].picture
    waiters = [held(queue_id, "en", 0, 400), held(queue_id, "es", 1, 5),
               held(queue_id, "cmn", 0, 10)]
    try:
        for waiter in waiters:
            picture.waiting[waiter.call.call_id] = waiter
        page = await browsing.signed_in(web.base_url, "supervisor1",
                                        PASSWORDS["supervisor1"], "/supervisor/queues")
        await page.goto(f"{web.base_url}/supervisor/queues")
        rows = page.locator(f"#queue-{queue_id} .queue-waiting tbody tr")
        await expect(rows).to_have_count(3)
        await expect(page.locator("#queues-status")).to_have_text(
            re.compile(r"^Live · updated \d\d:\d\d:\d\d E[SD]T$"))
        emergency, long_wait, normal = rows.nth(0), rows.nth(1), rows.nth(2)
        await expect(emergency).to_have_class(re.compile(r"\bemergency\b"))
        await expect(emergency.locator(".triage")).to_have_text("Emergency")
        await expect(emergency.locator(".language")).to_have_text("Spanish")
        await expect(long_wait).to_have_class(re.compile(r"\blong-wait\b"))
        await expect(long_wait.locator(".waited")).to_have_text(re.compile(r"^6:[45]\d$"))
        await expect(normal).not_to_have_class(re.compile("emergency|long-wait"))
        await expect(normal.locator(".facility")).to_have_text("Demo County Processing Center")
        await expect(normal.locator(".triage")).to_have_text("Not urgent")  # as the console
        # Named as the server's pages name it, not as the browser would.
        assert await page.evaluate(INTL_NAME, "cmn") != "Mandarin"  # "Chinese" here
        await expect(normal.locator(".language")).to_have_text("Mandarin")
        # The tables follow the picture: a caller who is served leaves them.
        del picture.waiting[waiters[2].call.call_id]
        await expect(rows).to_have_count(2)
        browsing.check_clean()

        await page.route("**/supervisor/queues.json", lambda route: route.abort())
        status = page.locator("#queues-status")
        await expect(status).to_have_text(re.compile("Connection lost"))
        await expect(status).to_have_class(re.compile("lost"))
        await page.unroute("**/supervisor/queues.json")
        await expect(status).to_have_text(re.compile("Live"))
    finally:
        for waiter in waiters:
            picture.waiting.pop(waiter.call.call_id, None)


async def snapshot(client: Client) -> dict[str, Any]:
    status, text = await client.get("/supervisor/queues.json", headers=JSON)
    assert status == 200, text
    data: dict[str, Any] = json.loads(text)
    return data


async def test_a_waiting_caller_shows_then_moves_to_in_progress_under_the_operator(
    hotline_factory: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = Client(hotline.base_url, http)
        assert await supervisor.sign_in("supervisor1") == 303
        await hotline.login("op-b")
        await hotline.app[ACD].operator_action("op-b", "pause", "meeting")
        call = await hotline.to_queue("Rosa Waiting", language_digit="2")

        async def waiting() -> dict[str, Any] | None:
            queues = (await snapshot(supervisor))["queues"]
            rows = [w for q in queues for w in q["waiting"]]
            return rows[0] if len(rows) == 1 else None

        first: dict[str, Any] = await wait_for(waiting, what="the caller in the waiting table")
        assert (first["facility"], first["did"], first["language"], first["position"],
                first["emergency"]) == ("Demo County Processing Center", DID, "es", 1, False)

        async def grown() -> dict[str, Any] | None:
            row = await waiting()
            return row if row and row["waited"] > first["waited"] else None

        await wait_for(grown, interval=0.25, what="the wait growing")
        snap = await snapshot(supervisor)
        op_b = next(o for q in snap["queues"] for o in q["operators"] if o["username"] == "op-b")
        assert (op_b["status"], op_b["pause_reason"], op_b["registered"]) == (
            "paused", "meeting", True)
        text = json.dumps(snap)
        assert "Rosa" not in text and str(abs(hash("Rosa Waiting")) % 10**7) not in text

        await hotline.app[ACD].operator_action("op-b", "resume")
        await hotline.phones.answer(await hotline.phones.offer("op-b"), record=False)

        async def talking() -> dict[str, Any] | None:
            queues = (await snapshot(supervisor))["queues"]
            return next((q for q in queues if q["in_progress"] and not q["waiting"]), None)

        queue: dict[str, Any] = await wait_for(talking, what="the call in progress")
        [talk] = queue["in_progress"]
        assert (talk["call_id"], talk["operator"], talk["facility"], talk["language"]) == (
            first["call_id"], "op-b", "Demo County Processing Center", "es")
        assert talk["talking"] is not None and talk["waited"] >= first["waited"] + 1
        op_b = next(o for o in queue["operators"] if o["username"] == "op-b")
        assert (op_b["status"], op_b["on_call"]) == ("on a call", True)
        await hotline.carrier.hang_up(call)


async def test_the_board_refreshes_calls_without_intake_and_names_lines_and_quiet_days(
    web_with_calls: WebApp, browsing: Browsing
) -> None:
    """With the queues, without a reload: the answered calls with no intake and the unsaved
    intakes on them; a queue with no calls yet today says so (not "the database is away");
    a waiting caller's line by its name."""
    web = web_with_calls
    queue_id = (await web.sql("SELECT id FROM queues ORDER BY id LIMIT 1"))[0]["id"]
    line_name = (await web.sql("SELECT name FROM lines WHERE did = $1", DID))[0]["name"]
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    "/supervisor/queues")
    section = page.locator(f"#queue-{queue_id}")
    await expect(section.locator(".queue-today")).to_have_text("No calls yet today.")
    missing = page.locator("#missing-intakes")
    await expect(missing.locator("a")).to_have_text("0 answered calls")
    await expect(page.locator("#stranded-drafts")).to_be_hidden()

    call_id = await _answered_call(web, queue_id=None)
    operator = await web.signed_in("operator1")
    status, _ = await operator.post_json("/drafts", {"call_id": str(call_id), "fields": {
        "needs_note": "Call back after lunch"}})
    assert status == 200
    await expect(missing.locator("a")).to_have_text("1 answered call")
    await expect(missing).to_contain_text("has no intake.")
    await expect(missing).to_have_class("warning")
    stranded = page.locator("#stranded-drafts")
    await expect(stranded.locator("h2")).to_have_text(
        "1 unsaved intake on answered calls with no intake")
    await expect(stranded.locator(f'li a[href="/calls/{call_id}"]')).to_have_count(1)
    await expect(stranded.locator("li")).to_contain_text("by Demo Operator, last saved")
    await expect(section.locator(".queue-today")).to_have_text("No calls yet today.")

    await _answered_call(web, queue_id=queue_id)
    await expect(section.locator(".queue-today")).to_have_text(
        re.compile(r"^Today: 1 answered · 0 abandoned while waiting · "))
    await expect(missing.locator("a")).to_have_text("2 answered calls")

    picture = web.app[ACD].picture
    waiter = held(queue_id, "en", 0, 5)
    try:
        picture.waiting[waiter.call.call_id] = waiter
        await expect(section.locator(".queue-waiting tbody tr .line")).to_have_text(line_name)
    finally:
        picture.waiting.pop(waiter.call.call_id, None)
    browsing.check_clean()


async def _answered_call(web: WebApp, *, queue_id: int | None) -> uuid.UUID:
    """A call on the test line a minute ago, answered by operator1 and ended, no intake."""
    call_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
               caller_number, caller_name, started_at, queued_at, queue_id, connected_at,
               operator_id, ended_at, disposition, wait_seconds)
           SELECT $1, $2, 'PJSIP/carrier-1', l.did, l.id, l.facility_id, '', '',
                  now() - interval '1 min', now() - interval '1 min', $4,
                  now() - interval '55 s',
                  (SELECT id FROM operators WHERE sip_username = 'operator1'),
                  now(), 'answered', 5
             FROM lines l WHERE l.did = $3""",
        call_id, f"chan-{call_id.hex[:8]}", DID, queue_id)
    return call_id
