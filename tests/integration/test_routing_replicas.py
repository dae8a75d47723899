"""Two routing replicas on one NATS and one PostgreSQL never assign a contact twice."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack, replica, stack_config
from tests.support.waiting import eventually

AGENTS = ("alice", "bob")


@pytest.fixture
async def replicas(
    tmp_path: Path, nats_server: NatsServerProcess, postgres_cluster: ThrowawayPostgres
) -> AsyncIterator[tuple[Stack, httpx.AsyncClient]]:
    url = postgres_cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    config = stack_config(offer_timeout=60)
    # The main stack runs every service, including one routing replica ...
    main = Stack(tmp_path / "a", nats_server, url, config=config)
    await main.start()
    # ... and a second routing replica shares its NATS consumers and its database.
    async with replica(tmp_path / "b", nats_server, url, config) as client:
        yield main, client
    await main.close()


async def test_contacts_are_never_assigned_twice(
    replicas: tuple[Stack, httpx.AsyncClient],
) -> None:
    main, other = replicas
    contacts = 24
    posts = [
        main.post_form(email=f"r{n}@example.com", message=f"question {n}") for n in range(contacts)
    ]
    assert {r.status_code for r in await asyncio.gather(*posts)} == {202}

    # Agents work through the queue, accepting and completing through both replicas at once.
    handled: Counter[str] = Counter()
    accepted_by: dict[str, str] = {}

    async def work(agent: str, api: httpx.AsyncClient) -> None:
        r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
        assert r.status_code == 200, r.text
        while len(accepted_by) < contacts:
            offers = (await api.get(f"/api/agents/{agent}/offers")).json()
            if not offers:
                await asyncio.sleep(0.05)
                continue
            offer = offers[0]
            r = await api.post(f"/api/offers/{offer['offer_id']}/accept")
            if r.status_code != 200:
                continue  # already gone (e.g. the other replica's view was fresher)
            contact = offer["contact_id"]
            assert contact not in accepted_by, f"{contact} accepted by {accepted_by[contact]} too"
            accepted_by[contact] = agent
            handled[agent] += 1
            done = await api.post(f"/api/contacts/{contact}/complete", json={})
            assert done.status_code == 200, done.text

    await asyncio.wait_for(
        asyncio.gather(work("alice", main.http), work("bob", other)), timeout=120
    )
    assert len(accepted_by) == contacts
    assert sum(handled.values()) == contacts and set(handled) == set(AGENTS)
    await eventually(main.settled, timeout=30)

    # Each contact's timeline: queued once, offered and accepted exactly once.
    for n in range(contacts):
        customer = await main.customer(f"r{n}@example.com")
        assert customer is not None
        kinds = Counter(e["kind"] for e in await main.timeline(customer["customer_id"]))
        assert kinds["ContactQueued"] == 1
        assert kinds["OfferAccepted"] == 1
        assert kinds["ContactCompleted"] == 1
