"""A WHERE clause made of the filters given: arguments numbered in the order added."""

from __future__ import annotations

import pytest

from lifeline_pbx.db import Conditions


@pytest.mark.parametrize(("added", "sql", "args"), [
    ([], "true", []),
    ([("r.category = $?", "food")], "r.category = $1", ["food"]),
    ([("a = $?", 1), ("lower(b) = lower($?)", "X"), ("c = ANY($?::int[])", [3])],
     "a = $1 AND lower(b) = lower($2) AND c = ANY($3::int[])", [1, "X", [3]]),
])
def test_conditions(added: list[tuple[str, object]], sql: str, args: list[object]) -> None:
    found = Conditions()
    for condition, value in added:
        found.add(condition, value)
    assert found.where() == (sql, args)
