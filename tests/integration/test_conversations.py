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

import httpx
import nats
import pytest

from events import InboundEvent, InteractionReceived, Sender
from schemas.config import SwitchboardConfig
from services.history.app import build_history_core
from services.routing.application import RoutingApplication
from switchboard.jetstream import INBOUND, envelope
from switchboard.nats_server import NatsServerProcess
from switchboard.store import event_store_env
from tests.support.channels import system_toml
from tests.support.conversations import CHAT_CHANNELS, send
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import BOTH_STORES, Stack, replica
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
    async with replica(tmp_path / "b", nats_server, url, config) as other:
        yield main, other
    await main.close()


async def test_every_thread_is_one_contact_holding_all_its_messages(
    replicas: tuple[Stack, httpx.AsyncClient],
) -> None:
    stack, other = replicas
    rng = random.Random(11)
    done = asyncio.Event()

    async def write(channel: str, n: int) -> None:
        for m in range(MESSAGES):
            text = f"{channel} customer {n} message {m}"
            port = stack.config.channels.email.port
            await send(stack.http, stack.base_url, port, channel, n, m, text)
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


def sms(n: int, text: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("sms", "AC1", f"SM{n}"),
        channel="sms",
        source="AC1",
        external_id=f"SM{n}",
        sender=Sender(phone="+4915112345678"),
        text=text,
        conversation_key="sms:+4930123456:+4915112345678",
    )


async def publish(stack: Stack, *messages: InteractionReceived) -> None:
    nc = await nats.connect(stack.nats_server.url)
    for m in messages:
        env = envelope(m, subject=m.publish_subject(), **{"Nats-Msg-Id": m.msg_id()})
        await nc.jetstream().publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
    await nc.close()


@BOTH_STORES
async def test_rebuilding_history_and_rereading_routing_give_the_same_conversations(
    stack: Stack,
) -> None:
    await stack.status("alice", "available")
    await publish(stack, sms(1, "Hi"), sms(2, "my invoice"), sms(3, "is wrong"))
    [offer] = await eventually(lambda: stack.offers("alice"))
    contact = offer["contact_id"]
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    await publish(stack, sms(4, "are you there?"))
    await eventually(lambda: _has(stack, contact, 4))
    assert (await stack.http.post(f"/api/contacts/{contact}/resolve")).status_code == 200
    await publish(stack, sms(5, "one more thing"))
    await eventually(lambda: _has(stack, contact, 5))
    await eventually(stack.settled)
    live_view = (await stack.http.get(f"/api/contacts/{contact}")).json()
    live_messages = (await stack.http.get(f"/api/contacts/{contact}/messages")).json()
    customer = await stack.customer_by(phone="+4915112345678")
    assert customer is not None
    await stack.stop()

    projector = build_history_core(stack.settings)
    live_rows = projector.view.rows(customer["customer_id"], None, 1000, None)
    received = [r for r in live_rows if r.kind == "InteractionReceived"]
    assert [str(r.contact_id) for r in received] == [contact] * 5
    projector.view.clear()
    projector.rebuild()
    assert projector.view.rows(customer["customer_id"], None, 1000, None) == live_rows
    projector.close()

    reread = RoutingApplication(
        stack.config.people,
        stack.config.routing,
        env=event_store_env(stack.settings, "routing"),
    )
    try:
        contact_id = uuid.UUID(contact)
        assert reread.contact(contact_id).model_dump(mode="json") == live_view
        messages = reread.transcript(contact_id, None, 50)
        assert [m.model_dump(mode="json") for m in messages] == live_messages
        assert live_view["message_count"] == 5 and live_view["reopened"] == 1
    finally:
        reread.close()


async def _has(stack: Stack, contact: str, count: int) -> bool:
    view = (await stack.http.get(f"/api/contacts/{contact}")).json()
    return bool(view["message_count"] == count)


async def test_wrong_conversation_commands_get_a_4xx_naming_the_problem(stack: Stack) -> None:
    alice = await stack.signed_in("alice")
    bob = await stack.signed_in("bob")
    await stack.status("alice", "available")
    await publish(stack, sms(11, "Hi"))
    [offer] = await eventually(lambda: stack.offers("alice"))
    contact = f"/api/contacts/{offer['contact_id']}"
    assert (await alice.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200

    past = await alice.post(f"{contact}/snooze", json={"until": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400, past.text
    assert past.json()["details"] == [{"field": "until", "problem": "must be in the future"}]
    naive = await alice.post(f"{contact}/snooze", json={"until": "2099-01-01T00:00:00"})
    assert naive.status_code == 400 and naive.json()["details"][0]["field"] == "until"
    for path in ("pending", "resume", "read", "resolve"):
        r = await bob.post(f"{contact}/{path}")
        assert r.status_code == 403, (path, r.text)
        assert "is not bob's" in r.json()["error"]
    assert (await bob.get(f"{contact}/messages")).status_code == 403
    assert (await alice.post(f"{contact}/resume")).status_code == 409  # it is open
    assert (await alice.post(f"{contact}/pending")).status_code == 200
    again = await alice.post(f"{contact}/pending")
    assert again.status_code == 409 and "already pending" in again.json()["error"]
    assert (await alice.post(f"{contact}/resolve")).status_code == 200
    twice = await alice.post(f"{contact}/resolve")
    assert twice.status_code == 409 and "cannot be completed" in twice.json()["error"]
    bad = await alice.get(f"{contact}/messages", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "query.limit"
    assert (
        await alice.get("/api/contacts/00000000-0000-0000-0000-000000000000/messages")
    ).status_code == 404
