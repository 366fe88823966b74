"""What the live queue view reads from PostgreSQL: the labels the distributor's picture
lacks, and each queue's figures so far today (statistics/figures.py's rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lifeline_pbx.db import Conn
from lifeline_pbx.statistics import periods
from lifeline_pbx.statistics import work as statistics
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.supervision import store

ZONE = periods.DEFAULT_ZONE  # whose "today"
THRESHOLD = periods.DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Today:
    answered: int
    abandoned: int  # hung up while waiting in the queue
    voicemail: int  # sent from the queue to voicemail (waited too long, nobody left)
    service_level: float | None  # answered within THRESHOLD of those that left the queue
    threshold: int = THRESHOLD
    zone: str = ZONE


def today(figures: Figures) -> Today:
    return Today(figures.answered, figures.abandoned_queue, figures.voicemail,
                 figures.service_level)


async def read(con: Conn, now: datetime) -> tuple[store.Labels, dict[int, Today]]:
    labels = await store.labels(con)
    by_queue = await statistics.today_by_queue(con, ZONE, THRESHOLD, now)
    return labels, {queue_id: today(f) for queue_id, f in by_queue.items()}
