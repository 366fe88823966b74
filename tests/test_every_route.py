"""Every route in the router, walked over a real case record. By each role, every GET:
an answer that shows something of the person (a name, the A-number, the narrative, a
family contact, a follow-up) writes an audit entry and is never stored by the browser
(no-store), and no GET changes anything but the audit log (a write needs the CSRF token).
Every write without the session's CSRF token, or from another site, is refused and changes
nothing. A route added later is walked too; its ids are filled from the record by what
the path names."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from lifeline_pbx.accounts import users
from lifeline_pbx.app import create_app
from lifeline_pbx.resources import CONFIG
from lifeline_pbx.web.auth import rule_of
from tests.privacy import sensitive
from tests.test_cases_web import intake
from tests.web_fixtures import Client, WebApp, add_user

NAME = "Zephyrine Quaddle"
A_NUMBER = "208555631"
SHOWN = ("208-555-631", "208555631")
NARRATIVE = "Struck by a guard in the yard on Tuesday"
FAMILY = "Ottoline Quaddle"
FAMILY_PHONE = "+1 555 0177"
MESSAGE = "Tell her the hearing moved"
NEEDS = "Needs her reading glasses back"
FOLLOW = "Find her a pro bono lawyer"
IDENTIFIERS = (NAME, *SHOWN, NARRATIVE, FAMILY, MESSAGE, NEEDS, FOLLOW, FAMILY_PHONE)
sensitive(*IDENTIFIERS)


async def _record(web: WebApp) -> dict[str, str]:
    """An intake saved by operator1 on their call, as the form sends it: a person, a
    report, a follow-up assigned to them, a family contact. Its ids by kind."""
    operator = await web.signed_in("operator1")
    assignee = (await web.sql("SELECT id FROM users WHERE username = 'operator1'"))[0]["id"]
    form = {**await intake(web), "a_number": A_NUMBER, "person_names": NAME,
            "person_country": "Mexico", "needs_note": NEEDS, "family_name": FAMILY,
            "family_phone": FAMILY_PHONE, "family_message": MESSAGE,
            "report_housing_unit": "Unit 4", "report_narrative": NARRATIVE,
            "followup_what": FOLLOW, "followup_assignee": str(assignee),
            "followup_due": "2099-01-01"}
    status, text = await operator.post("/intakes", form, headers={"Accept": "application/json"})
    assert status == 200, text
    saved = json.loads(text)
    row = (await web.sql(
        "SELECT i.person_id, r.id AS report, f.id AS follow_up, i.facility_id "
        "FROM intakes i JOIN reports r ON r.intake_id = i.id "
        "JOIN follow_ups f ON f.intake_id = i.id WHERE i.id = $1",
        uuid.UUID(saved["intake_id"])))[0]
    return {"person": str(row["person_id"]), "intake": saved["intake_id"],
            "report": str(row["report"]), "follow_up": str(row["follow_up"]),
            "call": form["call_id"], "facility": str(row["facility_id"])}


# What each path's {id} names, by the path's first part.
ID_BY_PREFIX = {"/people/": "person", "/intakes/": "intake", "/reports/": "report",
                "/follow-ups/": "follow_up", "/calls/": "call", "/console/calls/": "call"}
FIXED = {"number": "1", "code": "medical_neglect", "language": "es", "name": "greeting",
         "table": "queues", "shape": "reports", "format": "csv", "day": "2030-01-01",
         "hold": "1", "username": "operator1", "action": "pause"}


def _path(canonical: str, ids: dict[str, str]) -> str:
    kind = next((k for p, k in ID_BY_PREFIX.items() if canonical.startswith(p)), "")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "id":
            return ids.get(kind, str(uuid.uuid4()))
        if name == "intake":
            return ids["intake"]
        if name == "facility_id":
            return ids["facility"]
        return FIXED.get(name, "1" if name.endswith("_id") else str(uuid.uuid4()))

    return re.sub(r"\{(\w+)[^}]*\}", fill, canonical)


def _paths(web: WebApp, ids: dict[str, str]) -> list[str]:
    """Every GET route with the record's ids, and the searches that find the person."""
    found = {_path(route.resource.canonical, ids)
             for route in create_app(web.app[CONFIG], calls=False).router.routes()
             if route.method == "GET" and route.resource is not None
             and not route.resource.canonical.startswith("/static")}
    searches = {f"/people?a_number={A_NUMBER}", f"/people/search?name={NAME.split()[1]}",
                f"/people/lookup?a_number={A_NUMBER}&call_id={ids['call']}",
                f"/intakes/open?call_id={ids['call']}", f"/intake?call_id={ids['call']}",
                f"/admin/audit?person={ids['person']}",
                f"/reports/{ids['report']}/print?include_names=1",
                f"/follow-ups/all?facility={ids['facility']}"}
    return sorted(found | searches)


# What a read may write: the audit log, the session's last use, a form's key kept in the
# user's draft as the form is opened (cases/binding.py), and the A-numbers an operator
# looked up on a call, counted against the lookup's limit (cases/call_lookup.py).
WRITTEN_BY_READS = ("audit_log", "audit_checkpoints", "web_sessions", "drafts",
                    "call_lookups")


async def _snapshot(web: WebApp, leave: tuple[str, ...] = WRITTEN_BY_READS
                    ) -> dict[str, list[dict[str, object]]]:
    tables = [r["table_name"] for r in await web.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY 1")]
    return {t: [dict(r) for r in await web.sql(f"SELECT * FROM {t} ORDER BY 1")]
            for t in tables if t not in leave}


async def _audit_count(web: WebApp) -> int:
    return int((await web.sql("SELECT count(*) AS n FROM audit_log"))[0]["n"])


async def _get(client: Client, path: str) -> tuple[int, str, dict[str, str]]:
    async with client.http.get(client.url(path), allow_redirects=False) as r:
        body = (await r.read()).decode("utf-8", "replace")
        return r.status, body, dict(r.headers)


@pytest.mark.parametrize("username", ["operator1", "supervisor1", "admin1"])
async def test_every_answer_showing_a_person_is_audited_and_not_stored(
        web: WebApp, username: str) -> None:
    ids = await _record(web)
    client = await web.signed_in(username)
    paths = _paths(web, ids)
    assert len(paths) > 80 and f"/reports/{ids['report']}" in paths
    before_walk = await _snapshot(web)
    shown: list[str] = []
    unaudited: list[tuple[str, int, str]] = []
    for path in paths:
        before = await _audit_count(web)
        status, body, headers = await _get(client, path)
        assert status < 500 or status == 503, (path, status)  # 503: needs the call engine
        leaked = next((value for value in IDENTIFIERS if value in body), None)
        if leaked is None:
            continue
        shown.append(path)
        assert headers.get("Cache-Control") == "no-store", path
        if await _audit_count(web) == before:
            unaudited.append((path, status, leaked))
    assert unaudited == []
    after_walk = await _snapshot(web)
    assert [t for t in before_walk if before_walk[t] != after_walk[t]] == []
    if username != "operator1":  # an operator sees the person only through their call
        assert f"/people/{ids['person']}" in shown and f"/reports/{ids['report']}" in shown
    else:
        assert {f"/follow-ups/{ids['follow_up']}", "/follow-ups"} <= set(shown)


@pytest.mark.parametrize("origin", [None, "https://evil.example"])
async def test_every_write_needs_the_token_and_this_site(web: WebApp, origin: str | None) -> None:
    """As an admin, whom no role check stops: without the session's CSRF token (or with it,
    from another site) every write is refused before its view, and nothing changes."""
    ids = await _record(web)
    admin = await web.signed_in("admin1")
    writes = sorted({(route.method, _path(route.resource.canonical, ids))
                     for route in create_app(web.app[CONFIG], calls=False).router.routes()
                     if route.method not in ("GET", "HEAD") and route.resource is not None})
    assert len(writes) > 80 and ("POST", "/intakes") in writes
    before = await _snapshot(web), await _audit_count(web)
    for method, path in writes:
        headers = {"Origin": origin, "X-CSRF-Token": admin.csrf} if origin else {}
        async with admin.http.request(method, admin.url(path), data={"x": "1"},
                                      headers=headers, allow_redirects=False) as r:
            assert r.status == 403 and "Refused" in await r.text(), (method, path, r.status)
    assert (await _snapshot(web), await _audit_count(web)) == before
    assert (await admin.get("/admin/users"))[0] == 200  # still signed in


async def _intruder(web: WebApp) -> Client:
    """Another operator, with a phone account of their own: no call of theirs, nothing
    assigned to them."""
    password = "an-intruding-long-passw0rd"
    await web.sql("INSERT INTO operators (display_name, sip_username, sip_md5_cred) "
                  "VALUES ('Other', 'other', repeat('0', 32))")
    await add_user(web.dsn, "other", "operator", password, operator="other")
    client = await web.client()
    assert await client.sign_in("other", password) == 303
    return client


async def test_another_operator_reaches_nothing_of_the_record_by_its_ids(web: WebApp) -> None:
    """Every route, GET and write, by an operator the record is not theirs: with its ids in
    the path, the query and the form (or JSON body), no answer shows any of it and nothing
    of it changes."""
    ids = await _record(web)
    other = await _intruder(web)
    theirs = {"intake_id": ids["intake"], "call_id": ids["call"], "person_id": ids["person"],
              "report_id": ids["report"], "follow_up_id": ids["follow_up"],
              "voicemail": ids["intake"], "status": "done", "note": "Looked at it",
              "what": "Changed", "outcome": "silent", "action": "login", "reason": "other",
              "number": "5550100", "to": "operator1", "a_number": "208555999"}
    routes = [(route.method, _path(route.resource.canonical, ids))
              for route in create_app(web.app[CONFIG], calls=False).router.routes()
              if route.method != "HEAD" and route.resource is not None
              and not route.resource.canonical.startswith(("/static", "/logout"))]
    query = "&".join(f"{k}={v}" for k, v in theirs.items() if k.endswith("_id"))
    leave = tuple(t for t in WRITTEN_BY_READS if t != "drafts")
    before = await _snapshot(web, leave)
    for method, path in sorted(set(routes)):
        answers = []
        if method == "GET":
            answers.append(await _get(other, f"{path}?{query}"))
        else:
            status, text = await other.post(path, theirs)
            answers.append((status, text, {}))
            async with other.http.post(other.url(path), json={**theirs, "fields": {"x": "y"}},
                                       headers={"X-CSRF-Token": other.csrf},
                                       allow_redirects=False) as r:
                answers.append((r.status, await r.text(), {}))
        for status, body, _ in answers:
            assert not any(value in body for value in IDENTIFIERS), (method, path, status)
    after = await _snapshot(web, leave)
    own = (await web.sql("SELECT id FROM users WHERE username = 'other'"))[0]["id"]
    # Their own standalone draft, which the form keeps as they type, is theirs to write.
    after["drafts"] = [d for d in after["drafts"]
                       if d["user_id"] != own or d["call_id"] is not None]
    assert [t for t in before if before[t] != after[t]] == []


@pytest.mark.parametrize("username, role", [("operator1", "operator"),
                                            ("supervisor1", "supervisor")])
async def test_every_route_above_a_role_refuses_it(web: WebApp, username: str,
                                                   role: str) -> None:
    """Checked on the server, whatever a page links to: each route for a higher role
    answers 403 to this one (a write with a valid CSRF token too) and changes nothing."""
    ids = await _record(web)
    client = await web.signed_in(username)
    above = sorted({(route.method, _path(route.resource.canonical, ids))
                    for route in create_app(web.app[CONFIG], calls=False).router.routes()
                    if route.method != "HEAD" and route.resource is not None
                    and users.rank(rule_of(route.handler) or "admin") > users.rank(role)})
    assert ("GET", "/admin/audit") in above and len(above) > (40 if role == "operator" else 60)
    before = await _snapshot(web)
    for method, path in above:
        if method == "GET":
            status, _ = await client.get(path)
        else:
            status, _ = await client.post(path, {"name": "x", "role": "admin", "status": "done"})
        assert status == 403, (method, path, status)
    assert await _snapshot(web) == before
