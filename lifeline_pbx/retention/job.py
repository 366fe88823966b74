"""The scheduled retention run, as a background task of the app (lifeline_pbx/app.py).

Every CHECK_EVERY it asks whether a day has passed since the last scheduled run (kept in
retention_runs, so a restart or a second node does not run it again); the run itself takes
an advisory lock, so two nodes never remove at once. A failure is logged (no content) and
tried again sooner, waiting longer after each (backoff.delay), never longer than a check.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from lifeline_pbx import backoff
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.retention import work

log = logging.getLogger(__name__)
CHECK_EVERY = 3600.0
FIRST_AFTER = 300.0  # let the hotline start before the first check
RETRY_FIRST = 30.0


async def run(pool: asyncpg.Pool, *, check_every: float = CHECK_EVERY,
              first_after: float = FIRST_AFTER, retry_first: float = RETRY_FIRST) -> None:
    failures = 0
    await asyncio.sleep(first_after)
    while True:
        try:
            if await work.run_if_due(pool) is None:
                log.debug("retention not due")
            failures = 0
        except DATABASE_ERRORS as exc:
            failures += 1
            log.warning("retention run failed error=%s", type(exc).__name__)
        wait = (backoff.delay(failures, first=retry_first, cap=check_every) if failures
                else check_every)
        await asyncio.sleep(wait)
