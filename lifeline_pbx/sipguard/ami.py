"""A minimal AMI reader: log in, hand every event to a callback, reconnect when lost.

Only what the SIP guard needs: the Login action and the event stream (see
docs/decisions.md for why this is not panoramisk). Messages are `Key: value` lines ended by
an empty line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import NoReturn

from lifeline_pbx import backoff

log = logging.getLogger(__name__)

Message = dict[str, str]
END = b"\r\n\r\n"


class AmiError(Exception):
    """Asterisk refused the login, or spoke something that is not AMI."""


def parse(block: bytes) -> Message:
    """One AMI message (lines up to the empty line) -> {key: value}. Lines without ': '
    are skipped; a repeated key keeps its first value."""
    message: Message = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if sep and key not in message:
            message[key] = value
    return message


def login_action(user: str, secret: str) -> bytes:
    if any(c in user + secret for c in "\r\n"):
        raise AmiError("the AMI user and secret must be on one line")
    return (f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\n"
            f"Events: security\r\n\r\n").encode()


async def read_events(
    host: str, port: int, user: str, secret: str, on_event: Callable[[Message], None],
    connected: asyncio.Event | None = None, up: Callable[[], None] | None = None,
) -> None:
    """One connection: log in, then pass events on until Asterisk closes it (returns)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    try:
        banner = await asyncio.wait_for(reader.readline(), 10)
        if not banner.startswith(b"Asterisk Call Manager"):
            raise AmiError(f"not an AMI server: {banner[:40]!r}")
        writer.write(login_action(user, secret))
        await writer.drain()
        reply = parse(await asyncio.wait_for(reader.readuntil(END), 10))
        if reply.get("Response") != "Success":
            raise AmiError(f"login refused: {reply.get('Message', 'no message')}")
        if connected is not None:
            connected.set()
        if up is not None:
            up()
        log.info("ami connected host=%s port=%d", host, port)
        while True:
            try:
                block = await reader.readuntil(END)
            except asyncio.IncompleteReadError:
                return
            message = parse(block)
            if "Event" not in message:
                continue
            try:
                on_event(message)
            except Exception:  # one bad event must not end the stream
                log.exception("ami event handler failed event=%s", message.get("Event"))
    finally:
        if connected is not None:
            connected.clear()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def run(
    host: str, port: int, user: str, secret: str, on_event: Callable[[Message], None],
    connected: asyncio.Event | None = None,
) -> NoReturn:
    """Stay connected until cancelled, waiting longer after each failed attempt."""

    async def connection(up: Callable[[], None]) -> None:
        await read_events(host, port, user, secret, on_event, connected, up)
        log.warning("ami connection closed by Asterisk")

    await backoff.keep_running(
        connection, what="ami",
        expected=(OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                  AmiError))
