"""Heartbeats keep an agent online; silence takes them offline and tells their supervisor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    config = stack_config(heartbeat_timeout=2)
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as stack:
        yield stack


async def statuses(stack: Stack) -> dict[str, str]:
    return {a["agent_id"]: a["status"] for a in (await stack.http.get("/api/agents")).json()}


async def test_silence_takes_the_agent_offline_and_flags_their_contact(
    stack: Stack, mailbox: Mailbox
) -> None:
    await stack.status("alice", "available")
    assert (await stack.post_form(email="c@example.com", message="help")).status_code == 202
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    for _ in range(6):  # three seconds of heartbeats: longer than the timeout, still online
        assert (await stack.http.post("/api/agents/alice/heartbeat")).status_code == 204
        await asyncio.sleep(0.5)
    assert (await statuses(stack))["alice"] == "available"

    async def offline() -> bool:  # then the desk goes quiet
        return (await statuses(stack))["alice"] == "offline"

    await eventually(offline, timeout=15)
    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == "sam@example.com"
    assert "alice cannot be reached" in mail["Subject"]
    customer = await eventually(lambda: stack.customer("c@example.com"))

    async def flagged() -> bool:
        entries = await stack.timeline(customer["customer_id"])
        return any(e["kind"] == "ContactFlagged" for e in entries)

    await eventually(flagged)
    assert (await stack.http.post("/api/agents/nobody/heartbeat")).status_code == 404
