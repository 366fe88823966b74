"""Units of work on the reference lists (report categories and partners), each one
transaction with its audit entry (the fields changed, never their values). A refusal
carries the list's page to show it again (errors.RequestError.page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.admin import categories, forms, partners
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Invalid, NotFound, page_on_refusal

Pool = asyncpg.Pool
Form = Mapping[str, Any]


# Report categories


@dataclass(frozen=True)
class CategoriesPage:
    categories: list[categories.Category]


async def _categories(con: Conn) -> CategoriesPage:
    return CategoriesPage(await categories.all_categories(con))


async def categories_page(pool: Pool) -> CategoriesPage:
    async with pool.acquire() as con:
        return await _categories(con)


async def add_category(pool: Pool, actor: int, form: Form) -> None:
    async with pool.acquire() as con, page_on_refusal(lambda: _categories(con)):
        new = forms.parse_category(form)
        async with con.transaction():
            if await categories.by_code(con, new.code) is not None or not await categories.add(
                    con, new.code, new.label):
                raise Invalid(f"A category with the code '{new.code}' exists.", "code")
            await audit.change(con, actor, "create", "report_category", new.code,
                               ["code", "label", "position"])


async def _category(con: Conn, code: str) -> categories.Category:
    found = await categories.by_code(con, code)
    if found is None:
        raise NotFound("There is no such category.")
    return found


def label_field(code: str) -> str:
    """The field of a category's label on the categories page (one form per category)."""
    return f"label:{code}"


async def rename_category(pool: Pool, actor: int, code: str, label: str) -> None:
    async with pool.acquire() as con, page_on_refusal(lambda: _categories(con)), \
            con.transaction():
        category = await _category(con, code)
        if problem := forms.name_problem(label, "label"):
            raise Invalid(problem, label_field(code))
        if category.label != label:
            await categories.set_label(con, code, label)
            await audit.change(con, actor, "update", "report_category", code, ["label"])


async def set_category_enabled(pool: Pool, actor: int, code: str, enabled: bool) -> None:
    async with pool.acquire() as con, con.transaction():
        category = await _category(con, code)
        if category.enabled != enabled:
            await categories.set_enabled(con, code, enabled)
            await audit.change(con, actor, "update", "report_category", code, ["enabled"])


# Partners


@dataclass(frozen=True)
class PartnersPage:
    partners: list[partners.Partner]


async def _partners(con: Conn) -> PartnersPage:
    return PartnersPage(await partners.all_partners(con))


async def partners_page(pool: Pool) -> PartnersPage:
    async with pool.acquire() as con:
        return await _partners(con)


async def add_partner(pool: Pool, actor: int, form: Form) -> int:
    async with pool.acquire() as con, page_on_refusal(lambda: _partners(con)):
        new = forms.parse_partner(form)
        async with con.transaction():
            partner_id = await partners.add(con, new.name, new.kind)
            if partner_id is None:
                raise Invalid("A partner of that name exists.", "name")
            await audit.change(con, actor, "create", "partner", partner_id, ["name", "kind"])
    return partner_id


async def set_partner_enabled(pool: Pool, actor: int, partner_id: int, enabled: bool) -> None:
    async with pool.acquire() as con, con.transaction():
        partner = await partners.by_id(con, partner_id)
        if partner is None:
            raise NotFound("There is no such partner.")
        if partner.enabled != enabled:
            await partners.set_enabled(con, partner_id, enabled)
            await audit.change(con, actor, "update", "partner", partner_id, ["enabled"])
