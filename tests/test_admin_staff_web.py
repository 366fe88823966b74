"""Queues and operators in the admin pages, against the running server and PostgreSQL:
saved and audited by field name, refused with the field named and nothing saved, and
for admins only."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import asyncpg
import pytest

from lifeline_pbx import config_watch
from lifeline_pbx.operators.sip_credentials import sip_md5_cred
from lifeline_pbx.queues import queue_rules
from lifeline_pbx.resources import CONFIG
from tests.test_admin import _admin_paths
from tests.web_fixtures import WebApp

_SECRET = re.compile(r'id="sip-secret">([^<]+)<')
QUEUE = {**queue_rules.DEFAULTS, "name": "Spanish", "ring_timeout_seconds": "15"}


async def _audit(web: WebApp, entity: str) -> list[tuple[str, str, list[str]]]:
    rows = await web.sql("SELECT action, entity_id, fields FROM audit_log WHERE entity = $1 "
                         "ORDER BY id", entity)
    return [(r["action"], r["entity_id"], list(r["fields"])) for r in rows]


async def _queue_id(web: WebApp, name: str) -> int:
    return int((await web.sql("SELECT id FROM queues WHERE name = $1", name))[0]["id"])


async def _operator_id(web: WebApp, sip: str) -> int:
    return int((await web.sql("SELECT id FROM operators WHERE sip_username = $1", sip))[0][0])


async def _tables(web: WebApp) -> list[Any]:
    """Everything a refused change must leave as it was."""
    return [await web.sql(f"SELECT * FROM {table} ORDER BY 1, 2") for table in (
        "queues", "operator_queues", "operators", "audit_log")] + [
        await web.sql("SELECT id, operator_id FROM users ORDER BY id")]


async def test_an_admin_creates_and_changes_a_queue_and_the_engine_is_told(web: WebApp) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    con = await asyncpg.connect(web.dsn)
    await con.add_listener(config_watch.CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        admin = await web.signed_in("admin1")
        operator1 = await _operator_id(web, "operator1")
        status, _ = await admin.post("/admin/queues", {**QUEUE, "operators": str(operator1)})
        queue_id = await _queue_id(web, "Spanish")
        assert status == 303
        assert admin.last["location"] == f"/admin/queues/{queue_id}?done=created"
        assert {await asyncio.wait_for(heard.get(), 5) for _ in range(2)} == {
            "queues", "operator_queues"}
        row = (await web.sql("SELECT * FROM queues WHERE id = $1", queue_id))[0]
        assert (row["ring_timeout_seconds"], row["accept_by_key"]) == (15, False)
        assert [tuple(r) for r in await web.sql(
            "SELECT operator_id FROM operator_queues WHERE queue_id = $1", queue_id)] == [
            (operator1,)]
        status, page = await admin.get(f"/admin/queues/{queue_id}?done=created")
        assert status == 200 and "Queue created." in page and 'value="15"' in page

        status, _ = await admin.post(f"/admin/queues/{queue_id}", {
            **QUEUE, "ring_timeout_seconds": "8", "accept_by_key": "on",
            "operators": str(operator1)})
        assert status == 303 and admin.last["location"].endswith("?done=saved")
        assert await asyncio.wait_for(heard.get(), 5) == "queues"
        status, _ = await admin.post(f"/admin/queues/{queue_id}", {
            **QUEUE, "ring_timeout_seconds": "8", "accept_by_key": "on"})
        assert status == 303
        assert await asyncio.wait_for(heard.get(), 5) == "operator_queues"
        status, _ = await admin.post(f"/admin/queues/{queue_id}", {
            **QUEUE, "ring_timeout_seconds": "8", "accept_by_key": "on"})
        assert status == 303 and admin.last["location"].endswith("?done=unchanged")
        row = (await web.sql("SELECT * FROM queues WHERE id = $1", queue_id))[0]
        assert (row["ring_timeout_seconds"], row["accept_by_key"]) == (8, True)
        assert not await web.sql("SELECT 1 FROM operator_queues WHERE queue_id = $1", queue_id)
        assert await _audit(web, "queue") == [
            ("create", str(queue_id), sorted([*queue_rules.FIELDS, "operators"])),
            ("update", str(queue_id), ["accept_by_key", "ring_timeout_seconds"]),
            ("update", str(queue_id), ["operators"]),
        ]
        await web.sql("UPDATE queues SET wrapup_seconds = 45 WHERE id = $1", queue_id)
        _, page = await admin.get("/admin/queues")
        assert f'href="/admin/queues/{queue_id}">Spanish<' in page
        shown = re.search(f'<tr id="queue-{queue_id}">(.*?)</tr>', page, re.S)
        assert shown is not None and "<th>Wrap-up</th>" in page
        cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", shown.group(1), re.S)]
        assert cells[1:5] == ["8 s", "30 s", "600 s", "45 s"]  # ring, language, wait, wrap-up
    finally:
        await con.close()


BAD_QUEUES = [
    ({"name": ""}, "name"),
    ({"name": "hotline"}, "name"),  # the demo's "Hotline", without regard to case
    ({"ring_timeout_seconds": "500"}, "ring_timeout_seconds"),
    ({"language_wait_seconds": "abc"}, "language_wait_seconds"),
    ({"max_missed": "0"}, "max_missed"),
    ({"wrapup_seconds": "-5"}, "wrapup_seconds"),
    ({"max_wait_seconds": "10"}, "max_wait_seconds"),
    ({"announce_every_seconds": "1"}, "announce_every_seconds"),
    ({"operators": "abc"}, "operators"),
    ({"operators": "987654"}, "operators"),
]


@pytest.mark.parametrize(("change", "field"), BAD_QUEUES)
async def test_a_bad_queue_is_refused_with_its_field_named(
        web: WebApp, change: dict[str, str], field: str) -> None:
    admin = await web.signed_in("admin1")
    hotline = await _queue_id(web, "Hotline")
    before = await _tables(web)
    for path in ("/admin/queues", f"/admin/queues/{hotline}"):
        body = {**QUEUE, **change}
        if path != "/admin/queues" and field == "name" and change["name"]:
            continue  # renaming the queue to its own name is not a clash
        status, page = await admin.post(path, body)
        assert status == 422 and f'id="error-{field}"' in page, (path, page[-3000:])
        assert f'value="{body.get("name")}"' in page  # what was typed is still there
    assert await _tables(web) == before


async def test_a_queue_in_use_is_not_deleted(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    hotline = await _queue_id(web, "Hotline")
    status, page = await admin.post(f"/admin/queues/{hotline}/delete")
    assert status == 409 and "the lines 15550100101, 15550100201 send their callers" in page
    assert 'id="problem"' in page

    await admin.post("/admin/queues", {**QUEUE, "name": "Busy"})
    busy = await _queue_id(web, "Busy")
    await web.sql("""INSERT INTO calls (id, channel_id, channel_name, did, caller_number,
                         caller_name, started_at, queue_id, queued_at)
                     VALUES ($1, 'c1', 'PJSIP/carrier-1', '15550100101', '1', 'x', now(), $2,
                             now())""", uuid.uuid4(), busy)
    status, page = await admin.post(f"/admin/queues/{busy}/delete")
    assert status == 409 and "1 call is in it now" in page
    await web.sql("UPDATE calls SET ended_at = now() WHERE queue_id = $1", busy)
    status, page = await admin.post(f"/admin/queues/{busy}/delete")
    assert status == 409 and "its calls are on record" in page
    assert len(await web.sql("SELECT 1 FROM queues")) == 2
    assert [a for a, _, _ in await _audit(web, "queue")] == ["create"]

    await admin.post("/admin/queues", {**QUEUE, "name": "Mistake"})
    mistake = await _queue_id(web, "Mistake")
    status, _ = await admin.post(f"/admin/queues/{mistake}/delete")
    assert status == 303 and admin.last["location"] == "/admin/queues?done=deleted"
    assert not await web.sql("SELECT 1 FROM queues WHERE id = $1", mistake)
    assert (await _audit(web, "queue"))[-1] == ("delete", str(mistake), ["name"])
    assert (await admin.post(f"/admin/queues/{mistake}/delete"))[0] == 404
    assert (await admin.get(f"/admin/queues/{mistake}"))[0] == 404


async def test_an_admin_adds_an_operator_and_sees_the_secret_once(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    hotline = await _queue_id(web, "Hotline")
    await web.sql("""INSERT INTO users (username, display_name, role, password_hash)
                     VALUES ('newvol', 'New Volunteer', 'operator', 'x')""")
    status, page = await admin.post("/admin/operators", {
        "sip_username": "ana", "display_name": "Ana Pérez", "languages": ["es", "en"],
        "queues": str(hotline), "user": "newvol"})
    assert status == 200, page
    secret = _SECRET.search(page)
    assert secret, page
    password = secret.group(1)
    host = web.base_url.split("//")[1].split(":")[0]
    assert f'id="sip-server">{host}<' in page and 'id="sip-port">5060<' in page
    assert 'id="sip-transport">UDP<' in page and 'id="sip-username">ana<' in page
    ana = await _operator_id(web, "ana")
    row = (await web.sql("SELECT * FROM operators WHERE id = $1", ana))[0]
    assert row["sip_md5_cred"] == sip_md5_cred("ana", password)
    assert list(row["languages"]) == ["es", "en"] and row["enabled"]
    assert [tuple(r) for r in await web.sql(
        "SELECT queue_id FROM operator_queues WHERE operator_id = $1", ana)] == [(hotline,)]
    assert (await web.sql("SELECT operator_id FROM users WHERE username = 'newvol'"))[0][0] \
        == ana
    assert await _audit(web, "operator") == [("create", str(ana), [
        "display_name", "languages", "queues", "sip_secret", "sip_username"])]
    audit = repr(await web.sql("SELECT * FROM audit_log"))
    assert password not in audit and "Ana" not in audit
    _, page = await admin.get("/admin/operators")
    assert password not in page and 'id="operator-ana"' in page
    assert "<td>Spanish, English</td>" in page  # her languages named, in her order

    # A new secret, shown once; the old one is gone.
    status, page = await admin.post(f"/admin/operators/{ana}/secret")
    again = _SECRET.search(page)
    assert status == 200 and again and again.group(1) != password
    assert (await web.sql("SELECT sip_md5_cred FROM operators WHERE id = $1", ana))[0][0] == \
        sip_md5_cred("ana", again.group(1))
    assert (await _audit(web, "operator"))[-1] == ("update", str(ana), ["sip_secret"])


async def test_an_admin_changes_an_operator(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    operator1 = await _operator_id(web, "operator1")
    hotline = await _queue_id(web, "Hotline")
    user_signed_in = await web.signed_in("operator1")
    status, _ = await admin.post(f"/admin/operators/{operator1}", {
        "display_name": "Demo Operator", "languages": ["fr"], "queues": []})
    assert status == 303 and admin.last["location"].endswith("?done=saved")
    row = (await web.sql("SELECT languages FROM operators WHERE id = $1", operator1))[0]
    assert list(row["languages"]) == ["fr"]
    assert not await web.sql("SELECT 1 FROM operator_queues WHERE operator_id = $1", operator1)
    status, _ = await admin.post(f"/admin/operators/{operator1}", {
        "display_name": "Demo Operator", "languages": ["fr"], "queues": str(hotline)})
    assert status == 303
    assert (await _audit(web, "operator")) == [
        ("update", str(operator1), ["languages", "queues"]),
        ("update", str(operator1), ["queues"])]

    status, _ = await admin.post(f"/admin/operators/{operator1}/disable")
    assert status == 303 and admin.last["location"].endswith("?done=disabled")
    assert not (await web.sql("SELECT enabled FROM operators WHERE id = $1", operator1))[0][0]
    _, page = await admin.get(f"/admin/operators/{operator1}?done=disabled")
    assert "a call in progress goes on" in page
    assert (await admin.post(f"/admin/operators/{operator1}/enable"))[0] == 303
    assert (await _audit(web, "operator"))[-2:] == [
        ("update", str(operator1), ["enabled"]), ("update", str(operator1), ["enabled"])]

    # The web user: unlinked (signed out), then linked to another user.
    status, _ = await admin.post(f"/admin/operators/{operator1}/user", {"user": ""})
    assert status == 303
    assert (await user_signed_in.get("/console"))[0] == 303  # signed out
    status, _ = await admin.post(f"/admin/operators/{operator1}/user", {"user": "supervisor1"})
    assert status == 303
    rows = await web.sql("SELECT username FROM users WHERE operator_id = $1", operator1)
    assert [r[0] for r in rows] == ["supervisor1"]
    assert [f for a, _, f in await _audit(web, "user")] == [["operator"], ["operator"]]
    assert (await admin.post("/admin/operators/987654/disable"))[0] == 404
    assert (await admin.get("/admin/operators/987654"))[0] == 404


BAD_OPERATORS = [
    ({"sip_username": "Bad Name"}, "sip_username"),
    ({"sip_username": "operator1"}, "sip_username"),  # taken
    ({"sip_username": "carrier"}, "sip_username"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "<Ana>"}, "display_name"),
    ({"languages": []}, "languages"),
    ({"languages": ["xx"]}, "languages"),
    ({"queues": "x"}, "queues"),
    ({"queues": "987654"}, "queues"),
    ({"user": "Bad!"}, "user"),
    ({"user": "nobody"}, "user"),
    ({"user": "operator1"}, "user"),  # already takes calls on the demo SIP account
]


@pytest.mark.parametrize(("change", "field"), BAD_OPERATORS)
async def test_a_bad_operator_is_refused_with_its_field_named(
        web: WebApp, change: dict[str, Any], field: str) -> None:
    admin = await web.signed_in("admin1")
    operator1 = await _operator_id(web, "operator1")
    before = await _tables(web)
    body = {"sip_username": "newop", "display_name": "New", "languages": ["en"], **change}
    status, page = await admin.post("/admin/operators", body)
    assert status == 422 and f'id="error-{field}"' in page, page[-3000:]
    assert "sip-secret" not in page
    if field in ("display_name", "languages", "queues"):
        status, page = await admin.post(f"/admin/operators/{operator1}", body)
        assert status == 422 and f'id="error-{field}"' in page
    if field == "user":
        status, page = await admin.post(f"/admin/operators/{operator1}/user", body)
        if change["user"] != "operator1":  # linking it to its own user again is no change
            assert status == 422 and f'id="error-{field}"' in page
    assert await _tables(web) == before


def _staff_paths(web: WebApp) -> list[tuple[str, str]]:
    return [(m, p) for m, p in _admin_paths(web.app[CONFIG])
            if p.startswith(("/admin/queues", "/admin/operators"))]


async def test_every_queue_and_operator_page_opens_for_an_admin(web: WebApp) -> None:
    """Operators and supervisors are refused them with every other admin route
    (test_admin.test_supervisors_and_operators_are_refused_everywhere)."""
    paths = _staff_paths(web)
    assert len(paths) == 13
    admin = await web.signed_in("admin1")
    for method, path in paths:
        if method == "GET":
            assert (await admin.get(path))[0] == 200, path


async def test_an_operator_speaks_a_language_an_admin_added(web: WebApp) -> None:
    """The languages table is what the form offers and accepts: K'iche' (never synthesised)
    from the start, Akateko once added on the languages page."""
    admin = await web.signed_in("admin1")
    operator1 = await _operator_id(web, "operator1")
    hotline = await _queue_id(web, "Hotline")
    _, page = await admin.get("/admin/operators")
    assert "K&#39;iche&#39; (quc)" in page and 'value="knj"' not in page
    body = {"display_name": "Demo Operator", "languages": ["knj", "quc"],
            "queues": str(hotline)}
    status, page = await admin.post(f"/admin/operators/{operator1}", body)
    assert status == 422 and "Unknown language &#39;knj&#39;" in page

    status, _ = await admin.post("/admin/languages", {
        "code": "knj", "name": "Akateko", "menu_label": "Akateko {digit}."})
    assert status == 303
    _, page = await admin.get(f"/admin/operators/{operator1}")
    assert 'value="knj"' in page and "Akateko (knj)" in page
    status, _ = await admin.post(f"/admin/operators/{operator1}", body)
    assert status == 303 and admin.last["location"].endswith("?done=saved")
    row = (await web.sql("SELECT languages FROM operators WHERE id = $1", operator1))[0]
    assert list(row["languages"]) == ["knj", "quc"]
    assert await _audit(web, "operator") == [("update", str(operator1), ["languages"])]
    status, page = await admin.post("/admin/operators", {
        "sip_username": "ana", "display_name": "Ana", "languages": ["knj"], "queues": []})
    assert status == 200 and _SECRET.search(page)
    assert (await web.sql("SELECT languages FROM operators WHERE sip_username = 'ana'"))[0][0] \
        == ["knj"]
