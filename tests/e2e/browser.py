"""Headless Chromium (Debian's /usr/bin/chromium) driven by the playwright package, with
every console error and uncaught page error collected so a test can assert there were none."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home, and this machine's
# closed network refuses it many times a second.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Pages:
    browser: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def open(self, path: str, locale: str = "en-US") -> Page:
        """A page in a fresh context: its own cookies, as a separate person's browser
        (whose languages are `locale`)."""
        context = await self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 860}, locale=locale
        )
        self.contexts.append(context)
        page = await context.new_page()
        name = f"{path}#{len(self.contexts)}"
        page.on(
            "console",
            # The location names the resource when a request failed.
            lambda m: (
                self.errors.append(f"{name}: {m.text} ({m.location.get('url')})")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"{name}: {e}"))
        await page.goto(path)
        return page


@contextlib.asynccontextmanager
async def chromium(base_url: str) -> AsyncIterator[Pages]:
    if shutil.which(str(CHROMIUM)) is None:
        pytest.fail("Debian's chromium is missing: ./sb test installs it")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pages = Pages(browser, base_url)
        try:
            yield pages
        finally:
            for context in pages.contexts:
                await context.close()
            await browser.close()


async def sign_in(page: Page, user: str) -> None:
    """By keyboard, as a person would: the password is the user's id in the test config."""
    await page.get_by_label("User").fill(user)
    await page.get_by_label("Password").fill(user)
    await page.get_by_label("Password").press("Enter")
