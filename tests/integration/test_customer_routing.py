"""What history knows of a customer shapes routing, through the real services: a returning
customer goes first to the agent who served them, and a VIP jumps the line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=30)
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def serve(stack: Stack, agent: str, email: str, message: str) -> dict[str, Any]:
    """A customer writes and `agent` takes and completes the contact."""
    assert (await stack.post_form(email=email, message=message)).status_code == 202
    [offer] = await eventually(lambda: stack.offers(agent))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    done = await stack.http.post(f"/api/contacts/{offer['contact_id']}/complete", json={})
    assert done.status_code == 200
    return offer


async def test_a_returning_customer_goes_to_their_last_agent(stack: Stack) -> None:
    await stack.status("bob", "available")
    first = await serve(stack, "bob", "ana@example.com", "my router")
    await stack.status("alice", "available")  # alice: free longer than bob from now on

    async def served_by_bob() -> bool:  # history has recorded who took it
        card = await stack.customer("ana@example.com")
        return bool(card and card["last_contacts"])

    await eventually(served_by_bob)
    assert (await stack.post_form(email="ana@example.com", message="again")).status_code == 202
    [again] = await eventually(lambda: stack.offers("bob"))
    assert again["sticky"] and again["customer_id"] == first["customer_id"]
    assert await stack.offers("alice") == []
    # someone new goes the usual way: to alice
    assert (await stack.post_form(email="new@example.com", message="hello")).status_code == 202
    [usual] = await eventually(lambda: stack.offers("alice"))
    assert not usual["sticky"]


async def test_a_vip_jumps_the_line(stack: Stack) -> None:
    await stack.status("alice", "available")
    await serve(stack, "alice", "vip@example.com", "first time")
    card = await eventually(lambda: stack.customer("vip@example.com"))
    tier = await stack.http.put(f"/api/customers/{card['customer_id']}/tier", json={"tier": "vip"})
    assert tier.status_code == 200, tier.text
    await stack.status("alice", "away")
    for email in ("early@example.com", "vip@example.com"):  # the VIP writes last
        assert (await stack.post_form(email=email, message="please")).status_code == 202

    async def both_waiting() -> bool:
        r = await stack.http.get("/api/queues/default/stats")
        return bool(r.json()["waiting"] == 2)

    await eventually(both_waiting)
    await stack.status("bob", "available")  # one at a time: bob takes one contact
    [offer] = await eventually(lambda: stack.offers("bob"))
    assert offer["customer_id"] == card["customer_id"]
    contact = (await stack.http.get(f"/api/contacts/{offer['contact_id']}")).json()
    assert contact["priority"] == 10
