"""What the statistics read for one request: the form, the names, the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lifeline_pbx.statistics import store
from lifeline_pbx.statistics.figures import Figures
from lifeline_pbx.statistics.operator_time import Presence, Work
from lifeline_pbx.statistics.periods import Query


@dataclass(frozen=True)
class Figured:
    query: Query
    names: store.Names
    cut: datetime  # the period's end, or now if sooner: nothing after it is counted
    groups: list[store.Group] = field(default_factory=list)
    trend: list[store.Step] = field(default_factory=list)
    work: dict[int, Work] = field(default_factory=dict)
    presence: dict[int, Presence] = field(default_factory=dict)

    @property
    def total(self) -> Figures:
        return next((g.figures for g in self.groups if g.dimension == "total"), Figures())
