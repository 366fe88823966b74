"""SQL for spike rules and the alerts they fire (migrations/0023). Functions take a
connection and return dataclasses; evaluate.py and rule_changes.py own the transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from lifeline_pbx.alerts.spike_rules import Fire, Rule, RuleSettings
from lifeline_pbx.db import Conn

_RULES = """SELECT r.id, r.category, r.threshold, r.window_days, r.enabled
            FROM alert_rules r"""
CURRENT_LIMIT = 50


@dataclass(frozen=True)
class Alert:
    """A fired alert as supervisors and the email see it: no person, only counts."""

    id: int
    rule_id: int
    facility_id: int
    facility: str
    category: str
    category_label: str
    threshold: int
    window_days: int
    reports: int
    window_start: datetime
    window_end: datetime
    fired_at: datetime


def _rule(row: asyncpg.Record) -> Rule:
    return Rule(row["id"], RuleSettings(row["category"], row["threshold"],
                                        row["window_days"], row["enabled"]))


async def rules(con: Conn, *, enabled_only: bool = False) -> list[Rule]:
    where = " WHERE r.enabled" if enabled_only else ""
    rows = await con.fetch(f"{_RULES}{where} ORDER BY r.category, r.window_days, r.threshold")
    return [_rule(r) for r in rows]


async def rule(con: Conn, rule_id: int, *, lock: bool = False) -> Rule | None:
    row = await con.fetchrow(f"{_RULES} WHERE r.id = $1{' FOR UPDATE' if lock else ''}",
                             rule_id)
    return None if row is None else _rule(row)


async def add(con: Conn, settings: RuleSettings) -> int | None:
    """The new rule's id; None when the same rule exists."""
    return await con.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO alert_rules (category, threshold, window_days, enabled)
           VALUES ($1, $2, $3, $4) ON CONFLICT (category, threshold, window_days) DO NOTHING
           RETURNING id""",
        settings.category, settings.threshold, settings.window_days, settings.enabled)


async def update(con: Conn, rule_id: int, settings: RuleSettings) -> bool:
    """False when another rule is the same."""
    try:
        await con.execute(
            """UPDATE alert_rules SET category = $2, threshold = $3, window_days = $4,
                   enabled = $5 WHERE id = $1""",
            rule_id, settings.category, settings.threshold, settings.window_days,
            settings.enabled)
    except asyncpg.UniqueViolationError:
        return False
    return True


async def delete(con: Conn, rule_id: int) -> bool:
    return bool(await con.fetchval("DELETE FROM alert_rules WHERE id = $1 RETURNING true",
                                   rule_id))


async def lock_rule(con: Conn, rule_id: int) -> None:
    """Evaluations of one rule take turns (several app processes may evaluate at once)."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtextextended('alert_rule:' || $1, 0))",
                      str(rule_id))


async def database_now(con: Conn) -> datetime:
    return await con.fetchval("SELECT now()")  # type: ignore[no-any-return]


async def report_times(con: Conn, category: str, since: datetime,
                       facility_id: int | None) -> dict[int, list[datetime]]:
    """When each report of the category made after `since` was made, by facility."""
    rows = await con.fetch(
        """SELECT facility_id, array_agg(created_at) AS times FROM reports
           WHERE category = $1 AND created_at > $2
             AND ($3::bigint IS NULL OR facility_id = $3)
           GROUP BY facility_id""",
        category, since, facility_id)
    return {r["facility_id"]: list(r["times"]) for r in rows}


async def counted_until(con: Conn, rule_id: int, facility_ids: list[int]) -> dict[int, datetime]:
    """The end of the window of the rule's last alert at each facility that had one."""
    rows = await con.fetch(
        """SELECT facility_id, max(window_end) AS until FROM spike_alerts
           WHERE rule_id = $1 AND facility_id = ANY($2::bigint[]) GROUP BY facility_id""",
        rule_id, facility_ids)
    return {r["facility_id"]: r["until"] for r in rows}


async def fire(con: Conn, fire: Fire) -> int | None:
    """The alert, and its email queued; its id, None if it was there already."""
    alert_id: int | None = await con.fetchval(
        """INSERT INTO spike_alerts (rule_id, facility_id, window_start, window_end, reports)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (rule_id, facility_id, window_start) DO NOTHING RETURNING id""",
        fire.rule_id, fire.facility_id, fire.window_start, fire.window_end, fire.reports)
    if alert_id is not None:
        await con.execute("INSERT INTO alert_emails (spike_alert_id) VALUES ($1)", alert_id)
    return alert_id


_ALERTS = """
    SELECT a.id, a.rule_id, a.facility_id, f.name AS facility, r.category,
           c.label AS category_label, r.threshold, r.window_days, a.reports,
           a.window_start, a.window_end, a.fired_at
    FROM spike_alerts a
    JOIN alert_rules r ON r.id = a.rule_id
    JOIN facilities f ON f.id = a.facility_id
    JOIN report_categories c ON c.code = r.category
"""


async def alert(con: Conn, alert_id: int) -> Alert | None:
    row = await con.fetchrow(f"{_ALERTS} WHERE a.id = $1", alert_id)
    return None if row is None else Alert(**dict(row))


async def current_alerts(con: Conn, limit: int = CURRENT_LIMIT) -> list[Alert]:
    """Alerts whose window has not ended, the newest first."""
    rows = await con.fetch(
        f"{_ALERTS} WHERE a.window_end > now() ORDER BY a.fired_at DESC, a.id DESC LIMIT $1",
        limit)
    return [Alert(**dict(r)) for r in rows]


async def recent_alerts(con: Conn, limit: int = CURRENT_LIMIT) -> list[Alert]:
    rows = await con.fetch(f"{_ALERTS} ORDER BY a.fired_at DESC, a.id DESC LIMIT $1", limit)
    return [Alert(**dict(r)) for r in rows]
