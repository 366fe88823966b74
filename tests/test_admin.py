"""Admin pages against the running server: users, report categories, partners, and access."""

from __future__ import annotations

import re

import pytest

from lifeline_pbx.admin import forms
from lifeline_pbx.app import create_app
from lifeline_pbx.config import Config
from lifeline_pbx.errors import Invalid
from lifeline_pbx.resources import CONFIG
from tests.web_fixtures import Client, WebApp

NEW_PASSWORD = "a long pass phrase 7"
_NEW_PASSWORD = re.compile(r'id="new-password">([^<]+)<')


async def _user_id(web: WebApp, username: str) -> int:
    rows = await web.sql("SELECT id FROM users WHERE username = $1", username)
    return int(rows[0]["id"])


async def _audit_text(web: WebApp) -> str:
    return repr([dict(r) for r in await web.sql("SELECT * FROM audit_log")])


async def _follow_session(client: Client, path: str = "/") -> tuple[int, str]:
    """Status and Location of a GET, without following the redirect."""
    async with client.http.get(client.url(path), allow_redirects=False) as r:
        return r.status, r.headers.get("Location", "")


# Pure form parsing


@pytest.mark.parametrize(
    "code", ["Bad", "a", "1abc", "with space", "x" * 41, "ok-code", "caf\u00e9", ""])
def test_bad_category_codes_are_refused(code: str) -> None:
    with pytest.raises(Invalid) as refused:
        forms.parse_category({"code": code, "label": "Label"})
    assert "code" in refused.value.errors


def test_new_user_form_names_each_problem() -> None:
    with pytest.raises(Invalid) as refused:
        forms.parse_new_user({"username": "x", "display_name": "a\nb", "role": "root",
                              "password": "short"})
    assert set(refused.value.errors) == {"username", "display_name", "role", "password"}
    made = forms.parse_new_user({"username": "newop", "display_name": "New", "role": "operator",
                                 "generate": "on"})
    assert isinstance(made, forms.NewUser) and made.generated and len(made.password) >= 12


# Against the running server


async def test_admin_creates_users_who_can_sign_in(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    status, page = await admin.get("/admin/users")
    assert status == 200 and "operator1" in page and "Demo Admin" in page

    status, _ = await admin.post("/admin/users", {
        "username": "newop", "display_name": "New Operator", "role": "operator",
        "password": NEW_PASSWORD})
    assert status == 303 and admin.last["location"] == "/admin/users?done=created"
    newop = await web.client()
    assert await newop.sign_in("newop", NEW_PASSWORD) == 303
    status, page = await newop.get("/")
    assert status == 200 and "New Operator" in page

    # A generated password is shown once, and works.
    status, page = await admin.post("/admin/users", {
        "username": "genop", "display_name": "Generated", "role": "supervisor",
        "generate": "on"})
    found = _NEW_PASSWORD.search(page)
    assert status == 200 and found
    assert await (await web.client()).sign_in("genop", found.group(1)) == 303

    # An operator SIP account with no user yet can be linked.
    await web.sql("""INSERT INTO operators (display_name, sip_username, sip_md5_cred)
                     VALUES ('Phone Two', 'phone2', repeat('a', 32))""")
    status, page = await admin.get("/admin/users")
    new_user_form = page[page.index('id="new-user"'):]  # rows also show each user's own link
    assert 'value="phone2"' in new_user_form and 'value="operator1"' not in new_user_form
    status, _ = await admin.post("/admin/users", {
        "username": "phoneop", "display_name": "Phone Op", "role": "operator",
        "password": NEW_PASSWORD, "operator": "phone2"})
    assert status == 303
    linked = await web.sql("""SELECT o.sip_username FROM users u
                              JOIN operators o ON o.id = u.operator_id
                              WHERE u.username = 'phoneop'""")
    assert linked[0]["sip_username"] == "phone2"

    # Refused: nothing saved, a message next to the field.
    before = await web.sql("SELECT count(*) AS n FROM users")
    status, page = await admin.post("/admin/users", {
        "username": "newop", "display_name": "Again", "role": "operator",
        "password": NEW_PASSWORD})
    assert status == 422 and "The username &#39;newop&#39; is taken" in page
    status, page = await admin.post("/admin/users", {
        "username": "shorty", "display_name": "Short", "role": "operator", "password": "abc"})
    assert status == 422 and "at least 12 characters" in page
    status, page = await admin.post("/admin/users", {
        "username": "Bad Name!", "display_name": "", "role": "god", "password": NEW_PASSWORD})
    assert status == 422 and 'id="error-username"' in page
    assert 'id="error-display_name"' in page and 'id="error-role"' in page
    status, page = await admin.post("/admin/users", {
        "username": "taken", "display_name": "T", "role": "operator",
        "password": NEW_PASSWORD, "operator": "operator1"})
    assert status == 422 and "already has a user" in page
    assert await web.sql("SELECT count(*) AS n FROM users") == before

    # HTML in a display name comes back inert.
    status, _ = await admin.post("/admin/users", {
        "username": "scripty", "display_name": "<script>alert(1)</script>",
        "role": "operator", "password": NEW_PASSWORD})
    assert status == 303
    _, page = await admin.get("/admin/users")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page

    # Audited: which fields, never the values.
    rows = await web.sql("""SELECT fields FROM audit_log WHERE entity = 'user'
                            AND action = 'create' AND entity_id = $1""",
                         str(await _user_id(web, "newop")))
    assert rows and set(rows[0]["fields"]) == {"username", "display_name", "role", "password"}
    audit = await _audit_text(web)
    assert NEW_PASSWORD not in audit and found.group(1) not in audit
    assert "New Operator" not in audit


async def test_disabling_a_user_ends_their_session(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    operator = await web.signed_in("operator1")
    assert (await operator.get("/console"))[0] == 200
    op_id = await _user_id(web, "operator1")

    status, _ = await admin.post(f"/admin/users/{op_id}/disable")
    assert status == 303
    status, where = await _follow_session(operator, "/console")
    assert status == 303 and where.startswith("/login")
    assert not await web.sql("SELECT 1 FROM web_sessions WHERE user_id = $1", op_id)
    assert await (await web.client()).sign_in("operator1") != 303
    _, page = await admin.get("/admin/users")
    assert "no (disabled)" in page

    status, _ = await admin.post(f"/admin/users/{op_id}/enable")
    assert status == 303
    assert await (await web.client()).sign_in("operator1") == 303


async def test_admin_cannot_lock_themselves_out(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    me = await _user_id(web, "admin1")
    status, page = await admin.post(f"/admin/users/{me}/disable")
    assert status == 422 and "You cannot disable your own account" in page
    status, page = await admin.post(f"/admin/users/{me}/role", {"role": "supervisor"})
    assert status == 422 and "You cannot remove your own admin role" in page
    rows = await web.sql("SELECT enabled, role FROM users WHERE id = $1", me)
    assert rows[0]["enabled"] and rows[0]["role"] == "admin"
    assert (await admin.get("/admin/users"))[0] == 200  # still signed in

    # Unknown users and bad roles.
    assert (await admin.post("/admin/users/987654/disable"))[0] == 404
    assert (await admin.post("/admin/users/987654/role", {"role": "operator"}))[0] == 404
    assert (await admin.post("/admin/users/abc/disable"))[0] == 404
    status, page = await admin.post(f"/admin/users/{me}/role", {"role": "root"})
    assert status == 422 and "Choose a role" in page


async def test_role_password_and_second_factor_changes(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    supervisor = await web.signed_in("supervisor1")
    sup_id = await _user_id(web, "supervisor1")

    status, page = await admin.post(f"/admin/users/{sup_id}/password", {"password": "short"})
    assert status == 422 and "at least 12 characters" in page
    status, _ = await admin.post(f"/admin/users/{sup_id}/password", {"password": NEW_PASSWORD})
    assert status == 303
    assert (await _follow_session(supervisor))[0] == 303  # signed out
    assert await (await web.client()).sign_in("supervisor1", NEW_PASSWORD) == 303
    # A generated one is shown once, on the users page, and works.
    status, page = await admin.post(f"/admin/users/{sup_id}/password", {"generate": "on"})
    found = _NEW_PASSWORD.search(page)
    assert status == 200 and found and 'id="new-user"' in page
    assert await (await web.client()).sign_in("supervisor1", found.group(1)) == 303
    status, page = await admin.post("/admin/users/987654/password", {"generate": "on"})
    assert status == 404 and not _NEW_PASSWORD.search(page)

    status, _ = await admin.post(f"/admin/users/{sup_id}/role", {"role": "operator"})
    assert status == 303
    rows = await web.sql("SELECT role FROM users WHERE id = $1", sup_id)
    assert rows[0]["role"] == "operator"
    # The same role again (a form resubmitted): said so, nobody signed out, nothing audited.
    audited = await web.sql("SELECT count(*) AS n FROM audit_log")
    status, page = await admin.post(f"/admin/users/{sup_id}/role", {"role": "operator"})
    assert status == 422 and "is an operator already: nothing changed." in page
    assert await web.sql("SELECT count(*) AS n FROM audit_log") == audited

    # The admin's own second factor: removed, signed out, enrols again at next sign-in.
    me = await _user_id(web, "admin1")
    status, _ = await admin.post(f"/admin/users/{me}/second-factor/remove")
    assert status == 303
    assert (await web.sql("SELECT totp_secret FROM users WHERE id = $1", me))[0][0] is None
    assert (await _follow_session(admin, "/admin/users"))[0] == 303
    again = await web.client()
    assert await again.sign_in("admin1") == 303 and again.totp_secret  # enrolled anew

    fields = {tuple(r["fields"]) for r in await web.sql(
        "SELECT fields FROM audit_log WHERE entity = 'user' AND action = 'update'")}
    assert {("password",), ("role",), ("second_factor",)} <= fields
    assert NEW_PASSWORD not in await _audit_text(web)


async def test_report_categories(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    status, page = await admin.get("/admin/categories")
    assert status == 200 and "medical_neglect" in page

    status, _ = await admin.post("/admin/categories",
                                 {"code": "water_access", "label": "Access to water"})
    assert status == 303
    rows = await web.sql("SELECT * FROM report_categories WHERE code = 'water_access'")
    assert rows and rows[0]["label"] == "Access to water" and rows[0]["enabled"]

    before = await web.sql("SELECT count(*) AS n FROM report_categories")
    for code in ("Water Access", "x", "drop table;"):
        status, page = await admin.post("/admin/categories", {"code": code, "label": "L"})
        assert status == 422 and "A code is 2 to 40 lowercase letters" in page
    status, page = await admin.post("/admin/categories", {"code": "ok_code", "label": ""})
    assert status == 422 and "Give a label" in page
    status, page = await admin.post("/admin/categories",
                                    {"code": "ok_code", "label": "x" * 201})
    assert status == 422 and "at most 200 characters" in page
    status, page = await admin.post("/admin/categories",
                                    {"code": "medical_neglect", "label": "Again"})
    assert status == 422 and "exists" in page
    assert await web.sql("SELECT count(*) AS n FROM report_categories") == before

    status, _ = await admin.post("/admin/categories/water_access/label",
                                 {"label": "<b>Water</b>"})
    assert status == 303
    _, page = await admin.get("/admin/categories")
    assert "&lt;b&gt;Water&lt;/b&gt;" in page and "<b>Water" not in page
    status, page = await admin.post("/admin/categories/water_access/label", {"label": " "})
    assert status == 422 and "Give a label" in page
    status, _ = await admin.post("/admin/categories/water_access/disable")
    assert status == 303
    rows = await web.sql("SELECT enabled FROM report_categories WHERE code = 'water_access'")
    assert rows[0]["enabled"] is False
    assert (await admin.post("/admin/categories/no_such_code/disable"))[0] == 404
    assert (await admin.post("/admin/categories/no_such_code/label", {"label": "L"}))[0] == 404

    fields = sorted(tuple(r["fields"]) for r in await web.sql(
        """SELECT fields FROM audit_log WHERE entity = 'report_category'
           AND entity_id = 'water_access' ORDER BY id"""))
    assert fields == [("code", "label", "position"), ("enabled",), ("label",)]
    assert "Access to water" not in await _audit_text(web)


async def test_partners(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    status, page = await admin.get("/admin/partners")
    assert status == 200 and "Demo Legal Aid" in page

    name = "<script>alert('p')</script> Law Clinic"
    status, _ = await admin.post("/admin/partners", {"name": name, "kind": "legal"})
    assert status == 303
    _, page = await admin.get("/admin/partners")
    assert "&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt; Law Clinic" in page
    assert "<script>alert" not in page
    rows = await web.sql("SELECT id, kind, enabled FROM partners WHERE name = $1", name)
    assert rows[0]["kind"] == "legal" and rows[0]["enabled"]

    before = await web.sql("SELECT count(*) AS n FROM partners")
    status, page = await admin.post("/admin/partners", {"name": "X", "kind": "friends"})
    assert status == 422 and "Choose a kind" in page
    status, page = await admin.post("/admin/partners", {"name": "", "kind": "legal"})
    assert status == 422 and "Give a name" in page
    status, page = await admin.post("/admin/partners", {"name": "demo legal aid",
                                                        "kind": "legal"})
    assert status == 422 and "A partner of that name exists" in page
    assert await web.sql("SELECT count(*) AS n FROM partners") == before

    partner_id = rows[0]["id"]
    assert (await admin.post(f"/admin/partners/{partner_id}/disable"))[0] == 303
    assert (await web.sql("SELECT enabled FROM partners WHERE id = $1", partner_id))[0][0] \
        is False
    assert (await admin.post("/admin/partners/987654/enable"))[0] == 404
    fields = sorted(tuple(r["fields"]) for r in await web.sql(
        "SELECT fields FROM audit_log WHERE entity = 'partner' AND entity_id = $1",
        str(partner_id)))
    assert fields == [("enabled",), ("kind", "name")]
    assert "Law Clinic" not in await _audit_text(web)


def _admin_paths(config: Config) -> list[tuple[str, str]]:
    """Every admin route (method, path with real-looking ids), read from the app's router."""
    found = []
    for route in create_app(config, calls=False).router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith("/admin"):
            continue
        path = re.sub(r"\{\w+_id\}", "1", path.replace("{code}", "medical_neglect")
                      .replace("{day}", "2030-01-01").replace("{language}", "es")
                      .replace("{name}", "greeting"))
        found.append((route.method, path))
    return [(m, p) for m, p in found if m in ("GET", "POST")]


async def test_supervisors_and_operators_are_refused_everywhere(web: WebApp) -> None:
    paths = _admin_paths(web.app[CONFIG])
    assert len(paths) >= 15 and ("POST", "/admin/users/1/disable") in paths
    tables = ("users", "queues", "operator_queues", "operators", "facilities", "lines")
    before = [await web.sql(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables]
    for username in ("supervisor1", "operator1"):
        client = await web.signed_in(username)
        for method, path in paths:
            if method == "GET":
                status, _ = await client.get(path)
            else:
                status, _ = await client.post(path, {
                    "username": "sneaky", "display_name": "S", "role": "admin",
                    "password": NEW_PASSWORD, "code": "sneaky", "label": "S", "name": "S",
                    "kind": "other", "sip_username": "sneaky", "languages": "en",
                    "user": username})
            assert status == 403, (username, method, path, status)
    assert [await web.sql(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables] == before
    assert not await web.sql("SELECT 1 FROM report_categories WHERE code = 'sneaky'")
    assert not await web.sql("SELECT 1 FROM audit_log WHERE action <> 'view'")
