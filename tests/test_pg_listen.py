"""One LISTEN connection for every channel the app follows (lifeline_pbx/pg_listen.py)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from lifeline_pbx import pg_listen
from lifeline_pbx.pg_listen import Listener
from tests.waiting import wait_for


async def _backends(con: asyncpg.Connection) -> list[int]:
    rows = await con.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                           pg_listen.APPLICATION_NAME)
    return [row["pid"] for row in rows]


async def test_channels_share_one_connection_and_come_back_after_it_is_lost(
        app_dsn: str) -> None:
    heard: list[tuple[str, str]] = []
    listens: list[str] = []
    listener = Listener(app_dsn)
    listener.on("first", lambda p: heard.append(("first", p)),
                on_listen=lambda: listens.append("first"))
    running = asyncio.create_task(listener.run())
    con = await asyncpg.connect(app_dsn)
    try:
        await wait_for(listener.listening.is_set, what="listening")
        # A channel added while listening: listened at once, on the same connection.
        listener.on("second", lambda p: heard.append(("second", p)),
                    on_listen=lambda: listens.append("second"))
        assert not listener.listening.is_set()
        await wait_for(listener.listening.is_set, what="the second channel listened")
        [backend] = await _backends(con)
        await con.execute("SELECT pg_notify('first', 'a'), pg_notify('second', 'b')")
        await wait_for(lambda: len(heard) == 2, what="both notifications")
        assert sorted(heard) == [("first", "a"), ("second", "b")]
        assert listens == ["first", "second"]

        await con.execute("SELECT pg_terminate_backend($1)", backend)

        async def back() -> bool:
            return listener.listening.is_set() and await _backends(con) not in ([], [backend])

        await wait_for(back, what="a new LISTEN connection")
        assert sorted(listens) == ["first", "first", "second", "second"]  # both caught up
        await con.execute("SELECT pg_notify('second', 'c')")
        await wait_for(lambda: ("second", "c") in heard, what="a notification after")
    finally:
        await con.close()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


def test_a_channel_is_followed_once() -> None:
    listener = Listener("postgresql://unused")
    listener.on("one", print)
    with pytest.raises(ValueError, match="channel one is listened already"):
        listener.on("one", print)
