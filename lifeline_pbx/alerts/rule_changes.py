"""Units of work behind the admin's spike-rule pages: each change one transaction with
its audit entry. A refused form's Invalid carries the page to show it again on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.admin import categories
from lifeline_pbx.admin.categories import Category
from lifeline_pbx.alerts import spike_rules, store
from lifeline_pbx.alerts.spike_rules import Rule
from lifeline_pbx.alerts.store import Alert
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal

ENTITY = "alert_rule"
SAME_RULE = "The same rule exists already."


@dataclass(frozen=True)
class RulesPage:
    rules: list[Rule]
    categories: list[Category]
    alerts: list[Alert]  # the latest fired, by any rule


@dataclass(frozen=True)
class RulePage:
    rule: Rule
    categories: list[Category]


async def _rules_page(con: Conn) -> RulesPage:
    return RulesPage(await store.rules(con), await categories.all_categories(con),
                     await store.recent_alerts(con))


async def _rule_page(con: Conn, rule_id: int) -> RulePage:
    found = await store.rule(con, rule_id)
    if found is None:
        raise NotFound("There is no such alert rule.")
    return RulePage(found, await categories.all_categories(con))


async def rules_page(pool: asyncpg.Pool) -> RulesPage:
    async with pool.acquire() as con:
        return await _rules_page(con)


async def rule_page(pool: asyncpg.Pool, rule_id: int) -> RulePage:
    async with pool.acquire() as con:
        return await _rule_page(con, rule_id)


async def _settings(con: Conn, form: Mapping[str, str]) -> spike_rules.RuleSettings:
    codes = {c.code for c in await categories.all_categories(con)}
    return spike_rules.parse(form, codes)


async def create(pool: asyncpg.Pool, actor: int, form: Mapping[str, str]) -> int:
    """The new rule's id; Invalid (carrying the rules page) names what is wrong."""
    async with pool.acquire() as con, page_on_refusal(lambda: _rules_page(con)):
        settings = await _settings(con, form)
        async with con.transaction():
            rule_id = await store.add(con, settings)
            if rule_id is None:
                raise Invalid(SAME_RULE)
            await audit.change(con, actor, "create", ENTITY, rule_id,
                               [*spike_rules.FIELDS, "enabled"])
    return rule_id


async def update(pool: asyncpg.Pool, actor: int, rule_id: int,
                 form: Mapping[str, str]) -> bool:
    """Whether anything changed; Invalid (carrying the rule's page) names what is wrong."""
    async with pool.acquire() as con, page_on_refusal(lambda: _rule_page(con, rule_id)):
        settings = await _settings(con, form)
        async with con.transaction():
            old = await store.rule(con, rule_id, lock=True)
            if old is None:
                raise NotFound("There is no such alert rule.")
            changed = spike_rules.changed_fields(old.settings, settings)
            if not changed:
                return False
            if not await store.update(con, rule_id, settings):
                raise Invalid(SAME_RULE)
            await audit.change(con, actor, "update", ENTITY, rule_id, changed)
    return True


async def delete(pool: asyncpg.Pool, actor: int, rule_id: int) -> None:
    """The rule and the alerts it fired."""
    async with pool.acquire() as con, con.transaction():
        if not await store.delete(con, rule_id):
            raise NotFound("There is no such alert rule.")
        await audit.change(con, actor, "delete", ENTITY, rule_id, [])
