"""The order the tests are handed to pytest-xdist's workers in.

`--dist worksteal` first gives each worker an equal run of the collected tests, in order,
and a worker that runs out takes the second half of the longest queue left. Collected as
written, the slow tests (calls over SIP, a database stopped for a minute) sat anywhere in
a worker's run, and the last of them ran on alone while the other workers had finished:
about twenty seconds at under one busy core at the end of a four-minute run. Put first in
every run instead, they left the CPU half idle for the first two minutes: a slow test
mostly waits (on Asterisk, on SIP timers), a quick one computes.

So each worker's run gets its share of every kind of test, the slow ones spread evenly
among the quick ones (the slowest kind first), and ends on a quarter of its quick tests:
what is taken from the end of a queue is quick, and the runs end together. Tests keep
their collected order within a kind, so a module's fixtures mostly stay on one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

T = TypeVar("T")

# What a test's fixtures and marks say of how long it takes, slowest first; the first match
# counts. A few tests take fifteen seconds to over a minute (`long`): those start their
# worker's run, one on each worker as far as they go, or the last of them would run alone.
KINDS = (
    ("long", 4),
    ("asterisk_runtime", 3),  # calls through a real Asterisk
    ("own_cluster", 3),  # a PostgreSQL of its own, stopped and started
    ("browser", 2),  # a real browser
    ("admin_dsn", 1),  # a database of its own
    ("empty_dsn", 1),
)
SLOW = 2  # this weight and up: a test that mostly waits


def weight(names: Collection[str]) -> int:
    """A test's weight from the names of its fixtures and marks."""
    return next((w for name, w in KINDS if name in names), 0)


def dealt(items: Sequence[T], workers: int, weigh: Callable[[T], int]) -> list[T]:
    """items in `workers` runs, one after the other, of the lengths xdist cuts (module doc)."""
    weighed = [(weigh(item), item) for item in items]
    shares: list[list[tuple[int, T]]] = [[] for _ in range(max(1, workers))]
    for w in sorted({w for w, _ in weighed}, reverse=True):
        kind = [pair for pair in weighed if pair[0] == w]
        for n, share in enumerate(shares):
            share.extend(_part(kind, n, len(shares)))
    runs = [_mixed(share) for share in shares]
    # A run one test longer than xdist's cut would hand the next run's first test (a long
    # one) to this run's worker, last: runs are trimmed or filled at their quick ends.
    lengths = _lengths(len(items), len(runs))
    spare: list[T] = []
    for run, length in zip(runs, lengths, strict=True):
        spare += run[length:]
        del run[length:]
    for run, length in zip(runs, lengths, strict=True):
        while len(run) < length:
            run.append(spare.pop())
    return [item for run in runs for item in run]


def _mixed(share: list[tuple[int, T]]) -> list[T]:
    """The slow tests spread among the quick ones, a quarter of the quick ones after."""
    slow = [item for w, item in share if w >= SLOW]
    quick = [item for w, item in share if w < SLOW]
    if not slow:
        return quick
    cut = len(quick) - len(quick) // 4
    mixed, tail = quick[:cut], quick[cut:]
    run: list[T] = []
    for n, item in enumerate(slow):
        run.append(item)
        run.extend(_part(mixed, n, len(slow)))
    return run + tail


def _lengths(total: int, runs: int) -> list[int]:
    """How xdist's worksteal cuts `total` tests for `runs` workers at the start."""
    lengths: list[int] = []
    for n in range(runs):
        lengths.append((total - sum(lengths)) // (runs - n))
    return lengths


def _part(items: list[T], n: int, parts: int) -> list[T]:
    """The n-th of `parts` contiguous parts of items, as equal as can be."""
    return items[n * len(items) // parts:(n + 1) * len(items) // parts]
