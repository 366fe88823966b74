"""Supervisors' actions over HTTP: who may use each new route, and forcing an operator's
pause or log-out through the same path as the console (queue picture, stored state, the
operator's open console, audit)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.async_api import expect

from lifeline_pbx.resources import ACD
from tests.browser import Browsing
from tests.test_console_web import next_state, ws
from tests.waiting import wait_for
from tests.web_fixtures import PASSWORDS, Client, WebApp

JSON = {"Accept": "application/json"}
OPERATOR = "operator1"  # demo web user linked to the demo SIP account operator1
CALL = "00000000-0000-4000-8000-000000000001"
# (method, path, body) of each supervision route; the role check comes before anything.
ROUTES = [
    ("POST", f"/supervisor/calls/{CALL}/supervise", {"mode": "listen"}),
    ("POST", "/supervisor/supervise/stop", {}),
    ("POST", f"/supervisor/operators/{OPERATOR}/pause", {"reason": "break"}),
    ("POST", f"/supervisor/operators/{OPERATOR}/logout", {}),
    ("GET", f"/calls/{CALL}", {}),
]


async def send(client: Client, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    if method == "GET":
        status, text = await client.get(path, headers=JSON)
        return status, text
    return await client.post_json(path, body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_only_supervisors_and_admins_may_supervise(
    web_with_calls: WebApp, method: str, path: str, body: dict[str, Any]
) -> None:
    web = web_with_calls
    before = web.app[ACD].picture.operators[OPERATOR]  # logged in by the demo data
    anonymous = await web.client()
    assert (await anonymous.get("/login"))[0] == 200
    status, _ = await send(anonymous, method, path, body)
    assert status in (401, 403), status  # no session: sign in (or no CSRF token)
    operator = await web.signed_in(OPERATOR)
    assert (await send(operator, method, path, body))[0] == 403
    assert web.app[ACD].picture.operators[OPERATOR] == before  # refused: nothing changed
    for username in ("supervisor1", "admin1"):
        client = await web.signed_in(username)
        status, answer = await send(client, method, path, body)
        assert status not in (401, 403), (username, status, answer)


async def test_refusals_are_clear_and_change_nothing(web_with_calls: WebApp) -> None:
    web = web_with_calls
    assert await web.app[ACD].operator_action(OPERATOR, "logout")
    supervisor = await web.signed_in("supervisor1")
    status, body = await supervisor.post_json(f"/supervisor/calls/{CALL}/supervise",
                                              {"mode": "spy"})
    assert (status, body["errors"]) == (422, {"mode": "Choose listen, whisper or join."})
    # supervisor1 has no phone (SIP account) linked: refused before the call is looked at.
    status, body = await supervisor.post_json(f"/supervisor/calls/{CALL}/supervise",
                                              {"mode": "listen"})
    assert status == 409 and "not linked to a phone" in body["error"]
    status, body = await supervisor.post_json("/supervisor/supervise/stop", {})
    assert status == 409 and "not on a call" in body["error"]
    status, body = await supervisor.post_json(f"/supervisor/operators/{OPERATOR}/pause",
                                              {"reason": "break"})
    assert status == 409 and "not logged in" in body["error"]
    status, body = await supervisor.post_json("/supervisor/operators/nobody/logout", {})
    assert status == 404
    status, body = await supervisor.post_json(f"/supervisor/operators/{OPERATOR}/resume", {})
    assert status == 404
    status, _ = await supervisor.get(f"/calls/{uuid.uuid4()}")
    assert status == 404
    assert (await supervisor.get("/calls/not-a-call"))[0] == 404
    assert await web.sql("SELECT 1 FROM audit_log WHERE entity = 'operator_status'") == []


async def stored(web: WebApp, expected: tuple[bool, bool, str | None]) -> None:
    """The operator's state as written behind the distributor (reason None: any)."""

    async def probe() -> bool:
        rows = await web.sql(
            """SELECT s.logged_in, s.paused, s.pause_reason FROM operator_status s
               JOIN operators o ON o.id = s.operator_id WHERE o.sip_username = $1""", OPERATOR)
        if not rows:
            return False
        found = (rows[0]["logged_in"], rows[0]["paused"], rows[0]["pause_reason"])
        return found[:2] == expected[:2] and expected[2] in (None, found[2])

    await wait_for(probe, what=f"operator state {expected} stored")


async def queue_status(client: Client) -> dict[str, Any]:
    status, text = await client.get("/supervisor/queues.json", headers=JSON)
    assert status == 200, text
    snap = json.loads(text)
    found: dict[str, Any] = next(o for q in snap["queues"] for o in q["operators"]
                                 if o["username"] == OPERATOR)
    return found


async def test_a_supervisor_pauses_then_logs_out_an_operator_who_sees_it_live(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    operator = await web.signed_in(OPERATOR)
    socket = await ws(operator)
    await next_state(socket, logged_in=True, paused=False)  # logged in by the demo data
    supervisor = await web.signed_in("supervisor1")
    assert (await queue_status(supervisor))["status"] != "paused"

    status, body = await supervisor.post_json(f"/supervisor/operators/{OPERATOR}/pause",
                                              {"reason": "meeting", "note": "team call"})
    assert status == 200, body
    reason = "meeting: team call (by a supervisor)"
    await next_state(socket, logged_in=True, paused=True, pause_reason=reason)
    seen = await queue_status(supervisor)
    assert (seen["status"], seen["paused"], seen["pause_reason"]) == ("paused", True, reason)
    await stored(web, (True, True, reason))
    status, body = await supervisor.post_json(f"/supervisor/operators/{OPERATOR}/pause",
                                              {"reason": "break"})
    assert status == 409 and "paused already" in body["error"]

    status, body = await supervisor.post_json(f"/supervisor/operators/{OPERATOR}/logout", {})
    assert status == 200, body
    await next_state(socket, logged_in=False)
    assert (await queue_status(supervisor))["logged_in"] is False
    await stored(web, (False, False, None))
    logged = await web.sql(
        """SELECT a.fields FROM audit_log a JOIN users u ON u.id = a.user_id
           WHERE u.username = 'supervisor1' AND a.action = 'update'
             AND a.entity = 'operator_status' ORDER BY a.id""")
    assert [list(r["fields"]) for r in logged] == [["pause_reason", "paused"],
                                                   ["logged_in", "paused"]]
    await socket.close()


async def test_the_queue_view_pauses_an_operator_with_a_reason(
    web_with_calls: WebApp, browsing: Browsing
) -> None:
    web = web_with_calls
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"],
                                    "/supervisor/queues")
    await page.goto(f"{web.base_url}/supervisor/queues")
    await expect(page.locator("#supervise-status")).to_have_text(
        re.compile(r"no phone\s+\(SIP\) account linked"))
    row = page.locator(f'.queue-operators tr[data-operator="{OPERATOR}"]').first
    await row.locator('button[data-force="pause"]').click()
    await page.select_option("#force-reason", "training")
    await page.fill("#force-note", "new script")
    await page.locator('#force-pause button[type="submit"]').click()
    await expect(page.locator("#supervise-status")).to_have_text(f"{OPERATOR} is paused.")
    await expect(row.locator("td").nth(1)).to_have_text(
        "paused (training: new script (by a supervisor))")
    await expect(row.locator('button[data-force="pause"]')).to_have_count(0)
    # Logged out: no more buttons for them but the status says so.
    await row.locator('button[data-force="logout"]').click()
    await expect(page.locator("#supervise-status")).to_have_text(
        f"{OPERATOR} is logged out of the queues.")
    talking = page.locator(".queue-talking button[data-supervise]")
    await expect(talking).to_have_count(0)  # no call in progress: nothing to listen to
    await expect(row.locator("button")).to_have_count(0)
    browsing.check_clean()
