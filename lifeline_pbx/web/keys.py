"""Typed keys for what the app and each request carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from lifeline_pbx import crypto
from lifeline_pbx.accounts import users
from lifeline_pbx.accounts.sessions import Session

if TYPE_CHECKING:
    from lifeline_pbx.service import Lifeline


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


LIFELINE: web.AppKey[Lifeline] = web.AppKey("lifeline")
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates")
KEYS: web.AppKey[crypto.KeyRing] = web.AppKey("keys")
# Per request, set by the session middleware: the session (any stage) and, once fully
# signed in, the user.
SESSION: web.RequestKey[Session] = web.RequestKey("session", Session)
USER: web.RequestKey[CurrentUser] = web.RequestKey("user", CurrentUser)
