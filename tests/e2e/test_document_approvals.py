"""Documents in a real browser: an agent generates one from the open contact and asks for
approval; the supervisor's console shows it under "Needs my approval", a rejection without
a comment is refused, with one it goes back; revised, delegated by the supervisor to his
own supervisor and approved by her, the agent sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from schemas.documents_config import ApprovalRule, DocumentsConfig, DocumentTemplate
from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

LIVE = 15_000  # ms
OFFER = DocumentTemplate(
    name="offer",
    title="Offer for {{ customer.name }}",
    body="Dear {{ customer.first_name }}, we offer the service for {{ document.amount }} EUR.",
)


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    documents = DocumentsConfig(
        templates=[OFFER], approval_rules=[ApprovalRule(template="offer", min_amount=100)]
    )
    config = stack_config(offer_timeout=60, escalation_timeout=600)
    config = config.model_copy(update={"documents": documents})
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as s:
        yield s


async def test_document_approval_in_desk_and_console(stack: Stack, mailbox: Mailbox) -> None:
    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        r = await stack.post_form(name="Ana Lima", email="ana@example.com", message="An offer?")
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        await expect(alice.get_by_role("heading", name="Contact: webform")).to_be_visible()

        await alice.get_by_label("Document").select_option("offer")
        await alice.get_by_label("Amount").fill("500")
        await alice.get_by_role("button", name="Generate").click()
        request = alice.locator("#my-requests li.document")
        await expect(request).to_contain_text("Offer for Ana Lima · v1 · draft", timeout=LIVE)
        await request.get_by_role("button", name="Ask for approval").click()
        await expect(request).to_contain_text("waiting for approval: sam", timeout=LIVE)

        sam = await pages.open("/console")
        await sign_in(sam, "sam")
        waiting = sam.locator("#approvals li.approval")
        await expect(waiting).to_contain_text(
            "Offer for Ana Lima · v1 · 500 · from alice", timeout=LIVE
        )
        await expect(waiting).to_contain_text("we offer the service for 500 EUR")
        await sam.screenshot(path=SCREENSHOTS / "console-needs-my-approval.png", full_page=True)
        await waiting.get_by_role("button", name="Reject").click()
        await expect(sam.get_by_role("status")).to_have_text(
            "A rejection needs a comment saying why"
        )
        await waiting.get_by_label("Comment").fill("Say when it starts")
        await waiting.get_by_role("button", name="Reject").click()
        await expect(waiting).to_have_count(0, timeout=LIVE)

        await expect(request).to_contain_text("rejected", timeout=LIVE)
        alice.once("dialog", lambda d: d.accept("Dear Ana, from March we offer it for 500 EUR."))
        await request.get_by_role("button", name="Revise").click()
        await expect(request).to_contain_text("v2", timeout=LIVE)
        await request.get_by_role("button", name="Ask for approval").click()
        await expect(request).to_contain_text("waiting for approval: sam", timeout=LIVE)

        # sam is going away: he hands this one to hana, who approves it in her console.
        await sam.reload()
        await expect(waiting).to_contain_text("from March", timeout=LIVE)
        await waiting.get_by_label("Delegate to (person id)").fill("hana")
        await waiting.get_by_role("button", name="Delegate").click()
        await expect(waiting).to_have_count(0, timeout=LIVE)
        await expect(request).to_contain_text("waiting for approval: hana", timeout=LIVE)
        hana = await pages.open("/console")
        await sign_in(hana, "hana")
        hers = hana.locator("#approvals li.approval")
        await expect(hers).to_contain_text("from March", timeout=LIVE)
        await hers.get_by_role("button", name="Approve").click()
        await expect(hers).to_have_count(0, timeout=LIVE)

        await expect(request).to_contain_text("approved", timeout=LIVE)
        await request.get_by_role("button", name="Send to customer").click()
        await expect(request).to_contain_text("· sent", timeout=LIVE)  # the channel's word
        await alice.screenshot(path=SCREENSHOTS / "desk-my-requests.png", full_page=True)

        async def mailed() -> bool:
            return any(m["To"] == "ana@example.com" for m in mailbox.messages)

        assert await eventually(mailed)
        assert pages.errors == []
