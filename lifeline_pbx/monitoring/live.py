"""What is, read from the app's live objects at scrape time (monitoring/instruments.Live).

The call distributor's picture says who waits, rings and talks, and what each operator is
doing; the calls' sessions say who is in the IVR or leaving a message; the record writer
says how much it holds. Only why an operator paused is in PostgreSQL (the console stores
it): read when someone is paused, and "unknown" while the database does not answer.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
from aiohttp import web

from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.monitoring import states
from lifeline_pbx.monitoring.instruments import Live
from lifeline_pbx.resources import ACD, CONNECTED, DISPATCHER, POOL, TASKS, VAULT, WRITER
from lifeline_pbx.supervision import store as supervision_store

log = logging.getLogger(__name__)
REASONS_TIMEOUT = 2.0  # seconds: a scrape must not hang on a database that is away


async def read(app: web.Application) -> Live:
    tasks = len(app[TASKS]) if TASKS in app else 0
    if ACD not in app:  # the web UI alone
        return Live(background_tasks=tasks)
    now = time.time()
    acd = app[ACD]
    picture = acd.picture
    phases = [session.state.phase for session in app[DISPATCHER].sessions.values()]
    ringing = acd.desk.ringing_calls()
    calls = states.call_states(phases, [c in ringing for c in picture.waiting],
                               len(picture.talking))
    operators = [picture.staff.view(u) for u in picture.staff.operators]
    sides = picture.engaged.keys()  # the console's side calls (picture.side_call)
    paused = any(states.operator_state(op, now, sides) == "paused" for op in operators)
    reasons = await _pause_reasons(app[POOL]) if paused else {}
    return Live(
        background_tasks=tasks,
        calls=calls,
        operators=states.operator_states(operators, now, sides),
        paused=states.paused_by_reason(operators, reasons, now, sides),
        writer_backlog=app[WRITER].queued,
        ari_connected=app[CONNECTED].is_set(),
        recordings_on_pbx=dict(app[VAULT].on_pbx),
    )


async def _pause_reasons(pool: asyncpg.Pool) -> dict[str, str]:
    try:
        async with asyncio.timeout(REASONS_TIMEOUT), pool.acquire() as con:
            return (await supervision_store.labels(con)).pause_reasons
    except DATABASE_ERRORS as exc:
        log.warning("metrics: pause reasons not read error=%s", exc.__class__.__name__)
        return {}
