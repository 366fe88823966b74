"""Spike rules: "N reports of category C at one facility within D days". Pure: the form
parsed into settings, and the decision of what fires given the reports and past alerts.

A rule fires once per window. When it fires at a facility, the alert covers the window
from the first report counted to D days later; the rule counts again at that facility
only reports made from the end of that window on. So a spike that goes on for weeks
raises one alert per D days at most, and a rule made today does not raise alerts for
spikes long past: only reports of the last D days count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lifeline_pbx.errors import Invalid

FIELDS = ("category", "threshold", "window_days")
BOUNDS = {"threshold": (2, 1000), "window_days": (1, 366)}
DEFAULTS = {"category": "", "threshold": "3", "window_days": "7", "enabled": "on"}


@dataclass(frozen=True)
class RuleSettings:
    category: str
    threshold: int  # reports, at least
    window_days: int
    enabled: bool = True


@dataclass(frozen=True)
class Rule:
    id: int
    settings: RuleSettings

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.settings.window_days)


@dataclass(frozen=True)
class Fire:
    """A rule firing at a facility: the window it covers and the reports it counted."""

    rule_id: int
    facility_id: int
    window_start: datetime
    window_end: datetime
    reports: int


def _whole(values: Mapping[str, str], name: str, what: str) -> tuple[int | None, str | None]:
    low, high = BOUNDS[name]
    raw = values.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not low <= int(raw) <= high:
        return None, f"{what} must be a whole number from {low} to {high}."
    return int(raw), None


def parse(values: Mapping[str, str], categories: Collection[str]) -> RuleSettings:
    """The settings a rule form gave; Invalid naming every field that is wrong."""
    errors: dict[str, str] = {}
    category = values.get("category", "").strip()
    if category not in categories:
        errors["category"] = "Choose a report category from the list."
    threshold, problem = _whole(values, "threshold", "The number of reports")
    if problem:
        errors["threshold"] = problem
    days, problem = _whole(values, "window_days", "The number of days")
    if problem:
        errors["window_days"] = problem
    if errors or threshold is None or days is None:
        raise Invalid(errors)
    return RuleSettings(category, threshold, days, values.get("enabled", "") == "on")


def as_form(settings: RuleSettings) -> dict[str, str]:
    return {"category": settings.category, "threshold": str(settings.threshold),
            "window_days": str(settings.window_days),
            "enabled": "on" if settings.enabled else ""}


def changed_fields(old: RuleSettings, new: RuleSettings) -> list[str]:
    return [name for name in (*FIELDS, "enabled") if getattr(old, name) != getattr(new, name)]


def decide(rule: Rule, facility_id: int, reports: Sequence[datetime],
           counted_until: datetime | None, now: datetime) -> Fire | None:
    """Whether the rule fires at the facility now.

    reports: when each report of the rule's category at the facility was made (any
    order; older ones are ignored); counted_until: the end of the window of the rule's
    last alert there, if any (reports before it were counted by that alert).
    """
    if not rule.settings.enabled:
        return None
    since = now - rule.window
    counted = sorted(t for t in reports
                     if t > since and (counted_until is None or t >= counted_until))
    if len(counted) < rule.settings.threshold:
        return None
    start = counted[0]
    return Fire(rule.id, facility_id, start, start + rule.window, len(counted))
