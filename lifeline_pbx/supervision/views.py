"""The supervisors' live view of the queues: a page, and the snapshot it refreshes from.

Both routes need the supervisor role (admins too). The snapshot is taken from the running
distributor's picture (queues/snapshot.py); queue names and pause reasons come from the
database, and while it is away the view still shows the calls, without those labels.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from lifeline_pbx.console.messages import NOTE_MAX, PAUSE_REASONS
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.queues.snapshot import snapshot
from lifeline_pbx.resources import ACD, ESCALATIONS, KEY_RING, LISTEN_IN, POOL, QUEUE_FIGURES
from lifeline_pbx.supervision import missing_words, queue_figures, store
from lifeline_pbx.web.auth import current_user, require
from lifeline_pbx.web.calls import NO_ENGINE
from lifeline_pbx.web.render import render
from lifeline_pbx.web.times import clock

log = logging.getLogger(__name__)
REFRESH_SECONDS = 2  # the page's; the figures from the database are shared as long


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/supervisor/queues", queues_page, name="supervisor_queues"),
        web.get("/supervisor/queues.json", queues_json, name="supervisor_queues_json"),
    ]


@require("supervisor")
async def queues_page(request: web.Request) -> web.StreamResponse:
    board = await board_read(request.app, shared=False)
    return render(request, "supervision/queues.html", refresh_seconds=REFRESH_SECONDS,
                  phone=current_user(request).operator_username,
                  pause_reasons=PAUSE_REASONS, note_max=NOTE_MAX,
                  stranded_shown=missing_words.STRANDED_SHOWN,
                  missing=missing_words.lines(board.missing) if board else None)


@require("supervisor")
async def queues_json(request: web.Request) -> web.StreamResponse:
    snap = await current(request.app)
    session = request.app[LISTEN_IN].of_user(current_user(request).id)
    snap["supervising"] = session.view() if session else None  # this supervisor's line
    snap["updated"] = clock(datetime.now(UTC))
    return web.json_response(snap)


async def board_read(app: web.Application, *, shared: bool = True
                     ) -> queue_figures.Board | None:
    """What the view reads from the database: for the snapshot, read once for every browser
    polling within the refresh; for the page as it loads, as it is now (just after saving
    an intake, say). None while the database is away (the calls still show)."""
    async def read() -> queue_figures.Board:
        async with app[POOL].acquire() as con:
            return await queue_figures.read(con, app[KEY_RING], datetime.now(UTC))

    try:
        return await (app[QUEUE_FIGURES].get(read) if shared else read())
    except DATABASE_ERRORS as exc:
        log.warning("queue figures unavailable error=%s", exc.__class__.__name__)
        return None


async def current(app: web.Application) -> dict[str, Any]:
    """The snapshot: each queue with its figures so far today and its waiting callers'
    lines by name, and the answered calls with no intake (no figures while the database
    is away: the calls still show, each line by its number)."""
    if ACD not in app:
        raise web.HTTPServiceUnavailable(text=NO_ENGINE)
    board = await board_read(app)
    labels = board.labels if board else store.Labels({}, {})
    acd = app[ACD]
    escalated = app[ESCALATIONS].board() if ESCALATIONS in app else []
    snap = asdict(snapshot(acd.picture, time.time(), queue_names=labels.queue_names,
                           pause_reasons={**labels.pause_reasons, **acd.staff_shell.pause_reasons},
                           escalated=escalated))
    for queue in snap["queues"]:
        today = board.today.get(queue["queue_id"], queue_figures.NO_CALLS) if board else None
        queue["today"] = asdict(today) if today else None
        for waiting in queue["waiting"]:
            waiting["line"] = labels.line_names.get(waiting["did"], waiting["did"])
    snap["missing"] = asdict(missing_words.lines(board.missing)) if board else None
    return snap
