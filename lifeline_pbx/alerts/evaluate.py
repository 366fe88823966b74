"""Evaluating the spike rules: each enabled rule in a transaction of its own, holding the
rule's lock, so that app processes evaluating at once fire an alert once (the rule's last
alert is read after the lock is taken; a unique key backs it up)."""

from __future__ import annotations

import logging

import asyncpg

from lifeline_pbx.alerts import spike_rules, store
from lifeline_pbx.alerts.spike_rules import Rule
from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)


async def evaluate(pool: asyncpg.Pool, facility_id: int | None = None) -> list[int]:
    """Every enabled rule at the facility (None: at every facility); the alerts fired."""
    fired: list[int] = []
    async with pool.acquire() as con:
        for rule in await store.rules(con, enabled_only=True):
            fired += await _evaluate_rule(con, rule, facility_id)
    return fired


async def _evaluate_rule(con: Conn, rule: Rule, facility_id: int | None) -> list[int]:
    fired: list[int] = []
    async with con.transaction():
        await store.lock_rule(con, rule.id)
        now = await store.database_now(con)
        reports = await store.report_times(con, rule.settings.category, now - rule.window,
                                           facility_id)
        if not reports:
            return fired
        until = await store.counted_until(con, rule.id, list(reports))
        for facility, times in sorted(reports.items()):
            fire = spike_rules.decide(rule, facility, times, until.get(facility), now)
            if fire is None:
                continue
            alert_id = await store.fire(con, fire)
            if alert_id is not None:
                fired.append(alert_id)
                log.info("spike alert fired alert_id=%d rule_id=%d facility_id=%d reports=%d",
                         alert_id, rule.id, facility, fire.reports)
    return fired
