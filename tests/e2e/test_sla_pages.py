"""SLA in a real browser: the agent's desk counts down the first-response target of the
contact they hold (its policy chosen by the request type the rules gave it), then shows it
overdue; the agent changes the request type; the supervisor's console lists the contact at
risk, then breached. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from schemas.request_types import RequestType
from schemas.sla_config import SlaConfig
from switchboard.auth import session_secret
from switchboard.nats_server import NatsServerProcess
from switchboard.status_links import StatusLinks
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.stores import opened_contacts
from tests.support.waiting import eventually

LIVE = 20_000  # ms: what "appears live" may take on a loaded 2-core machine
TARGET_MINUTES = 0.25  # 15 s: long enough to read a countdown, short enough to see it lapse


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=30, escalation_timeout=600)
    sla = SlaConfig.model_validate(
        {
            "policies": [
                {
                    "name": "web",
                    "match": 'request_type == "question"',  # the type chose the policy
                    "first_response_minutes": TARGET_MINUTES,
                    "warn_at": [0.2],
                }
            ]
        }
    )
    types = [
        RequestType(name="question", match='channel == "webform"'),
        RequestType(name="complaint", keywords=["refund"]),
    ]
    routing = config.routing.model_copy(update={"request_types": types})
    config = config.model_copy(update={"sla": sla, "routing": routing})
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


async def test_desk_counts_down_and_console_shows_risk_then_breach(stack: Stack) -> None:
    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")

        r = await stack.post_form(name="Ana", email="ana@example.com", message="Where is my order?")
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()

        countdown = alice.locator("#contacts .sla-countdown")
        await expect(countdown).to_have_text(re.compile(r"First response: .+ left"), timeout=LIVE)
        await alice.screenshot(path=SCREENSHOTS / "desk-sla-countdown.png")

        # The rules said "question"; alice says it is a complaint.
        kind = alice.get_by_label("Request type")
        await expect(kind).to_have_value("question", timeout=LIVE)
        await kind.select_option("complaint")
        await alice.get_by_role("button", name="Change").click()
        await expect(alice.get_by_role("status")).to_have_text("Request type changed")
        [held] = (await stack.http.get("/api/agents/alice/contacts")).json()
        assert held["request_type"] == "complaint"

        console = await pages.open("/console")
        await sign_in(console, "sam")
        board = console.locator("#sla-board tr")
        await expect(board.first.locator("td").first).to_have_text(
            re.compile("At risk|Breached"), timeout=LIVE
        )
        await expect(countdown).to_have_text(
            re.compile(r"First response: overdue by"), timeout=LIVE
        )
        await expect(countdown).to_have_class(re.compile("overdue"))
        await expect(board).to_have_count(1)
        await expect(board.first.locator("td").first).to_have_text("Breached", timeout=LIVE)
        await expect(board.first).to_contain_text("alice")
        await console.screenshot(path=SCREENSHOTS / "console-sla-board.png")


async def test_the_customer_follows_their_request_by_its_signed_link(stack: Stack) -> None:
    r = await stack.post_form(name="Cem", email="cem@example.com", message="Is it shipped?")
    assert r.status_code == 202, r.text
    [contact] = await eventually(lambda: opened(stack), timeout=20)
    links = StatusLinks(session_secret(stack.settings), stack.base_url)
    async with chromium(stack.base_url) as pages:
        page = await pages.open(links.url(uuid.UUID(contact)).removeprefix(stack.base_url))
        await expect(page.locator("#reference")).to_have_text(re.compile(r"Reference A-\w{4}"))
        await expect(page.locator('#stages li[aria-current="step"]')).to_have_text("Received")
        await page.screenshot(path=SCREENSHOTS / "customer-status.png")
        forged = await pages.open("/status#" + links.token(uuid.UUID(contact))[:-2] + "xx")
        await expect(forged.get_by_role("alert")).to_have_text(
            "This link does not lead to a request."
        )
        await expect(forged.locator("#stages li")).to_have_count(0)


async def opened(stack: Stack) -> list[str] | None:
    return [str(c) for c in opened_contacts(stack.settings)] or None
