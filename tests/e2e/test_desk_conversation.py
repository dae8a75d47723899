"""A whole SMS conversation on the agent desk, in a real browser: a customer's three quick
messages are one offer; the agent answers in the transcript; the customer's next message
arrives live in the same conversation (never the queue); unread counts; waiting on the
customer and their answer opening it again; a message after resolving reopens it to the
same agent. Twilio is a local server speaking its REST API; the SMS are Twilio-signed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from schemas.config import ChannelsConfig, EmailChannel, TwilioConfig
from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.channels import TWILIO_ACCOUNT, TWILIO_TOKEN
from tests.support.conversations import twilio_sms
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, running_stack, stack_config

LIVE = 15_000  # ms: what "appears live" may take on a loaded 2-core machine


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(TWILIO_ACCOUNT)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=60, escalation_timeout=600)
    sms = TwilioConfig(
        account_sid=TWILIO_ACCOUNT,
        auth_token=TWILIO_TOKEN,
        api_base_url=twilio.url,
        from_number="+4930123456",
    )
    channels = ChannelsConfig(twilio=sms, email=EmailChannel(enabled=False))
    # Room for three chats at once, as a chat agent has.
    roomy = {"messaging": 3, "email": 5}
    people = [p.model_copy(update={"capacity": roomy}) for p in config.people]
    config = config.model_copy(update={"channels": channels, "people": people})
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


async def text(stack: Stack, customer: int, n: int, body: str) -> None:
    path, content, headers = twilio_sms(customer, n, body, stack.base_url)
    r = await stack.http.post(path, content=content, headers=headers)
    assert r.status_code in (200, 202), r.text


async def test_an_sms_conversation_on_the_desk(stack: Stack, twilio: FakeTwilio) -> None:
    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")

        # Three quick messages: one conversation, one offer.
        for n, body in enumerate(["Hi", "my invoice 4411 is wrong", "it charges me twice"]):
            await text(stack, 1, n, body)
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await expect(offer).to_contain_text("3 messages", timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        await expect(alice.get_by_role("heading", name="Contact: sms")).to_be_visible()
        transcript = alice.locator("#transcript li.message")
        await expect(transcript).to_have_count(3)
        await expect(transcript.nth(0)).to_contain_text("Hi")
        await expect(transcript.nth(2)).to_contain_text("it charges me twice")

        # The agent answers in the transcript; Twilio gets exactly one message.
        await alice.get_by_label("Reply to the customer").fill("Sorry! I am refunding it now.")
        await alice.get_by_role("button", name="Send reply").click()
        reply = alice.locator("#transcript li.message.out")
        await expect(reply).to_contain_text("Sorry! I am refunding it now.", timeout=LIVE)
        await expect(reply).to_contain_text("sent", timeout=LIVE)
        assert [m["Body"] for m in twilio.messages] == ["Sorry! I am refunding it now."]

        # The customer answers: live, in the same conversation, not a new offer.
        await text(stack, 1, 3, "are you there?")
        await expect(transcript).to_have_count(5, timeout=LIVE)
        await expect(alice.locator("li.offer")).to_have_count(0)
        await alice.screenshot(path=SCREENSHOTS / "desk-conversation.png", full_page=True)

        # Waiting on the customer; their answer opens it again.
        await alice.get_by_role("button", name="Waiting on customer").click()
        await expect(alice.locator("#conversation-state")).to_contain_text("Pending")
        await text(stack, 1, 4, "here is the invoice number again: 4411")
        await expect(alice.locator("#conversation-state")).to_contain_text("Open", timeout=LIVE)
        await expect(transcript).to_have_count(6)

        # Another customer while alice works on the first: the first's new message shows as
        # unread in her list.
        await text(stack, 2, 0, "Hello, a different question")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        await expect(transcript).to_have_count(1, timeout=LIVE)
        await text(stack, 1, 5, "thanks!")
        badge = alice.locator("#contacts .badge")
        await expect(badge).to_have_text("1", timeout=LIVE)
        await alice.get_by_role("button", name="sms: thanks!").click()
        await expect(transcript).to_have_count(7, timeout=LIVE)
        await expect(badge).to_have_count(0)

        # Resolved, then one more message soon after: reopened, offered to alice again.
        await alice.get_by_label("Disposition").select_option("resolved")
        await alice.get_by_role("button", name="Complete").click()
        await expect(alice.get_by_role("status")).to_have_text("Completed")
        await text(stack, 1, 6, "one more thing")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await expect(offer).to_contain_text("one more thing")
        await expect(offer).to_contain_text("7 messages")  # from the customer
        await alice.screenshot(path=SCREENSHOTS / "desk-reopened.png")
        await alice.close()
        assert pages.errors == []
