"""History tells routing who a customer is only once their timeline shows the interaction,
so the offer's screen pop never lacks what the customer just wrote.

The timeline's writes are held back with a PostgreSQL table lock (reads go on), the way a
slow projection would hold them: nothing may be published while they are."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import psycopg
import pytest
from nats.aio.msg import Msg

from events import CustomerIdentified
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack
from tests.support.stores import stored_events
from tests.support.waiting import eventually


@pytest.fixture(params=["postgres"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server) as stack:
        yield stack


async def test_the_customer_is_announced_once_the_timeline_shows_the_interaction(
    stack: Stack,
) -> None:
    announced: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    nc = await nats.connect(stack.nats_server.url)

    async def on_identified(msg: Msg) -> None:
        await announced.put(json.loads(msg.data))

    await nc.subscribe(CustomerIdentified.subject, cb=on_identified)
    assert stack.settings.database_url is not None
    lock = await psycopg.AsyncConnection.connect(stack.settings.database_url)
    try:
        async with lock.transaction():
            await lock.execute("LOCK TABLE timeline_entries IN EXCLUSIVE MODE")
            r = await stack.post_form(name="Ana", email="ana@example.com", message="Router down")
            assert r.status_code == 202, r.text

            async def identified() -> bool:
                return await asyncio.to_thread(stored_events, stack.settings, "history") > 0

            await eventually(identified)
            # The relay wakes on every commit: had it not waited, it would have spoken by now.
            await asyncio.sleep(1.0)
            assert announced.empty()
        message = await asyncio.wait_for(announced.get(), 20)
        entries = await stack.timeline(str(message["customer_id"]))
        assert [e["kind"] for e in entries][:1] == ["InteractionReceived"]
        assert entries[0]["summary"] and "Router down" in json.dumps(entries[0])
    finally:
        await lock.close()
        await nc.close()
