"""Conversations on real nats-server and PostgreSQL, with two routing replicas: customers
write several messages each on Telegram, the API channel, Twilio SMS and e-mail (SMTP), all
at once, while agents accept offers through both replicas. Every thread becomes exactly one
contact holding all its messages in order, whether a message came while the contact was
queued, offered or held; history's timeline files every message under that contact."""

from __future__ import annotations

import asyncio
import random
import tomllib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from schemas.config import SwitchboardConfig
from switchboard.nats_server import NatsServerProcess
from switchboard.runtime import Runtime
from switchboard.settings import Settings
from tests.support.auth import ADMIN
from tests.support.channels import system_toml
from tests.support.conversations import CHAT_CHANNELS, chat, email
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack
from tests.support.stores import opened_contacts
from tests.support.waiting import eventually

CUSTOMERS = 4  # per channel
MESSAGES = 5  # per customer
CHANNELS = (*CHAT_CHANNELS, "email")


@pytest.fixture
async def replicas(
    tmp_path: Path, nats_server: NatsServerProcess, postgres_cluster: ThrowawayPostgres
) -> AsyncIterator[tuple[Stack, httpx.AsyncClient]]:
    url = postgres_cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    config = SwitchboardConfig.model_validate(tomllib.loads(system_toml(free_port())))
    main = Stack(tmp_path / "a", nats_server, url, config=config)
    await main.start()
    second = Runtime(
        Settings(data_dir=tmp_path / "b", database_url=url, http_port=free_port()),
        config,
        ["routing"],
        nats_server.url,
    )
    await second.start()
    other = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{second.settings.http_port}", headers=ADMIN, timeout=15.0
    )
    yield main, other
    await other.aclose()
    await second.stop()
    await main.close()


async def send(stack: Stack, channel: str, customer: int, n: int) -> None:
    text = f"{channel} customer {customer} message {n}"
    if channel == "email":
        port = stack.config.channels.email.port
        await aiosmtplib.send(email(customer, n, text), hostname="127.0.0.1", port=port)
        return
    path, body, headers = chat(channel, customer, n, text, stack.base_url)
    r = await stack.http.post(path, content=body, headers=headers)
    assert r.status_code in (200, 202), r.text


async def test_every_thread_is_one_contact_holding_all_its_messages(
    replicas: tuple[Stack, httpx.AsyncClient],
) -> None:
    stack, other = replicas
    rng = random.Random(11)
    done = asyncio.Event()

    async def write(channel: str, n: int) -> None:
        for m in range(MESSAGES):
            await send(stack, channel, n, m)
            await asyncio.sleep(rng.uniform(0, 0.3))

    async def desk(agent: str, api: httpx.AsyncClient) -> None:
        """Accepts some offers as they come, through its own replica: later messages then
        join contacts that are queued, offered or already held."""
        r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
        assert r.status_code == 200, r.text
        while not done.is_set():
            for offer in (await api.get(f"/api/agents/{agent}/offers")).json():
                if rng.random() < 0.5:
                    await api.post(f"/api/offers/{offer['offer_id']}/accept")
            await asyncio.sleep(0.2)

    desks = [
        asyncio.create_task(desk("alice", stack.http)),
        asyncio.create_task(desk("bob", other)),
    ]
    await asyncio.gather(*(write(c, n) for c in CHANNELS for n in range(CUSTOMERS)))
    done.set()
    await asyncio.gather(*desks)
    await eventually(stack.settled, timeout=90)

    opened = opened_contacts(stack.settings)
    assert len(opened) == len(CHANNELS) * CUSTOMERS, "one contact per conversation"
    texts: Counter[str] = Counter()
    for contact_id in opened:
        contact = (await stack.http.get(f"/api/contacts/{contact_id}")).json()
        assert contact["message_count"] == MESSAGES, contact
        r = await stack.http.get(f"/api/contacts/{contact_id}/messages")
        assert r.status_code == 200, r.text
        messages = [m["text"] for m in r.json() if m["direction"] == "in"]
        prefix = messages[0].rsplit(" message ", 1)[0]
        assert messages == [f"{prefix} message {m}" for m in range(MESSAGES)], "in order"
        texts.update(messages)
    assert len(texts) == len(CHANNELS) * CUSTOMERS * MESSAGES
    assert set(texts.values()) == {1}, "no message twice"

    # History files every message of a thread under its one contact.
    customer = await stack.customer_by(email="mail0@example.com")
    assert customer is not None
    received = [
        e
        for e in await stack.timeline(customer["customer_id"])
        if e["kind"] == "InteractionReceived"
    ]
    assert len(received) == MESSAGES
    assert len({e["contact_id"] for e in received}) == 1
    assert received[0]["contact_id"] in {str(c) for c in opened}
    card = (await stack.http.get(f"/api/customers/{customer['customer_id']}")).json()
    assert [o["contact_id"] for o in card["open_conversations"]] == [received[0]["contact_id"]]
