"""A real browser for the web tests: Playwright driving Debian's Chromium, headless.

Playwright's own browser download cannot work here, so the fixture launches Debian's
chromium-headless-shell: the same engine as the chromium package, without the desktop
browser around it (it is what Playwright itself runs headless), at a third of the CPU.
Each page records script errors, Content-Security-Policy refusals and
failed requests; `Browsing.check_clean()` fails a test whose pages had any.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    async_playwright,
    expect,
)

CHROMIUM = "/usr/bin/chromium-headless-shell"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class Browsing:
    browser: Browser
    problems: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(self) -> Page:
        """A page in a new context: its own cookies, as a second person's browser."""
        context = await self.browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", lambda msg: self.problems.append(f"console: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text else None)
        page.on("response", self._response)
        return page

    def _response(self, response: Response) -> None:
        """A refused or failed request is a problem; a 404 only for the page's own files
        (an A-number lookup that finds nobody answers 404, and that is fine); a 409 for the
        transfer choices of a call that ended as the console asked is right too."""
        path = urlsplit(response.url).path
        over = response.status == 409 and path.endswith("/transfer-choices")
        if response.status >= 400 and not over and (
                response.status != 404 or path.startswith("/static/")):
            self.problems.append(f"HTTP {response.status} {path}")

    async def signed_in(self, base_url: str, username: str, password: str,
                        path: str = "/") -> Page:
        page = await self.page()
        await page.goto(f"{base_url}/login?next={path}")
        await page.fill("#username", username)
        await page.fill("#password", password)
        await page.click("#sign-in")
        await expect(page.locator("#sign-out")).to_be_visible()
        return page

    def check_clean(self) -> None:
        assert not self.problems, self.problems

    @staticmethod
    async def screenshot(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One browser per worker: starting Playwright's driver and Chromium cost about a
    second of CPU each time, for each of some fifty tests (the tests share one event loop
    per worker for this, pyproject.toml)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def browsing(browser: Browser) -> AsyncIterator[Browsing]:
    """The test's own browser contexts (cookies, storage), closed after it."""
    browsing = Browsing(browser)
    try:
        yield browsing
    finally:
        for context in browsing.contexts:
            await context.close()


async def admin_enrolled(browsing: Browsing, base: str, next_path: str = "/admin") -> Page:
    """admin1 signed in, setting up the second factor as every admin must the first time."""
    import pyotp

    from tests.web_fixtures import PASSWORDS

    page = await browsing.page()
    await page.goto(f"{base}/login?next={next_path}")
    await page.fill("#username", "admin1")
    await page.fill("#password", PASSWORDS["admin1"])
    await page.click("#sign-in")
    secret = await page.locator("#totp-secret").inner_text()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("#enrol-submit")
    await expect(page.locator("#sign-out")).to_be_visible()
    return page


async def queue_created(page: Page, base: str, name: str) -> int:
    """A queue made on the admin's queues page (language wait 3 s, ring 20 s, no wrap-up);
    its id, read from the page it lands on."""
    await page.goto(f"{base}/admin/queues")
    await page.fill("#queue-name", name)
    await page.fill("#queue-language_wait_seconds", "3")
    await page.fill("#queue-ring_timeout_seconds", "20")
    await page.fill("#queue-wrapup_seconds", "0")
    await page.click("#create-queue")
    await expect(page.locator("#notice")).to_have_text("Queue created.")
    return int(page.url.split("/admin/queues/")[1].split("?")[0])


async def operator_created(page: Page, base: str, username: str, name: str, language: str,
                           queue_id: int, queue_name: str) -> str:
    """An operator made on the admin's operators page, serving that queue; the SIP secret
    the page shows this once."""
    await page.goto(f"{base}/admin/operators")
    await page.fill("#operator-sip_username", username)
    await page.fill("#operator-display_name", name)
    await page.check(f"#operator-languages input[value={language}]")
    await page.check(f"#operator-queues input[value='{queue_id}']")
    await page.click("#create-operator")
    secret = await page.locator("#sip-secret").inner_text()
    await expect(page.locator("#sip-username")).to_have_text(username)
    await expect(page.locator(f"#operator-{username}")).to_contain_text(queue_name)
    return secret
