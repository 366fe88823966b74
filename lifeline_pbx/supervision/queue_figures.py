"""What the live queue view reads from PostgreSQL: the labels the distributor's picture
lacks, each queue's figures so far today (statistics/figures.py's rules), and the answered
calls still without an intake (call_history.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.statistics import periods
from lifeline_pbx.statistics import work as statistics
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.supervision import call_history, store

ZONE = periods.DEFAULT_ZONE  # whose "today"
THRESHOLD = periods.DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Today:
    received: int  # reached this queue today; none yet is not a database away
    answered: int
    abandoned: int  # hung up while waiting in the queue
    voicemail: int  # sent from the queue to voicemail (waited too long, nobody left)
    no_message: int  # sent there, gone before the beep: no message left
    service_level: float | None  # answered within THRESHOLD of those that left the queue
    threshold: int = THRESHOLD
    zone: str = ZONE


def today(figures: Figures) -> Today:
    return Today(figures.received, figures.answered, figures.abandoned_queue,
                 figures.voicemail, figures.no_message, figures.service_level)


NO_CALLS = today(Figures())


@dataclass(frozen=True)
class Board:
    labels: store.Labels
    today: dict[int, Today]  # by queue id; a queue with no calls yet today has none
    missing: call_history.MissingIntakes


async def read(con: Conn, keys: KeyRing, now: datetime) -> Board:
    labels = await store.labels(con)
    by_queue = await statistics.today_by_queue(con, ZONE, THRESHOLD, now)
    return Board(labels, {queue_id: today(f) for queue_id, f in by_queue.items()},
                 await call_history.missing_intakes(con, keys, now))
