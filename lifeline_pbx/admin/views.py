"""Admin routes, and the users page: create, disable/enable, new password, second factor, role,
SIP account, sign-in unlock.

Every route needs the admin role. A refused change re-renders the page with status 422
and a message, having saved nothing; a change that worked redirects back (303) with a
fixed notice, except a generated password, which is shown once in the response and
stored nowhere but as its hash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiohttp import web

from lifeline_pbx.accounts import attempts, passwords, throttle, users
from lifeline_pbx.admin import changes, forms
from lifeline_pbx.resources import POOL
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.bodies import form_data
from lifeline_pbx.web.render import render

USER_ID = r"{user_id:\d{1,18}}"
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


async def _users_page(
    request: web.Request, *, status: int = 200, errors: forms.Errors | None = None,
    values: dict[str, str] | None = None, problem: str = "",
    shown: tuple[str, str] | None = None,
) -> web.Response:
    async with request.app[POOL].acquire() as con:
        listed = await users.all_users(con)
        operators = await users.unlinked_operators(con)
        failures = await attempts.account_failures(con)
    return render(
        request, "admin/users.html", status=status, users=listed, operators=operators,
        failures=failures, lock_at=throttle.ACCOUNT.lock_at,
        roles=users.ROLES, errors=errors or {}, values=values or {}, problem=problem,
        password_rule=passwords.RULE,
        notice=NOTICES.get(request.query.get("done", ""), ""), shown=shown,
    )


@require("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    return await _users_page(request)


def _done(key: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/admin/users?done={key}")


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


async def _hash(password: str) -> str:
    return await asyncio.to_thread(passwords.hash_password, password)


@require("admin")
async def user_create(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    values = {name: forms.text(form, name)
              for name in ("username", "display_name", "role", "operator")}
    parsed = forms.parse_new_user(form)
    if not isinstance(parsed, forms.NewUser):
        return await _users_page(request, status=422, errors=parsed, values=values)
    try:
        await changes.create_user(request.app[POOL], current_user(request).id, parsed,
                                  await _hash(parsed.password))
    except changes.AdminError as exc:
        return await _users_page(request, status=422, values=values,
                                 errors={exc.field or "form": exc.message})
    if parsed.generated:
        return await _users_page(request, shown=(parsed.username, parsed.password))
    raise _done("created")


async def _act(request: web.Request, work: Awaitable[object], done: str) -> web.StreamResponse:
    """Run one change on the user in the path; a refusal re-renders the page (422)."""
    try:
        await work
    except changes.NotFound:
        raise web.HTTPNotFound(text="There is no such user.") from None
    except changes.AdminError as exc:
        return await _users_page(request, status=422, problem=exc.message)
    raise _done(done)


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
    form = await form_data(request)
    role = forms.text(form, "role")
    if problem := forms.role_problem(role):
        return await _users_page(request, status=422, problem=problem)
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_role(pool, actor, _user_id(request), role), "role")


@require("admin")
async def user_operator(request: web.Request) -> web.StreamResponse:
    """Link the user to an operator SIP account (by its username), or unlink (empty)."""
    operator, problem = forms.parse_operator(await form_data(request))
    if problem:
        return await _users_page(request, status=422, problem=problem)
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.set_operator(pool, actor, _user_id(request), operator),
                      "operator")


@require("admin")
async def user_unlock(request: web.Request) -> web.StreamResponse:
    pool, actor = request.app[POOL], current_user(request).id
    return await _act(request, changes.unlock_sign_in(pool, actor, _user_id(request)),
                      "unlocked")


@require("admin")
async def user_password(request: web.Request) -> web.StreamResponse:
    pool, user_id = request.app[POOL], _user_id(request)
    async with pool.acquire() as con:
        user = await users.by_id(con, user_id)
    if user is None:
        raise web.HTTPNotFound(text="There is no such user.")
    password, generated, problem = forms.password_choice(await form_data(request), user.username)
    if problem:
        return await _users_page(request, status=422, problem=f"{user.username}: {problem}")
    try:
        await changes.set_password(pool, current_user(request).id, user_id,
                                   await _hash(password))
    except changes.NotFound:  # removed meanwhile (users are never deleted here, but still)
        raise web.HTTPNotFound(text="There is no such user.") from None
    if generated:
        return await _users_page(request, shown=(user.username, password))
    raise _done("password")
