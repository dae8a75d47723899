"""PostgreSQL restarts under a steady stream of contacts: consumers pause, then catch up;
nothing is lost or doubled, and channels are never refused (ingest does not need the store)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack
from tests.support.stores import stored_events
from tests.support.waiting import eventually


@pytest.fixture
async def pg_stack(
    tmp_path: Path, nats_server: NatsServerProcess, postgres_cluster: ThrowawayPostgres
) -> AsyncIterator[Stack]:
    url = postgres_cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    stack = Stack(tmp_path / "data", nats_server, url)
    await stack.start()
    yield stack
    await stack.close()


async def test_postgres_restart_loses_and_doubles_nothing(
    pg_stack: Stack, postgres_cluster: ThrowawayPostgres
) -> None:
    sent: list[str] = []

    async def send(n: int) -> None:
        email = f"p{n}@example.com"
        r = await pg_stack.post_form(email=email, message=f"during restart {n}")
        assert r.status_code == 202, r.text  # the channel never notices the database
        sent.append(email)

    for n in range(5):
        await send(n)
    restart = asyncio.create_task(asyncio.to_thread(postgres_cluster.pg_ctl, "restart"))
    n = 5
    while not restart.done():
        await send(n)
        n += 1
        await asyncio.sleep(0.05)
    await restart
    for m in range(n, n + 5):
        await send(m)

    for email in sent:
        await eventually(lambda e=email: pg_stack.customer(e), timeout=60)
    await eventually(pg_stack.settled, timeout=60)
    # one customer, one contact per form: history recorded each interaction exactly once
    assert stored_events(pg_stack.settings, "routing") > 0
    for email in sent:
        customer = await pg_stack.customer(email)
        assert customer is not None
        kinds = [e["kind"] for e in await pg_stack.timeline(customer["customer_id"])]
        assert kinds == ["InteractionReceived", "ContactQueued"], (email, kinds)
