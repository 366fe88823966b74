"""Spike alerts against the running app, PostgreSQL and a real SMTP server: a rule fires
exactly once per window and its email arrives; the supervisors' feed shows it live; a
refused email is retried without touching the save; the rule form refuses bad input with
the field named and nothing saved; who may open what."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from lifeline_pbx.alerts.evaluate import evaluate
from lifeline_pbx.resources import ALERTS, POOL
from tests.smtp_server import Inbox, smtp_server
from tests.test_cases_web import A_NUMBER, save
from tests.test_intake_web import keyed
from tests.waiting import wait_for
from tests.web_fixtures import Client, WebApp, running_web

MAIL: dict[str, Any] = {
    "smtp_host": "127.0.0.1", "smtp_tls": "none", "smtp_user": "lifeline",
    "smtp_password": "smtp-test-password", "smtp_from": "lifeline@example.org",
    "alert_recipients": ("coordinators@example.org",),
    "public_url": "https://hotline.example.org",
}
RULE = {"category": "medical_neglect", "threshold": "3", "window_days": "7", "enabled": "on"}
# Everything the intakes below say about the person: none of it may leave in an email.
IDENTIFYING = ("Denied insulin", "Narrative", "Name ", A_NUMBER, "208555019", "555 0100")


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    async with smtp_server(MAIL["smtp_user"], MAIL["smtp_password"]) as server:
        yield server


@pytest.fixture
async def web(app_dsn: str, inbox: Inbox) -> AsyncIterator[WebApp]:
    async with running_web(app_dsn, smtp_port=inbox.port, **MAIL) as web_app:
        yield web_app


async def report(web: WebApp, operator: Client) -> None:
    """An intake with one medical-neglect report at the first facility, saved as the
    console saves it."""
    status, body = await save(operator, await keyed(web))
    assert status == 200, body


async def feed(web: WebApp, client: Client) -> aiohttp.ClientWebSocketResponse:
    return await client.http.ws_connect(client.url("/supervisor/alerts/ws"),
                                        headers={"Origin": web.base_url})


async def test_a_rule_fires_exactly_once_and_the_email_arrives(web: WebApp,
                                                               inbox: Inbox) -> None:
    admin = await web.signed_in("admin1")
    assert (await admin.post("/admin/alerts", RULE))[0] == 303
    operator = await web.signed_in("operator1")
    for _ in range(2):
        await report(web, operator)
    assert await evaluate(web.app[POOL]) == []  # two of three: nothing fires

    supervisor = await web.signed_in("supervisor1")
    screen = await feed(web, supervisor)
    first = await screen.receive_json(timeout=10)
    assert (first["type"], first["alerts"]) == ("snapshot", [])

    await report(web, operator)
    pushed = await screen.receive_json(timeout=15)  # the dashboard shows it, no reload
    facility = (await web.sql("SELECT id, name FROM facilities ORDER BY id LIMIT 1"))[0]
    assert pushed["type"] == "alert"
    assert (pushed["facility"], pushed["category"], pushed["reports"]) == (
        facility["name"], "medical_neglect", 3)

    received = await wait_for(lambda: inbox.received, what="the alert email")
    mail = received[0]
    assert mail.recipients == ["coordinators@example.org"]
    assert mail.message["Subject"] == (
        f"Alert: 3 reports of Medical neglect or denial of care at {facility['name']} "
        "within 7 days")
    assert (f"https://hotline.example.org/reports?facility={facility['id']}"
            "&category=medical_neglect") in mail.body
    whole = mail.message.as_string()
    assert not [text for text in IDENTIFYING if text in whole]

    # A fourth report inside the window: the rule has fired for this window already.
    await report(web, operator)
    assert await evaluate(web.app[POOL]) == []
    # Days later the first report leaves the 7-day window: the three left were counted
    # in (or made during) the alert's window, so still nothing fires.
    await web.sql("""UPDATE reports SET created_at = created_at - interval '8 days'
                     WHERE id = (SELECT id FROM reports ORDER BY created_at LIMIT 1)""")
    assert await evaluate(web.app[POOL]) == []
    alerts = await web.sql("SELECT reports FROM spike_alerts")
    assert [r["reports"] for r in alerts] == [3]
    await wait_for(lambda: web.sql("SELECT 1 FROM alert_emails WHERE sent_at IS NOT NULL"),
                   what="the email marked sent")  # written after the server took it
    emails = await web.sql("SELECT attempts, sent_at FROM alert_emails")
    assert [(r["attempts"], r["sent_at"] is not None) for r in emails] == [(1, True)]
    assert len(inbox.received) == 1
    # Another screen that connects now is shown the alert in its snapshot.
    later = await (await feed(web, supervisor)).receive_json(timeout=10)
    assert [a["id"] for a in later["alerts"]] == [pushed["id"]]
    await screen.close()


async def test_a_refused_email_is_retried_and_the_save_never_waits(
        app_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with smtp_server(MAIL["smtp_user"], MAIL["smtp_password"], refuse=1) as inbox, \
            running_web(app_dsn, smtp_port=inbox.port, **MAIL) as web:
        admin = await web.signed_in("admin1")
        assert (await admin.post("/admin/alerts", {**RULE, "threshold": "2"}))[0] == 303
        operator = await web.signed_in("operator1")
        for _ in range(2):
            await report(web, operator)
        await wait_for(lambda: inbox.refused == 1, what="the first attempt refused")
        row = (await wait_for(lambda: web.sql(
            "SELECT * FROM alert_emails WHERE attempts = 1"), what="the attempt counted"))[0]
        assert row["sent_at"] is None and row["next_attempt_at"] > row["created_at"]
        assert inbox.received == []
        # The wait is half a minute; bring the retry forward rather than sleep through it.
        await web.sql("UPDATE alert_emails SET next_attempt_at = now()")
        outbox = web.app[ALERTS].outbox
        assert outbox is not None
        outbox.wake()
        await wait_for(lambda: inbox.received, what="the email, second time")
        # The server took it before the outbox writes so: wait for the row, not the inbox.
        row = (await wait_for(lambda: web.sql(
            "SELECT * FROM alert_emails WHERE sent_at IS NOT NULL"), what="marked sent"))[0]
        assert row["attempts"] == 2
    failed = [r.getMessage() for r in caplog.records if "alert email not sent" in r.getMessage()]
    assert len(failed) == 1 and "code=451" in failed[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [text for text in (*IDENTIFYING, MAIL["smtp_password"]) if text in logged]


async def _rules_and_audit(web: WebApp) -> list[Any]:
    return [[tuple(r) for r in await web.sql(f"SELECT * FROM {table} ORDER BY 1")]
            for table in ("alert_rules", "audit_log")]


@pytest.mark.parametrize("form, fields", [
    ({"category": "not_a_category", "threshold": "3", "window_days": "7"}, ["category"]),
    ({"category": "medical_neglect", "threshold": "1", "window_days": "7"}, ["threshold"]),
    ({"category": "medical_neglect", "threshold": "3", "window_days": "0"}, ["window_days"]),
    ({"category": "", "threshold": "many", "window_days": "9" * 5000},
     ["category", "threshold", "window_days"]),
])
async def test_a_bad_rule_is_refused_with_the_field_named(web: WebApp, form: dict[str, str],
                                                          fields: list[str]) -> None:
    admin = await web.signed_in("admin1")
    before = await _rules_and_audit(web)
    status, page = await admin.post("/admin/alerts", form)
    assert status == 422
    assert sorted(re.findall(r'id="error-(\w+)"', page)) == sorted([*fields, "form"])
    assert 'value="many"' in page or form["threshold"] != "many"  # what was typed stays
    status, body = await admin.post("/admin/alerts", form,
                                    headers={"Accept": "application/json"})
    assert status == 422 and sorted(json.loads(body)["errors"]) == sorted(fields)
    assert await _rules_and_audit(web) == before


async def test_rules_are_added_changed_and_deleted_with_their_audit(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    assert (await admin.post("/admin/alerts", RULE))[0] == 303
    rule_id = (await web.sql("SELECT id FROM alert_rules"))[0]["id"]
    before = await _rules_and_audit(web)
    status, page = await admin.post("/admin/alerts", RULE)  # the same rule again
    assert status == 422 and "The same rule exists already." in page
    status, page = await admin.post(f"/admin/alerts/{rule_id}", {**RULE, "threshold": "x"})
    assert status == 422 and 'id="error-threshold"' in page
    assert await _rules_and_audit(web) == before
    assert (await admin.post(f"/admin/alerts/{rule_id}", {**RULE, "window_days": "14",
                                                          "enabled": ""}))[0] == 303
    assert admin.last["location"].endswith("done=saved")
    row = (await web.sql("SELECT window_days, enabled FROM alert_rules"))[0]
    assert (row["window_days"], row["enabled"]) == (14, False)
    assert (await admin.post(f"/admin/alerts/{rule_id}/delete"))[0] == 303
    assert (await admin.post(f"/admin/alerts/{rule_id}/delete"))[0] == 404
    assert (await admin.get(f"/admin/alerts/{rule_id}"))[0] == 404
    entries = [(r["action"], tuple(r["fields"])) for r in await web.sql(
        "SELECT action, fields FROM audit_log WHERE entity = 'alert_rule' ORDER BY id")]
    assert entries == [("create", ("category", "enabled", "threshold", "window_days")),
                       ("update", ("enabled", "window_days")), ("delete", ())]


# Who may: the rule pages are for admins; the feed for supervisors and admins.

ROUTES = [("GET", "/admin/alerts"), ("POST", "/admin/alerts"), ("GET", "/admin/alerts/1"),
          ("POST", "/admin/alerts/1"), ("POST", "/admin/alerts/1/delete"),
          ("GET", "/supervisor/alerts/ws")]
ALLOWED = {"operator1": set(), "supervisor1": {"/supervisor/alerts/ws"},
           "admin1": {path for _, path in ROUTES}}


def test_the_table_names_every_route_added(web: WebApp) -> None:
    routed = set()
    for route in web.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("GET", "POST") and "alerts" in path:
            routed.add((route.method, path.replace("{rule_id}", "1")))
    assert routed == set(ROUTES)


@pytest.mark.parametrize("username", ["operator1", "supervisor1", "admin1"])
async def test_who_may(web: WebApp, username: str) -> None:
    await web.sql("INSERT INTO alert_rules (id, category, threshold, window_days) "
                  "OVERRIDING SYSTEM VALUE VALUES (1, 'use_of_force', 5, 30)")
    before = await _rules_and_audit(web)
    client = await web.signed_in(username)
    for method, path in ROUTES:
        if path.endswith("/ws"):
            async with client.http.get(client.url(path), allow_redirects=False, headers={
                    "Origin": web.base_url, "Connection": "Upgrade", "Upgrade": "websocket",
                    "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as r:
                status = r.status
            allowed = 101
        elif method == "GET":
            status, _ = await client.get(path)
            allowed = 200
        else:
            continue  # the writes are tried by non-admins below, with nothing changed
        expected = allowed if path in ALLOWED[username] else 403
        assert status == expected, (username, path, status)
    if username != "admin1":
        for method, path in ROUTES:
            if method == "POST":
                status, _ = await client.post(path, {**RULE, "threshold": "4"})
                assert status == 403, (username, path, status)
        assert await _rules_and_audit(web) == before


async def test_the_feed_refuses_another_site(web: WebApp) -> None:
    supervisor = await web.signed_in("supervisor1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await supervisor.http.ws_connect(supervisor.url("/supervisor/alerts/ws"),
                                         headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
