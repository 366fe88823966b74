"""Typed keys of the web server's own: its templates, and what each request carries.
The app's resources (pool, config, the call engine) are in lifeline_pbx/resources.py."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from aiohttp import web

from lifeline_pbx.accounts import users
from lifeline_pbx.accounts.sessions import Session


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    operator_username: str | None  # their SIP account, if they take calls

    def at_least(self, role: str) -> bool:
        """Roles are ranked: operator < supervisor < admin."""
        return users.rank(self.role) >= users.rank(role)


TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates")
# Per request, set by the session middleware: the session (any stage) and, once fully
# signed in, the user.
SESSION: web.RequestKey[Session] = web.RequestKey("session", Session)
USER: web.RequestKey[CurrentUser] = web.RequestKey("user", CurrentUser)
