"""Two replicas each of routing and history share INBOUND's partitions on one NATS and one
PostgreSQL (one message in flight each, or batches read through consumer leases), under a
steady stream of customers writing several messages each: nothing is lost or doubled, each
customer's messages are recorded and opened in the order they were sent, and no contact is
offered twice."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from events import contact_id_for
from schemas.config import SwitchboardConfig
from switchboard.nats_server import NatsServerProcess
from switchboard.runtime import Runtime
from switchboard.settings import Settings
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack, stack_config
from tests.support.stores import created_in_order
from tests.support.waiting import eventually

CUSTOMERS = 12
MESSAGES = 4  # per customer, each sent once the one before was accepted


def roomy_config() -> SwitchboardConfig:
    """Agents with room for every contact and offers that do not lapse: each contact is
    offered exactly once, so a second offer would be a contact assigned twice."""
    config = stack_config(offer_timeout=600)
    roomy = {"messaging": 1000, "email": 1000}
    people = [p.model_copy(update={"capacity": roomy}) for p in config.people]
    return config.model_copy(update={"people": people})


# One message in flight per consumer, shared by the replicas; or batches, each consumer read
# by the replica holding its lease (`serve`'s default: switchboard/consumer_leases.py).
@pytest.fixture(params=[None, 64], ids=["one-in-flight", "leased-batches"])
async def replicas(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    postgres_cluster: ThrowawayPostgres,
) -> AsyncIterator[Stack]:
    url = postgres_cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    config = roomy_config()
    batch: int | None = request.param
    main = Stack(tmp_path / "a", nats_server, url, config=config)
    main.settings = main.settings.model_copy(update={"inbound_batch": batch})
    await main.start()
    second = Runtime(
        Settings(
            data_dir=tmp_path / "b", database_url=url, http_port=free_port(), inbound_batch=batch
        ),
        config,
        ["routing", "history"],
        nats_server.url,
    )
    await second.start()
    yield main
    await second.stop()
    await main.close()


# Two runtimes on two cores: settling took 33-55 s on one worker and over 60 s beside
# another worker's tests; the assertions after it are what the test is about.
@pytest.mark.timeout(400)
async def test_replicas_share_partitions_and_keep_each_customers_order(replicas: Stack) -> None:
    stack = replicas
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    sent: dict[int, list[uuid.UUID]] = {}

    async def customer(n: int) -> None:
        sent[n] = []
        for m in range(MESSAGES):
            r = await stack.post_form(email=f"p{n}@example.com", message=f"p{n} message {m}")
            assert r.status_code == 202, r.text
            sent[n].append(uuid.UUID(r.json()["interaction_id"]))

    await asyncio.gather(*(customer(n) for n in range(CUSTOMERS)))
    await eventually(stack.settled, timeout=240)

    opened = created_in_order(stack.settings, "routing")
    offered: Counter[str] = Counter()
    for n in range(CUSTOMERS):
        found = await stack.customer(f"p{n}@example.com")
        assert found is not None
        timeline = await stack.timeline(found["customer_id"])  # in the order history stored
        interactions = [e for e in timeline if e["kind"] == "InteractionReceived"]
        assert [e["summary"] for e in interactions] == [
            f"p{n} message {m}" for m in range(MESSAGES)
        ], "recorded once each, in the order sent"
        contacts = [contact_id_for(i) for i in sent[n]]
        assert [c for c in opened if c in contacts] == contacts, "routing opened them in order"
        for e in timeline:
            if e["kind"] == "AgentOffered":
                offered[e["contact_id"]] += 1
    assert len(offered) == CUSTOMERS * MESSAGES
    assert set(offered.values()) == {1}, "no contact offered twice"
    holding = len(await stack.offers("alice")) + len(await stack.offers("bob"))
    assert holding == CUSTOMERS * MESSAGES
