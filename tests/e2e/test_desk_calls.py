"""The desk's call panel in a real browser: an agent accepts a phone call, sees it ringing
her and then connected (recorded, with a timer), holds and resumes the customer, and ends the
call. Twilio is a local server speaking its API; the screenshot goes to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, running_stack
from tests.support.voice_calls import PHONES, ring_in, voice_config
from tests.support.waiting import eventually

LIVE = 15_000  # ms


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    config = voice_config(fake_twilio, ring_seconds=30)
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def test_the_call_panel_follows_the_call_and_controls_it(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.ring_seconds = 3  # long enough to see "ringing you"
    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")
        caller = await ring_in(stack, 21)
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        panel = alice.locator("section.call")
        await expect(panel.locator(".call-state")).to_have_text("Call: ringing you", timeout=LIVE)
        await expect(panel.locator(".call-state")).to_have_text(
            "Call: connected · recording", timeout=LIVE
        )
        await expect(panel.locator(".call-timer")).to_have_text(re.compile(r"\d\d:\d\d"))
        await alice.screenshot(path=SCREENSHOTS / "desk-call.png")

        # sam listens in from the console: his phone joins muted.
        console = await pages.open("/console")
        await sign_in(console, "sam")
        listen = console.get_by_role("button", name="Listen to Alice")
        await expect(listen).to_be_visible(timeout=LIVE)
        await listen.click()
        await expect(console.get_by_role("status")).to_have_text(
            "Calling your phone: you listen muted"
        )
        [joined] = [d for d in voice.requests("Participants.json") if d["To"] == PHONES["sam"]]
        assert (joined["Muted"], joined["Label"]) == ("true", "supervisor-sam")

        await panel.get_by_role("button", name="Hold").click()
        await expect(alice.get_by_role("status")).to_have_text("Customer on hold")
        await expect(panel.locator(".call-state")).to_have_text("Call: on hold · recording")
        assert voice.legs[caller].hold is True
        await panel.get_by_role("button", name="Resume").click()
        await expect(panel.locator(".call-state")).to_have_text("Call: connected · recording")
        assert voice.legs[caller].hold is False
        await panel.get_by_role("button", name="End call").click()
        await expect(panel.locator(".call-state")).to_have_text("Call: ended")
        await expect(panel.get_by_role("button", name="End call")).to_be_disabled()


async def test_the_console_shows_when_twilio_is_failing(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.voice.failures = 3  # every try of the dial gets a 500
    await stack.status("alice", "available")
    await ring_in(stack, 22)
    [offer] = await eventually(lambda: stack.offers("alice"))
    r = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert r.status_code == 200, r.text
    async with chromium(stack.base_url) as pages:
        console = await pages.open("/console")
        await sign_in(console, "sam")
        trouble = console.locator("#voice-trouble")
        await expect(trouble).to_contain_text("Twilio failing", timeout=LIVE)
        await expect(trouble).to_contain_text("Phone calls: voice bridge:")
