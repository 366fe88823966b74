"""A staffed hotline for the call-engine tests: the app, three operators' phones, helpers.

Prompts are the real set re-cut as 0.2 s tones (same names, same languages), so the real
IVR runs in seconds; the prompt tests and the walking-skeleton tests use the real audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from devstack import asterisk
from lifeline_pbx.app import Running, create_app
from lifeline_pbx.demo import DEMO_OPERATOR
from lifeline_pbx.prompts import tones
from lifeline_pbx.resources import ACD, CONNECTED, DISPATCHER, OPERATOR_SYNC, WRITER
from tests.carrier import Carrier, CarrierCall
from tests.conftest import app_config
from tests.db_reads import Statements
from tests.phones import OPERATORS, Phones, enlist
from tests.waiting import wait_for

WRITER_WAIT = 5.0  # seconds a read waits for the app's writers


async def written(app: web.Application) -> None:
    """Once the call engine's background writers (call records, operators' states: each
    gathers writes for a moment) have written what they hold; at once without an engine.
    The database away: after WRITER_WAIT, whatever is there."""
    if WRITER not in app:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(WRITER_WAIT):
            await app[WRITER].drained()
            await app[ACD].store.drained()
DID = "15550100101"  # menu: 1 English, 2 Spanish, 3 Haitian Creole, 4 French


SHORT = tones.samples(((660, 0.2),))


@pytest.fixture(scope="session")
def short_prompts_dir(asterisk_runtime: asterisk.Runtime, prompts_dir: str) -> str:
    short = f"{prompts_dir}-short"
    source = asterisk_runtime.host_path(prompts_dir)
    target = asterisk_runtime.host_path(short)
    for wav in source.glob("*/*.wav"):
        out = target / wav.parent.name / wav.name
        if not out.exists():  # written aside, then renamed: another run may read it now
            partial = out.with_name(f".{out.name}.{os.getpid()}")
            if wav.parent.name in ("moh", tones.LANGUAGE):
                out.parent.mkdir(parents=True, exist_ok=True)
                partial.write_bytes(wav.read_bytes())
            else:
                tones.write_wav(partial, SHORT)
            partial.replace(out)
    return short


@pytest.fixture
def own_prompts(pbx: asterisk.Instance, short_prompts_dir: str) -> Iterator[str]:
    """A copy of the short test prompts for one test alone (Asterisk's path), for a test that
    records or replaces prompts: the shared folder stays as it is. hotline_factory(prompts=)."""
    mine = f"{short_prompts_dir}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(pbx.runtime.host_path(short_prompts_dir), pbx.runtime.host_path(mine))
    try:
        yield mine
    finally:
        shutil.rmtree(pbx.runtime.host_path(mine), ignore_errors=True)


@dataclass
class Hotline:
    app: web.Application
    dsn: str
    carrier: Carrier
    phones: Phones
    pbx: asterisk.Instance
    base_url: str = ""  # the web UI, when made with web=True
    running: Running | None = None  # to stop the app before the test ends
    statements: Statements = field(init=False)  # opens its connections when first used

    def __post_init__(self) -> None:
        self.statements = Statements(self.dsn)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """After the app's writers have written what they hold: a test reads what happened
        before it asked, not a batch behind."""
        await written(self.app)
        return await self.statements.fetch(query, *args)

    async def close(self) -> None:
        await self.statements.close()

    async def value(self, query: str, *args: Any) -> Any:
        rows = await self.sql(query, *args)
        return rows[0][0] if rows else None

    async def reached(self, caller: str, kind: str, detail: dict[str, str] | None = None,
                      timeout: float = 30) -> None:
        async def probe() -> bool:
            found = await self.value(
                """SELECT count(*) FROM call_events e JOIN calls c ON c.id = e.call_id
                   WHERE c.caller_name = $1 AND e.kind = $2 AND e.detail @> $3::jsonb""",
                caller, kind, json.dumps(detail or {}))
            return bool(found)

        await wait_for(probe, timeout=timeout, what=f"{kind} {detail or ''} for {caller}")

    async def call(self, caller: str, did: str = DID) -> CarrierCall:
        return await self.carrier.call(did, f'"{caller}" <{abs(hash(caller)) % 10**7}>')

    async def to_queue(self, caller: str, language_digit: str = "1", triage: str = "5",
                       did: str = DID) -> CarrierCall:
        """Call in and go through the IVR like a caller: language, then the triage answer."""
        call = await self.call(caller, did)
        await self.reached(caller, "prompt_finished")
        await self.carrier.send_dtmf(call, language_digit)
        await self.reached(caller, "triage_asked")
        await self.carrier.send_dtmf(call, triage)
        await self.reached(caller, "queued")
        return call

    async def call_row(self, caller: str) -> asyncpg.Record:
        rows = await self.sql("SELECT * FROM calls WHERE caller_name = $1", caller)
        assert len(rows) == 1, rows
        return rows[0]

    async def closed(self, caller: str, timeout: float = 30) -> asyncpg.Record:
        async def probe() -> asyncpg.Record | None:
            rows = await self.sql(
                "SELECT * FROM calls WHERE caller_name = $1 AND ended_at IS NOT NULL", caller)
            return rows[0] if rows else None

        row: asyncpg.Record = await wait_for(probe, timeout=timeout, what=f"{caller} closed")
        return row

    async def login(self, *operators: str) -> None:
        for operator in operators:
            assert await self.app[ACD].operator_action(operator, "login")

    async def queue_events(self, kind: str) -> list[asyncpg.Record]:
        return await self.sql(
            """SELECT q.*, o.sip_username, c.caller_name FROM queue_events q
               LEFT JOIN operators o ON o.id = q.operator_id
               LEFT JOIN calls c ON c.id = q.call_id WHERE q.kind = $1 ORDER BY q.id""", kind)

    def session_of(self, call_id: uuid.UUID) -> Any:
        return next(s for s in self.app[DISPATCHER].sessions.values() if s.call_id == call_id)


async def staff(dsn: str, **line: Any) -> None:
    """The demo data plus op-a/b/c in the demo queue, with quick test timings."""
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(
            """UPDATE queues SET language_wait_seconds = 3, ring_timeout_seconds = 5,
                   wrapup_seconds = 2, max_wait_seconds = 120, announce_every_seconds = 600""")
        settings = {"menu_timeout_seconds": 2, **line}
        assignments = ", ".join(f"{k} = ${i}" for i, k in enumerate(settings, 2))
        await con.execute(f"UPDATE lines SET {assignments} WHERE did = $1", DID,
                          *settings.values())
        await enlist(con)  # the template has them already, unless the test made its own
        # The demo's operator starts logged in, with no phone here: a caller would find
        # an operator logged in with their phone offline. The tests' hotline is op-a/b/c's.
        await con.execute(
            """UPDATE operator_status SET logged_in = false WHERE operator_id =
                   (SELECT id FROM operators WHERE sip_username = $1)""", DEMO_OPERATOR[1])
        await con.execute(
            """INSERT INTO operator_queues SELECT o.id, q.id FROM operators o, queues q
               WHERE o.sip_username = ANY($1) ON CONFLICT DO NOTHING""", list(OPERATORS))
    finally:
        await con.close()


async def queues_see_the_phones(app: web.Application, phones: Phones) -> None:
    """The operators' phones registered to the PBX, and the app's queues counting on them.
    A test that finds them offline to the queues after the PBX lists them online asks the
    app's own periodic check (queues/following.check_following) at once, rather than in 30 s:
    in full runs it was needed now and then (cause not found; docs/decisions.md)."""
    await phones.until_online(OPERATORS, resync=app[OPERATOR_SYNC].request)
    acd = app[ACD]
    checked = time.monotonic()

    async def seen() -> bool:
        nonlocal checked
        if set(OPERATORS) <= acd.picture.online:
            return True
        if time.monotonic() - checked > 5:
            print("the queues do not see", sorted(set(OPERATORS) - acd.picture.online),
                  "online: checking the phones they follow")
            checked = time.monotonic()
            await acd.following.check_following()
        return False

    await wait_for(seen, timeout=30, what="operators' phones registered")


@pytest.fixture
async def hotline_factory(
    pbx: asterisk.Instance, app_dsn: str, short_prompts_dir: str, carrier: Carrier,
    phones: Phones,
) -> AsyncIterator[Any]:
    apps: list[Running] = []
    made: list[Hotline] = []

    async def make(web: bool = False, prompts: str = "", settings: dict[str, Any] | None = None,
                   **line: Any) -> Hotline:
        """The staffed hotline; with web, its web UI too (on 127.0.0.1, a port of its own);
        `prompts`: a prompts folder of its own (Asterisk's path) instead of the shared one;
        `settings`: the app's own settings beyond the test defaults."""
        await staff(app_dsn, **line)
        started = Running(create_app(app_config(pbx, app_dsn, prompts or short_prompts_dir,
                                                **(settings or {}))))
        apps.append(started)
        await started.start("127.0.0.1" if web else None)
        app = started.app
        await wait_for(app[CONNECTED].is_set, what="ARI connected")
        await queues_see_the_phones(app, phones)
        await wait_for(lambda: set(OPERATORS) <= set(app[ACD].picture.operators),
                       what="operators loaded")
        base_url = f"http://127.0.0.1:{started.port}" if web else ""
        made.append(Hotline(app, app_dsn, carrier, phones, pbx, base_url, started))
        return made[-1]

    try:
        yield make
    finally:
        for app in apps:
            await app.stop()
        for hotline in made:
            await hotline.close()


@pytest.fixture
async def hotline(hotline_factory: Any) -> Hotline:
    made: Hotline = await hotline_factory()
    return made
