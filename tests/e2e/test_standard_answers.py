"""Standard answers in a real browser: a supervisor adds one in the console; an agent types
"/" and its shortcut in the desk's composer and gets it filled from the customer's card."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.stack import Stack, running_stack, stack_config

LIVE = 15_000  # ms: what "appears live" may take on a loaded 2-core machine


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=60, escalation_timeout=600)
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


async def test_supervisor_adds_an_answer_and_the_agent_inserts_it(stack: Stack) -> None:
    async with chromium(stack.base_url) as pages:
        sam = await pages.open("/console")
        await sign_in(sam, "sam")
        await sam.get_by_label("Shortcut").fill("refund")
        await sam.get_by_label("Title", exact=True).fill("Refund on its way")
        await sam.locator("#answer-body").fill(
            "Dear {{ customer.first_name }}, your refund ({{ contact.reference }}) is on its"
            " way. {{ agent.name }}"
        )
        await sam.get_by_role("button", name="Save").click()
        row = sam.locator("#answer-templates tr")
        await expect(row).to_have_count(1, timeout=LIVE)
        await expect(row).to_contain_text("/refund")

        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        r = await stack.post_form(name="Ana Lima", email="ana@example.com", message="Refund?")
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        await expect(alice.get_by_role("heading", name="Contact: webform")).to_be_visible()

        composer = alice.get_by_label("Reply to the customer")
        await composer.press_sequentially("/ref")
        suggestion = alice.locator("#answer-suggestions button")
        await expect(suggestion).to_contain_text("/refund — Refund on its way")
        await alice.screenshot(path=SCREENSHOTS / "desk-answer-suggestions.png", full_page=True)
        await composer.press("Tab")
        filled = re.compile(r"^Dear Ana, your refund \(C-[0-9A-F]{8}\) is on its way\. Alice$")
        await expect(composer).to_have_value(filled, timeout=LIVE)

        await sam.reload()
        await expect(sam.locator("#answer-templates tr td.number")).to_have_text("1", timeout=LIVE)
        await sam.screenshot(path=SCREENSHOTS / "console-standard-answers.png", full_page=True)
        assert pages.errors == []
