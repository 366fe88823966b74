"""The order the tests are handed to pytest-xdist's workers in.

`--dist worksteal` first gives each worker an equal run of the collected tests, in order,
and a worker that runs out takes the second half of the longest queue left. Collected as
written, the slow tests (calls over SIP, a database stopped for a minute) sat anywhere in
a worker's run, and the last of them ran on alone while the other workers had finished:
about twenty seconds at under one busy core at the end of a four-minute run.

So each worker's run starts with its share of the slowest kind of test, then the next
kind, down to the quick ones; what is taken from the end of a queue is quick, and the
run ends together. Within a kind, tests keep their collected order in contiguous runs,
so a module's fixtures stay on one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

T = TypeVar("T")

# What a test's fixtures say of how long it takes, slowest first; the first match counts.
KINDS = (
    ("asterisk_runtime", 3),  # calls through a real Asterisk
    ("own_cluster", 3),  # a PostgreSQL of its own, stopped and started
    ("browser", 2),  # a real browser
    ("admin_dsn", 1),  # a database of its own
    ("empty_dsn", 1),
)


def weight(fixtures: Collection[str]) -> int:
    return next((w for name, w in KINDS if name in fixtures), 0)


def dealt(items: Sequence[T], workers: int, weigh: Callable[[T], int]) -> list[T]:
    """items in worker-sized runs, each run its share of every weight, heaviest first."""
    runs: list[list[T]] = [[] for _ in range(max(1, workers))]
    weights = [weigh(item) for item in items]
    for w in sorted(set(weights), reverse=True):
        kind = [item for item, iw in zip(items, weights, strict=True) if iw == w]
        for n, run in enumerate(runs):
            run.extend(kind[n * len(kind) // len(runs):(n + 1) * len(kind) // len(runs)])
    return [item for run in runs for item in run]
