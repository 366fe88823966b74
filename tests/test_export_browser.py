"""The anonymised export in a real browser: a coordinator chooses months, facilities and a
threshold, and the downloaded file holds the chosen cells and no identifier."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from playwright.async_api import expect

from tests.browser import ARTIFACTS, Browsing
from tests.test_export_web import PUBLISHED, leaked, seed
from tests.web_fixtures import PASSWORDS, WebApp


async def test_a_coordinator_downloads_an_anonymised_export(web: WebApp,
                                                            browsing: Browsing) -> None:
    seeded = await seed(web)
    f0, name0 = seeded.facilities[0]
    page = await browsing.signed_in(web.base_url, "supervisor1", PASSWORDS["supervisor1"])
    await page.click('nav a[href="/evidence/export"]')
    await expect(page.locator("h1")).to_have_text("Anonymised export")
    await page.fill("#ex-since", "2026-03")
    await page.fill("#ex-until", "2026-04")
    await page.select_option("#ex-facility", [str(f0)])
    await page.fill("#ex-threshold", "4")
    await page.click("#export-form button[type=submit]")
    await expect(page.locator("#export-reports-csv")).to_have_attribute(
        "href", f"/evidence/export/reports.csv?since=2026-03&until=2026-04&facility={f0}"
                "&threshold=4")
    await expect(page.locator("#ex-facility option:checked")).to_have_text(name0)

    async with page.expect_download() as started:
        await page.click("#export-reports-csv")
    body = await asyncio.to_thread(Path(await (await started.value).path()).read_bytes)
    rows = list(csv.reader(io.StringIO(body.decode())))[1:]
    # Facility 0 in March: six reports published; the cell of two stays back at 4 too.
    assert [(r[0], r[3]) for r in rows] == [(name0, "2026-03")] * 6
    assert [r[7] for r in rows if r[7]] == [PUBLISHED]
    assert leaked(body, seeded) == []
    await page.screenshot(path=str(ARTIFACTS / "anonymised-export.png"))
    browsing.check_clean()
