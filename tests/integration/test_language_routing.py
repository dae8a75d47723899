"""A message whose channel does not say its language is routed by the language detected in
ingest: a Russian message reaches the agent who reads Russian, not whoever is free."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest

from schemas.config import QueueConfig
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    base = stack_config()
    people = [
        p.model_copy(update={"languages": {"alice": ["en"], "bob": ["ru", "en"]}.get(p.id, [])})
        for p in base.people
    ]
    russian = QueueConfig(name="russian", match='language == "ru"', agents='"ru" in languages')
    routing = base.routing.model_copy(update={"queues": [russian]})
    config = base.model_copy(update={"people": people, "routing": routing})
    async with running_stack(request, tmp_path, nats_server, config) as running:
        yield running


async def detection_ready(stack: Stack) -> bool:
    r = await stack.http.get("/healthz")
    return "language detection ready" in r.json()["checks"].get("ingest", "")


async def test_a_russian_message_reaches_the_agent_who_reads_russian(stack: Stack) -> None:
    await eventually(lambda: detection_ready(stack))
    await stack.status("alice", "available")  # free first: least busy, longest idle
    await stack.status("bob", "available")
    r = await stack.post_form(
        name="Олег Смирнов",
        email="oleg@example.com",
        message="Здравствуйте, заказ номер 4521 до сих пор не отправлен. Где он?",
    )
    assert r.status_code == 202, r.text
    [offer] = await eventually(lambda: stack.offers("bob"))
    assert await stack.offers("alice") == []
    assert "Здравствуйте" in offer["summary"]
    contact = (await stack.http.get(f"/api/contacts/{offer['contact_id']}")).json()
    assert contact["language"] == "ru", json.dumps(contact)
    assert contact["language_confidence"] >= 0.7


async def test_a_language_the_channel_gives_is_not_second_guessed(stack: Stack) -> None:
    await eventually(lambda: detection_ready(stack))
    await stack.status("alice", "available")
    r = await stack.post_form(
        email="anna@example.com",
        message="Здравствуйте, заказ номер 4521 до сих пор не отправлен",
        language="en",  # the form's page said English: the channel's word wins
    )
    assert r.status_code == 202, r.text
    assert len(await eventually(lambda: stack.offers("alice"))) == 1


async def waiting_in(stack: Stack, queue: str) -> int:
    r = await stack.http.get(f"/api/queues/{queue}/stats")
    assert r.status_code == 200, r.text
    waiting: int = r.json()["waiting"]
    return waiting


async def test_a_message_too_short_to_detect_takes_the_customers_known_language(
    stack: Stack,
) -> None:
    await eventually(lambda: detection_ready(stack))
    await stack.status("alice", "available")  # English only; bob, who reads Russian, is away
    first = await stack.post_form(
        email="olga@example.com", message="Добрый день, не могу войти в личный кабинет"
    )
    assert first.status_code == 202, first.text
    await eventually(lambda: waiting_in(stack, "russian"))
    short = await stack.post_form(email="olga@example.com", message="Ок!")
    assert short.status_code == 202, short.text
    assert await eventually(lambda: _at_least(waiting_in(stack, "russian"), 2)) >= 2
    assert await stack.offers("alice") == []


async def _at_least(count: Awaitable[int], n: int) -> int | None:
    value = await count
    return value if value >= n else None
