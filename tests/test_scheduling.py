"""tests/scheduling.py: the order the workers are handed the tests in."""

from __future__ import annotations

import pytest

from tests import scheduling


@pytest.mark.parametrize(("items", "workers", "expected"), [
    # quick tests only: collected order, heavier first
    ("a1 b0 c1 d0", 1, "a1 c1 b0 d0"),
    # slow ones (weight 2 and up, slowest first) spread among the quick, a quarter of the
    # quick ones at the end
    ("q0 r0 s0 t0 u0 v0 w0 x0 A2 B3", 1, "B3 q0 r0 s0 A2 t0 u0 v0 w0 x0"),
    # two workers: each run gets half of each weight, in contiguous runs
    ("a2 b2 c2 d2 e0 f0 g0 h0", 2, "a2 e0 b2 f0 c2 g0 d2 h0"),
    # long ones first, one per worker as far as they go
    ("a0 b0 c3 d3 e4 f4", 2, "e4 c3 a0 f4 d3 b0"),
    # a slow kind with fewer tests than workers: some runs get none of it
    ("a0 b0 c0 d0 e3", 2, "a0 b0 e3 c0 d0"),
    # runs cut as xdist cuts (1, 1, 2 of 4): the second run's quick test fills the first
    ("a3 b3 c0 d0", 3, "c0 a3 b3 d0"),
    # nothing to deal
    ("", 4, ""),
])
def test_dealt(items: str, workers: int, expected: str) -> None:
    dealt = scheduling.dealt(items.split(), workers, lambda item: int(item[1]))
    assert dealt == expected.split()


@pytest.mark.parametrize(("fixtures", "expected"), [
    ({"long", "asterisk_runtime"}, 4),  # a mark
    ({"asterisk_runtime", "admin_dsn", "browser"}, 3),  # the first kind that matches
    ({"browser", "admin_dsn"}, 2),
    ({"empty_dsn"}, 1),
    ({"tmp_path"}, 0),
])
def test_weight(fixtures: set[str], expected: int) -> None:
    assert scheduling.weight(fixtures) == expected
