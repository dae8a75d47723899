"""The reports page in a real browser: a supervisor sees the figures, the SVG charts drawn
in the page under its CSP, drills down to the contacts behind a number and exports CSV."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.integration.test_reports import FORMS, report, serve_one
from tests.support.stack import Stack, running_stack
from tests.support.waiting import eventually

LIVE = 15_000


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server) as s:
        yield s


async def test_supervisor_reads_charts_drills_down_and_exports(stack: Stack) -> None:
    alice = await stack.signed_in("alice")
    await stack.status("alice", "available")
    for n, form in enumerate(FORMS):
        assert (await stack.post_form(message=f"question {n}", **form)).status_code == 202
    await serve_one(stack, alice, "sale")
    await serve_one(stack, alice, "fixed")

    async def projected() -> bool:
        rows = (await report(stack.http, "metrics", bucket="all"))["rows"]
        return bool(rows) and rows[0]["resolved"] == 2

    await eventually(projected)
    async with chromium(stack.base_url) as pages:
        page = await pages.open("/reports")
        await sign_in(page, "sam")
        await expect(page.get_by_role("heading", name="Figures")).to_be_visible()
        await page.get_by_label("By", exact=True).select_option("source")
        await page.get_by_role("button", name="Show").click()
        table = page.locator("#metrics tbody tr")
        await expect(table).to_have_count(2, timeout=LIVE)  # sam's queue: both sources
        await expect(page.locator("#chart svg rect.bar-answered").first).to_be_visible()
        await expect(page.locator("#funnel svg text").first).to_have_text("google")  # most first
        await expect(page.locator("#agent-time tbody tr").first).to_contain_text("alice")
        await page.screenshot(path=SCREENSHOTS / "reports.png", full_page=True)

        # The count opens the contacts behind it.
        await table.filter(has_text="google").locator("button").first.click()
        await expect(page.locator("#drill tbody tr")).to_have_count(2, timeout=LIVE)
        await page.screenshot(path=SCREENSHOTS / "reports-drill-down.png", full_page=True)

        async with page.expect_download() as download:
            await page.get_by_role("link", name="Export contacts (CSV)").click()
        saved = await (await download.value).path()
        lines = (await asyncio.to_thread(Path(saved).read_text)).splitlines()
        assert lines[0].startswith("contact_id,opened_at,channel,source")
        assert len(lines) == 1 + 3  # the header, then the three contacts of his queue

        # Sam subscribes to the daily report from the page; it is listed, then cancelled.
        await page.get_by_label("At").fill("07:30")
        await page.get_by_role("button", name="Subscribe").click()
        listed = page.locator("#subscriptions li")
        await expect(listed).to_have_text("daily at 07:30 (UTC) Cancel", timeout=LIVE)
        await page.screenshot(path=SCREENSHOTS / "reports-subscription.png", full_page=True)
        await listed.get_by_role("button", name="Cancel").click()
        await expect(listed).to_have_count(0, timeout=LIVE)
    assert pages.errors == []
