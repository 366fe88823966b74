"""A real SMTP server for the alert email tests: aiosmtpd on this test's event loop, on a
loopback port of its own, keeping each message it accepts. It can ask for a login, and
can refuse the first messages with a temporary error (as a busy server does)."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return str(self.message.get_content())


@dataclass
class Inbox:
    port: int = 0
    user: str = ""
    password: str = ""
    refuse: int = 0  # messages to refuse with 451 first
    received: list[Received] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                     mechanism: str, data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and data.login == self.user.encode()
              and data.password == self.password.encode())
        return AuthResult(success=ok)


@contextlib.asynccontextmanager
async def smtp_server(user: str = "", password: str = "", refuse: int = 0
                      ) -> AsyncIterator[Inbox]:
    inbox = Inbox(user=user, password=password, refuse=refuse)
    login = {"auth_required": True, "auth_require_tls": False,
             "authenticator": inbox.authenticate} if user else {}

    def session() -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, in a test
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(inbox, hostname="smtp.test", **login)  # type: ignore[arg-type]

    server = await asyncio.get_running_loop().create_server(session, "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    try:
        yield inbox
    finally:
        server.close()
        await server.wait_closed()
