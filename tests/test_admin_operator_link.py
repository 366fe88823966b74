"""Admins link a user to an operator SIP account, or unlink them, against the running
server: only an enabled account no other user has; audited as the field 'operator'; the
user is signed out (an open console is bound to the old account); admins only."""

from __future__ import annotations

from lifeline_pbx.admin import forms
from tests.web_fixtures import Client, WebApp


async def _user_id(web: WebApp, username: str) -> int:
    return int((await web.sql("SELECT id FROM users WHERE username = $1", username))[0]["id"])


async def _linked(web: WebApp, username: str) -> str | None:
    rows = await web.sql("""SELECT o.sip_username FROM users u
                            LEFT JOIN operators o ON o.id = u.operator_id
                            WHERE u.username = $1""", username)
    return rows[0]["sip_username"]  # type: ignore[no-any-return]


async def _operator_updates(web: WebApp) -> list[list[str]]:
    rows = await web.sql("""SELECT fields FROM audit_log WHERE entity = 'user'
                            AND action = 'update' ORDER BY id""")
    return [r["fields"] for r in rows]


async def _add_phone(web: WebApp, sip: str, enabled: bool = True) -> None:
    await web.sql("""INSERT INTO operators (display_name, sip_username, sip_md5_cred, enabled)
                     VALUES ($1, $1, repeat('a', 32), $2)""", sip, enabled)


async def _link(admin: Client, user_id: int, operator: str) -> tuple[int, str]:
    return await admin.post(f"/admin/users/{user_id}/operator", {"operator": operator})


def test_the_operator_field_is_a_sip_username_or_empty() -> None:
    assert forms.parse_operator({"operator": " phone2 "}) == ("phone2", None)
    assert forms.parse_operator({"operator": ""}) == (None, None)
    assert forms.parse_operator({}) == (None, None)
    assert forms.parse_operator({"operator": "<b>x</b>"})[1] == (
        "Choose a SIP account from the list.")


async def test_an_admin_links_and_unlinks_a_sip_account(web: WebApp) -> None:
    await _add_phone(web, "phone2")
    supervisor = await web.signed_in("supervisor1")
    admin = await web.signed_in("admin1")
    target = await _user_id(web, "supervisor1")
    status, page = await admin.get("/admin/users")
    assert status == 200 and f'action="/admin/users/{target}/operator"' in page

    status, _ = await _link(admin, target, "phone2")
    assert status == 303 and admin.last["location"] == "/admin/users?done=operator"
    assert await _linked(web, "supervisor1") == "phone2"
    assert await _operator_updates(web) == [["operator"]]
    assert "phone2" not in repr([dict(r) for r in await web.sql("SELECT * FROM audit_log")])
    status, _ = await supervisor.get("/console")
    assert status == 303  # signed out: an open console belonged to the old link
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/console")
    assert status == 200 and "not linked to a phone" not in page
    status, page = await admin.get("/admin/users?done=operator")
    assert "SIP account link changed" in page and "phone2 (current)" in page

    status, _ = await _link(admin, target, "phone2")  # the same link again: nothing to do
    assert status == 303 and await _operator_updates(web) == [["operator"]]

    status, _ = await _link(admin, target, "")
    assert status == 303 and await _linked(web, "supervisor1") is None
    assert await _operator_updates(web) == [["operator"], ["operator"]]
    status, page = await admin.get("/admin/users")
    assert 'value="phone2"' in page  # free again, offered to anyone


async def test_a_sip_account_is_not_taken_from_another_user(web: WebApp) -> None:
    await _add_phone(web, "phone3", enabled=False)
    admin = await web.signed_in("admin1")
    target = await _user_id(web, "supervisor1")
    for operator, message in (("operator1", "is linked to another user"),
                              ("nosuch", "There is no SIP account"),
                              ("phone3", "phone3&#39; is disabled"),
                              ("Bad Name!", "Choose a SIP account")):
        status, page = await _link(admin, target, operator)
        assert status == 422 and message in page and 'id="problem"' in page, operator
    assert await _linked(web, "supervisor1") is None
    assert await _linked(web, "operator1") == "operator1"
    assert await _operator_updates(web) == []
    status, _ = await _link(admin, 999_999, "")
    assert status == 404


async def test_only_admins_change_a_sip_link(web: WebApp) -> None:
    await _add_phone(web, "phone2")
    target = await _user_id(web, "operator1")
    for username in ("operator1", "supervisor1"):
        client = await web.signed_in(username)
        status, _ = await _link(client, target, "phone2")
        assert status == 403, username
        status, _ = await _link(client, target, "")
        assert status == 403, username
    admin = await web.signed_in("admin1")
    status, _ = await admin.post(f"/admin/users/{target}/operator", {"operator": ""},
                                 csrf="forged")
    assert status == 403
    assert await _linked(web, "operator1") == "operator1"
    assert await _operator_updates(web) == []
