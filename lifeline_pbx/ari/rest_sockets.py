"""ARI requests over WebSockets (Asterisk's "REST over WebSocket", 20.14 / 21.9 / 22.4 on).

An HTTP request through aiohttp costs the app about twice the CPU of the same request as a
message on an open WebSocket (URL and header building, a request and a response object,
a timer each), and a call makes about eleven of them. See docs/decisions.md.

Asterisk answers one socket's requests one after the other: a request waiting for a
busy channel (an answer behind a long DTMF) holds every later request on its socket. So,
like a keep-alive HTTP pool, each socket carries one request at a time, and a burst opens
more sockets, up to a limit, past which requests wait for a free one.

Each socket is its own Stasis application to Asterisk (`<app>-rest-<random>`): a second
socket on one application name takes the name over, and the first one's answers are lost.
These applications are subscribed to nothing and so receive no events.

An Asterisk without REST over WebSocket would leave every request unanswered: the client
asks /asterisk/info first, and talks HTTP to one older than `sockets_supported` accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from lifeline_pbx.tasks import TaskRegistry

# A socket idle this long is closed rather than reused: a burst's sockets do not stay open
# (each is a thread in Asterisk) once calls are back to their usual rate.
IDLE_SECONDS = 10.0
CLOSE_SECONDS = 1.0  # Asterisk answers a close at once; a dead one is not waited on longer


# The first release of each major version that takes REST requests on its WebSocket.
FIRST_WITH_SOCKETS = {20: 14, 21: 9, 22: 4}


def sockets_supported(version: str) -> bool:
    """Whether this Asterisk (its version as /asterisk/info gives it: "22.10.1+dfsg...")
    takes REST requests on its WebSocket. A version not read as major.minor (a git build,
    a certified release) is talked to over HTTP, which every version takes."""
    numbers = re.match(r"(\d+)\.(\d+)\b", version)
    if numbers is None:
        return False
    major, minor = int(numbers[1]), int(numbers[2])
    first = FIRST_WITH_SOCKETS.get(major)
    return major > max(FIRST_WITH_SOCKETS) or (first is not None and minor >= first)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # JSON text, or "" when Asterisk sent none (204)


# As HTTP clients do, a request whose reused socket turns out closed (Asterisk restarted
# while the socket was idle: the close is read only once the request is sent) is sent once
# more, on a new socket, when sending it twice would do no harm.
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


def socket_app(app: str) -> str:
    """What the names of `app`'s request sockets start with, as Asterisk lists them."""
    return f"{app}-rest-"


class SocketGone(Exception):
    """The socket closed, or could not be opened, before its answer came; status: what
    Asterisk answered the WebSocket handshake (401: the login refused), 0 if nothing."""

    def __init__(self, reason: str, status: int = 0) -> None:
        super().__init__(reason)
        self.status = status


class _Socket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.waiting: tuple[str, asyncio.Future[Answer]] | None = None
        self.idle_since = time.monotonic()
        self.reader = asyncio.create_task(self._read())

    @property
    def open(self) -> bool:
        return not self.ws.closed and not self.reader.done()

    async def exchange(self, request_id: str, message: str, timeout: float) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.waiting = (request_id, future)
        try:
            try:
                await self.ws.send_str(message)
            except (aiohttp.ClientError, OSError) as exc:  # closing under us
                raise SocketGone(exc.__class__.__name__) from exc
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self.waiting = None
            self.idle_since = time.monotonic()

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                if not isinstance(data, dict) or data.get("type") != "RESTResponse":
                    continue
                if self.waiting and data.get("request_id") == self.waiting[0]:
                    future = self.waiting[1]
                    if not future.done():
                        future.set_result(Answer(int(data.get("status_code", 0)),
                                                 str(data.get("message_body") or "")))
        except (aiohttp.ClientError, ValueError, OSError):
            pass
        finally:
            if self.waiting and not self.waiting[1].done():
                self.waiting[1].set_exception(SocketGone("closed"))

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


class RestSockets:
    def __init__(self, session: aiohttp.ClientSession, events_url: str,
                 headers: Mapping[str, str], app: str, limit: int) -> None:
        self._session = session
        self._url = events_url
        self._headers = dict(headers)
        self._app = app
        self._slots = asyncio.Semaphore(limit)
        self._idle: list[_Socket] = []
        self._closing = TaskRegistry()  # idle sockets being closed
        self._ids = itertools.count(1)
        self.opened = 0  # sockets opened so far
        self.busy = 0  # requests sent and not yet answered

    async def send(self, method: str, uri: str, query: list[tuple[str, str]],
                   body: object | None, timeout: float) -> Answer:
        """One request; SocketGone or TimeoutError when no answer came."""
        request_id = str(next(self._ids))
        message: dict[str, object] = {"type": "RESTRequest", "request_id": request_id,
                                      "method": method, "uri": uri}
        if query:
            message["query_strings"] = [{"name": k, "value": v} for k, v in query]
        if body is not None:
            message["content_type"] = "application/json"
            message["message_body"] = json.dumps(body)
        text = json.dumps(message)
        async with self._slots:
            sock, reused = await self._take(timeout)
            try:
                answer = await self._exchange(sock, request_id, text, timeout)
            except SocketGone:
                if not reused or method not in IDEMPOTENT:
                    raise
                sock, _ = await self._take(timeout, fresh=True)
                answer = await self._exchange(sock, request_id, text, timeout)
            self._idle.append(sock)
            return answer

    async def _exchange(self, sock: _Socket, request_id: str, text: str,
                        timeout: float) -> Answer:
        self.busy += 1
        try:
            return await sock.exchange(request_id, text, timeout)
        except BaseException:
            # Its answer may still come: the socket is not reused.
            await sock.close()
            raise
        finally:
            self.busy -= 1

    async def _take(self, timeout: float, fresh: bool = False) -> tuple[_Socket, bool]:
        """An open socket, the most recently used, and whether it was used before; those
        idle too long are closed first. fresh: a new one."""
        now = time.monotonic()
        expired = []
        while self._idle and now - self._idle[0].idle_since >= IDLE_SECONDS:
            expired.append(self._idle.pop(0))
        if expired:  # each close waits for Asterisk's answer: not on this request's time
            self._closing.spawn(_close_all(expired), name="ari-sockets-idle-close")
        while self._idle and not fresh:
            sock = self._idle.pop()
            if sock.open:
                return sock, True
            await sock.close()
        name = socket_app(self._app) + secrets.token_hex(4)
        try:
            async with asyncio.timeout(timeout):
                ws = await self._session.ws_connect(
                    self._url, params={"app": name, "subscribeAll": "false"},
                    headers=self._headers, timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_SECONDS))
        except aiohttp.WSServerHandshakeError as exc:
            raise SocketGone(exc.message, exc.status) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise SocketGone(exc.__class__.__name__) from exc
        self.opened += 1
        return _Socket(ws), False

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await _close_all(idle)
        await self._closing.close()


async def _close_all(sockets: list[_Socket]) -> None:
    for sock in sockets:
        await sock.close()
