"""The desk's follow-up control in a real browser: the holder schedules a call back at a
wall-clock time in the customer's zone (an unknown zone is refused with the field named),
sees it in their list and cancels it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import chromium, sign_in
from tests.support.stack import Stack, running_stack, stack_config

LIVE = 20_000  # ms: what "appears live" may take on a loaded 2-core machine


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=30, escalation_timeout=600)
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


async def test_the_holder_schedules_a_call_back_in_the_customers_zone(stack: Stack) -> None:
    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        r = await stack.post_form(name="Ana", email="ana@example.com", message="Call me please")
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()

        form = alice.locator("form.follow-up")
        await expect(form).to_be_visible(timeout=LIVE)
        await alice.get_by_label("Follow-up", exact=True).select_option("call")
        await alice.get_by_label("At (customer's time)").fill("2099-06-01T10:00")
        await alice.get_by_label("Customer's time zone").fill("Mars/Base")
        await form.get_by_role("button", name="Schedule").click()
        await expect(alice.get_by_role("status")).to_contain_text("time_zone", timeout=LIVE)

        await alice.get_by_label("Customer's time zone").fill("Europe/Berlin")
        await alice.get_by_label("Follow-up note").fill("the refund")
        await form.get_by_role("button", name="Schedule").click()
        await expect(alice.get_by_role("status")).to_have_text("Follow-up scheduled")
        [scheduled] = (await stack.http.get("/api/agents/alice/follow-ups")).json()
        assert scheduled["due_at"].startswith("2099-06-01T08:00:00")  # CEST, UTC+2
        assert (scheduled["kind"], scheduled["note"], scheduled["status"]) == (
            "call",
            "the refund",
            "scheduled",
        )
        mine = alice.get_by_role("list", name="Your follow-ups").locator("li")
        await expect(mine).to_have_count(1, timeout=LIVE)
        await expect(mine.first).to_contain_text("Call back · scheduled · the refund")
        await mine.first.get_by_role("button", name="Cancel follow-up").click()
        await expect(alice.get_by_role("status")).to_have_text("Follow-up cancelled")
        await expect(mine.first).to_contain_text("cancelled", timeout=LIVE)
        [cancelled] = (await stack.http.get("/api/agents/alice/follow-ups")).json()
        assert cancelled["status"] == "cancelled"
