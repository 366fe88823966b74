"""Admin routes, and the users page: create, disable/enable, new password, second factor, role,
SIP account, sign-in unlock.

Every route needs the admin role. A refused change shows the page again with the problem
(web/errors.py gives the status), having saved nothing; a change that worked redirects
back (303) with a fixed notice, except a generated password, which is shown once in the
response and stored nowhere but as its hash.
"""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from lifeline_pbx.accounts import passwords, throttle, users
from lifeline_pbx.admin import user_changes as changes
from lifeline_pbx.admin.forms import text, typed
from lifeline_pbx.errors import Invalid, RequestError
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.errors import form_page, page_of

USER_ID = r"{user_id:\d{1,18}}"
TEMPLATE = "admin/users.html"
PROBLEM = "problem"  # the field of a refused change of one user (shown above the table)
NOTICES = {
    "created": "User created.", "enabled": "User enabled.",
    "disabled": "User disabled and signed out.",
    "password": "Password changed; the user was signed out.",
    "second_factor": "Second factor removed; the user sets up a new one at next sign-in.",
    "role": "Role changed; the user was signed out.",
    "operator": "SIP account link changed; the user was signed out.",
    "unlocked": "Sign-in unlocked: the user's failed attempts no longer hold them.",
}


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/admin", admin_home, name="admin"),
        web.get("/admin/users", users_page, name="admin_users"),
        web.post("/admin/users", user_create, name="admin_user_create"),
        web.post(f"/admin/users/{USER_ID}/disable", user_disable),
        web.post(f"/admin/users/{USER_ID}/enable", user_enable),
        web.post(f"/admin/users/{USER_ID}/password", user_password),
        web.post(f"/admin/users/{USER_ID}/second-factor/remove", user_second_factor),
        web.post(f"/admin/users/{USER_ID}/role", user_role),
        web.post(f"/admin/users/{USER_ID}/operator", user_operator),
        web.post(f"/admin/users/{USER_ID}/unlock", user_unlock),
    ]


@require("admin")
async def admin_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/admin/users")


def _users_page(request: web.Request, page: changes.UsersPage, *,
                error: RequestError | None = None, values: dict[str, str] | None = None,
                shown: changes.NewPassword | None = None) -> web.Response:
    """The page; with an error, again with the problem beside its field (PROBLEM: above
    the table, for a refused change of one user) and what was typed."""
    return form_page(request, TEMPLATE, error, whole="form", users=page.listed,
                     operators=page.operators, failures=page.failures,
                     lock_at=throttle.ACCOUNT.lock_at, roles=users.ROLES, values=values or {},
                     password_rule=passwords.RULE,
                     notice=NOTICES.get(request.query.get("done", ""), ""),
                     shown=shown and (shown.username, shown.password))


@require("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    return _users_page(request, await changes.listing(request.app[POOL]))


def _done(key: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/admin/users?done={key}")


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


def _shown(request: web.Request, made: changes.NewPassword | None,
           done: str) -> web.StreamResponse:
    """A generated password's page, shown once; a typed one: back to the list."""
    if made is None:
        raise _done(done)
    return _users_page(request, made.page, shown=made)


@require("admin")
async def user_create(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    try:
        made = await changes.create_user(request.app[POOL], current_user(request).id, form)
    except Invalid as e:
        return _users_page(request, page_of(e, changes.UsersPage), error=e,
                           values=typed(form, ("username", "display_name", "role", "operator")))
    return _shown(request, made, "created")


async def _act(request: web.Request, work: Awaitable[changes.NewPassword | None],
               done: str) -> web.StreamResponse:
    """Run one change on the user in the path; a refusal shows the page again with why."""
    try:
        made = await work
    except Invalid as e:
        return _users_page(request, page_of(e, changes.UsersPage),
                           error=Invalid(e.message, PROBLEM))
    return _shown(request, made, done)


@require("admin")
async def user_disable(request: web.Request) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_enabled(pool, actor, _user_id(request), False),
                      "disabled")


@require("admin")
async def user_enable(request: web.Request) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_enabled(pool, actor, _user_id(request), True),
                      "enabled")


@require("admin")
async def user_second_factor(request: web.Request) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.remove_second_factor(pool, actor, _user_id(request)),
                      "second_factor")


@require("admin")
async def user_role(request: web.Request) -> web.StreamResponse:
    role = text(await form_data(request), "role")
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_role(pool, actor, _user_id(request), role), "role")


@require("admin")
async def user_operator(request: web.Request) -> web.StreamResponse:
    """Link the user to an operator SIP account (by its username), or unlink (empty)."""
    form = await form_data(request)
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_operator(pool, actor, _user_id(request), form),
                      "operator")


@require("admin")
async def user_unlock(request: web.Request) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.unlock_sign_in(pool, actor, _user_id(request)),
                      "unlocked")


@require("admin")
async def user_password(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_password(pool, actor, _user_id(request), form),
                      "password")
