"""Account owners on the desk, in a real browser against the whole system: bob takes a
contact of alice's customer while she is away; the screen pop names the owner (and offers
to hand it to her), alice's desk is told, her accounts panel shows who has it, and she
takes it over from there.
Screenshots go to docs/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium, sign_in
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

LIVE = 15_000  # ms: what "appears live" may take on a loaded 2-core machine


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=30, escalation_timeout=600)
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


async def test_the_owner_is_told_and_the_contact_is_handed_to_them(stack: Stack) -> None:
    # A key customer, owned by alice (set by sam, a supervisor).
    r = await stack.post_form(name="Kim Key", email="kim@example.com", message="hello")
    assert r.status_code == 202, r.text
    card = await eventually(lambda: stack.customer("kim@example.com"))
    sam = await stack.signed_in("sam")
    owned = await sam.put(f"/api/customers/{card['customer_id']}/owner", json={"agent_id": "alice"})
    assert owned.status_code == 200, owned.text

    # Routing learns of the owner with the customer's next contact; this one was routed
    # before she had one.
    async def queued() -> list[dict[str, str]]:
        found = await stack.customer("kim@example.com")
        return found["open_conversations"] if found else []

    [first] = await eventually(queued)
    r = await sam.post(f"/api/contacts/{first['contact_id']}/cancel", json={"reason": "test"})
    assert r.status_code == 200, r.text
    r = await stack.post_form(name="Kim Key", email="kim@example.com", message="my order")
    assert r.status_code == 202, r.text

    async with chromium(stack.base_url) as pages:
        alice = await pages.open("/desk")
        await sign_in(alice, "alice")
        await expect(alice.get_by_text("alice (agent)")).to_be_visible()
        # Her book lists Kim (whose contact waits in the queue meanwhile).
        await expect(alice.locator("#accounts li.account")).to_contain_text("Kim Key", timeout=LIVE)
        await alice.get_by_label("Status").select_option("away")
        await expect(alice.get_by_role("status")).to_have_text("You are away")

        bob = await pages.open("/desk")
        await sign_in(bob, "bob")
        await bob.get_by_label("Status").select_option("available")
        offer = bob.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await expect(offer.locator(".owner")).to_have_text("alice", timeout=LIVE)
        await offer.get_by_role("button", name="Accept").click()
        await expect(bob.get_by_role("heading", name="Contact: webform")).to_be_visible()

        # alice is told live, and her panel shows bob has it.
        await expect(alice.get_by_role("status")).to_contain_text(
            "bob took a webform contact of your customer", timeout=LIVE
        )
        await expect(alice.locator("#accounts li.elsewhere")).to_contain_text("bob", timeout=LIVE)
        await alice.screenshot(path=SCREENSHOTS / "desk-accounts.png")

        # bob could hand it to the owner; alice, back, takes it over from her panel.
        await expect(
            bob.get_by_role("button", name="Transfer to the account owner (alice)")
        ).to_be_visible()
        await bob.screenshot(path=SCREENSHOTS / "desk-owner-transfer.png")
        await alice.get_by_label("Status").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("You are available")
        await alice.locator("#accounts").get_by_role("button", name="Take over").click()
        taken = alice.locator("li.offer")
        await expect(taken).to_have_count(1, timeout=LIVE)
        await taken.get_by_role("button", name="Accept").click()
        await expect(alice.get_by_role("heading", name="Contact: webform")).to_be_visible()
        await expect(bob.locator("#contacts li")).to_have_count(0, timeout=LIVE)

        for page in (alice, bob):
            await page.close()
        assert pages.errors == []
