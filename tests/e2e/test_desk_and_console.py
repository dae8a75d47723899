"""The desk and the console in a real browser, against the whole system: an agent takes a
contact from a web form to completion; another lets an offer lapse and the supervisor gets
the escalation on the console and by e-mail. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from schemas.config import HistoryConfig
from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

LIVE = 15_000  # ms: what "appears live" may take on a loaded 2-core machine


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    # Offers last long enough to be accepted by a test, and short enough to watch one lapse.
    # Only e-mail merges customers at once: a shared phone number is a suggestion.
    # A wrap-up longer than the test: it ends when the agent says Ready.
    config = stack_config(offer_timeout=12, escalation_timeout=600)
    config = config.model_copy(
        update={
            "history": HistoryConfig(auto_merge_on=["email"]),
            "routing": config.routing.model_copy(update={"wrap_up_seconds": 600}),
        }
    )
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as s:
        yield s


async def test_agent_takes_a_contact_and_a_lapsed_offer_escalates(
    stack: Stack, mailbox: Mailbox
) -> None:
    async with chromium(stack.base_url) as pages:
        console = await pages.open("/console")
        await sign_in(console, "sam")
        await expect(console.get_by_role("heading", name="Queues")).to_be_visible()

        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await expect(alice.get_by_text("alice (agent)")).to_be_visible()
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")
        await expect(console.locator('tr[data-agent="alice"] td.status')).to_have_text(
            "available", timeout=LIVE
        )

        bob = await pages.open("/desk")
        await sign_in(bob, "bob")
        await expect(bob.get_by_text("bob (agent)")).to_be_visible()

        # A customer writes through the web form; the offer appears on alice's desk alone.
        r = await stack.post_form(
            name="Ana <b>Lima</b>",
            email="ana@example.com",
            message="My router <script>alert(1)</script> keeps dropping the line",
        )
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await expect(offer.locator(".summary")).to_contain_text("<script>alert(1)</script>")
        await expect(offer.locator(".countdown")).to_have_text(re.compile(r"Expires in \d+ s"))
        # The screen pop: who the customer is and what they wrote before, as plain text.
        await expect(offer.locator(".customer-name")).to_have_text("Ana <b>Lima</b>", timeout=LIVE)
        await expect(offer.locator(".timeline")).to_contain_text("InteractionReceived")
        await alice.screenshot(path=SCREENSHOTS / "desk-offer.png")
        await expect(bob.locator("li.offer")).to_have_count(0)

        # Accepted by keyboard: Tab to the button, Enter.
        await offer.get_by_role("button", name="Accept").focus()
        await alice.keyboard.press("Enter")
        await expect(alice.get_by_role("heading", name="Contact: webform")).to_be_visible()
        await expect(alice.locator("li.offer")).to_have_count(0)
        await alice.get_by_label("Note on the customer").fill("Prefers e-mail <i>after 5</i>")
        await alice.get_by_role("button", name="Add note").click()
        await expect(alice.locator("#work .notes")).to_contain_text("Prefers e-mail <i>after 5</i>")
        await alice.get_by_label("Tag (lowercase)").fill("router")
        await alice.get_by_label("Tag (lowercase)").press("Enter")
        await expect(alice.locator("#work .tags")).to_have_text("router")
        await alice.get_by_label("Reply to the customer").fill("We are on it, Ana.")
        await alice.get_by_role("button", name="Send reply").click()
        await expect(alice.get_by_role("status")).to_have_text(
            "Reply sent to the customer's channel"
        )
        await expect(alice.locator("#timeline")).to_contain_text("ReplyRequested", timeout=LIVE)
        await alice.screenshot(path=SCREENSHOTS / "desk-contact.png")
        await alice.get_by_label("Disposition").select_option("resolved")
        await alice.get_by_role("button", name="Complete").click()
        await expect(alice.get_by_role("status")).to_have_text("Completed")
        await expect(alice.locator("#work")).to_be_hidden()
        # After-contact work: nothing new comes until alice says she is ready.
        await expect(alice.locator("#wrap-up-left")).to_contain_text("Wrap-up:", timeout=LIVE)
        await alice.get_by_role("button", name="Ready").click()
        await expect(alice.get_by_role("status")).to_have_text("Ready for the next contact")
        await expect(alice.locator("#wrap-up")).to_be_hidden()

        # alice steps away; bob is available and lets the next offer lapse.
        await alice.get_by_label("Status").select_option("away")
        await expect(alice.get_by_role("status")).to_have_text("You are away")
        await bob.get_by_label("Status").select_option("available")
        await expect(bob.get_by_role("status")).to_have_text("You are available")
        r = await stack.post_form(
            email="ben@example.com", phone="+4915100000002", message="Please call me back"
        )
        assert r.status_code == 202, r.text
        await expect(bob.locator("li.offer")).to_have_count(1, timeout=LIVE)
        await expect(alice.locator("li.offer")).to_have_count(0)
        await expect(bob.locator("li.offer")).to_have_count(0, timeout=LIVE)

        # sam sees the escalation live, and gets the e-mail.
        escalation = console.locator("li.escalation")
        await expect(escalation).to_have_count(1, timeout=LIVE)
        await expect(escalation).to_contain_text("Please call me back")
        await expect(console.locator(".queue .agents-by-status")).to_have_text(
            "away 1, not responding 1"
        )
        await console.screenshot(path=SCREENSHOTS / "console-escalation.png", full_page=True)
        # alice's reply went to ana by e-mail (she wrote through the web form); sam's
        # escalation is the other mail.
        mails = await mailbox.wait_for(2, timeout=30)
        assert sorted(m["To"] for m in mails) == ["ana@example.com", "sam@example.com"]
        [to_sam] = [m for m in mails if m["To"] == "sam@example.com"]
        body = to_sam.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert "Please call me back" in text and f"{stack.base_url}/console?contact=" in text

        # Why it went to sam; sam hands it to alice, who is back and declines it.
        await escalation.get_by_role("button", name="Why?").click()
        await expect(console.locator("#routing")).to_contain_text("escalate → sam")
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")
        await escalation.get_by_label("Reassign to").select_option("alice")
        await escalation.get_by_role("button", name="Reassign").click()
        await expect(console.get_by_role("status")).to_have_text("Handed to alice")
        handed = alice.locator("li.offer")
        await expect(handed).to_have_count(1, timeout=LIVE)
        await expect(handed.locator("p.summary")).to_have_text("Please call me back")
        await handed.get_by_role("button", name="Decline").click()
        await expect(alice.locator("li.offer")).to_have_count(0)

        # Back on sam's console, and this time sam takes it himself.
        await expect(escalation).to_have_count(1, timeout=LIVE)
        await escalation.get_by_role("button", name="Accept").click()
        await expect(console.get_by_role("status")).to_have_text("Accepted: it is on your desk")
        await expect(console.locator("li.escalation")).to_have_count(0)

        # Ben's form named a phone number nobody vouched for (anyone can type any number):
        # it was not tied to him but suggested. sam decides it is his, then undoes that.
        suggestion = console.locator("li.suggestion")
        await expect(suggestion).to_have_count(1, timeout=LIVE)
        await expect(suggestion).to_contain_text("email:ben@example.com")
        await console.screenshot(path=SCREENSHOTS / "console-merge-suggestion.png", full_page=True)
        await suggestion.get_by_role("button", name="Confirm merge").click()
        await expect(console.get_by_role("status")).to_have_text("Merged")
        await expect(suggestion).to_have_count(0)
        await console.get_by_label("Value").fill("ben@example.com")
        await console.get_by_label("Value").press("Enter")
        found = console.locator("article.found")
        await expect(found.locator(".identities")).to_contain_text("phone:+4915100000002")
        await found.get_by_role("button", name="Undo the last merge").click()
        await expect(console.get_by_role("status")).to_have_text("Unmerged")
        await expect(found.locator(".identities")).not_to_contain_text("phone:+4915100000002")

        # Closing the desk takes the agent offline at once, without waiting for heartbeats.
        await alice.goto("about:blank")
        await eventually(lambda: _status_is(stack, "alice", "offline"), timeout=10)

        for page in (alice, bob, console):
            await page.close()
        assert pages.errors == []


async def _status_is(stack: Stack, agent: str, status: str) -> bool:
    agents = (await stack.http.get("/api/agents")).json()
    return any(a["agent_id"] == agent and a["status"] == status for a in agents)
