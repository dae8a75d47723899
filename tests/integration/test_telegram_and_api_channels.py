"""Telegram updates and integrators' API messages through the real system, on real NATS and
each event store: retries land once, and every rejection is a clear 4xx."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest

from events import InboundEvent, contact_id_for
from schemas.config import (
    ApiChannel,
    ChannelsConfig,
    EmailChannel,
    IngestConfig,
    SwitchboardConfig,
    TelegramBot,
)
from services.ingest.api_channel import sign
from switchboard.jetstream import INBOUND
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack
from tests.support.stack import stack_config as base_config
from tests.support.waiting import eventually

BOT_SECRET = "tg-secret-123"
API_SECRET = "api-secret-456"
MAX_BODY = 8 * 1024


def channels_config() -> SwitchboardConfig:
    return base_config().model_copy(
        update={
            "ingest": IngestConfig(max_body_bytes=MAX_BODY, default_region="DE"),
            "channels": ChannelsConfig(
                telegram=[TelegramBot(name="shopbot", secret_token=BOT_SECRET)],
                api=[ApiChannel(id="shop", secret=API_SECRET)],
                email=EmailChannel(enabled=False),
            ),
        }
    )


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    """The whole system with a Telegram bot and an API channel configured."""
    async with running_stack(request, tmp_path, nats_server, channels_config()) as stack:
        yield stack


async def inbound_count(stack: Stack) -> int:
    nc = await nats.connect(stack.nats_server.url)
    try:
        info = await nc.jetstream().stream_info(INBOUND)
        return int(info.state.messages)
    finally:
        await nc.close()


def telegram_update(update_id: int, kind: str = "message", **message: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        kind: {
            "message_id": 77,
            "date": 1700000000,
            "chat": {"id": 4242, "type": "private", "first_name": "Ana"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Ana", "language_code": "de"},
            **message,
        },
    }


async def post_telegram(
    stack: Stack, body: dict[str, Any] | bytes, bot: str = "shopbot", secret: str = BOT_SECRET
) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await stack.http.post(
        f"/channels/telegram/{bot}",
        content=content,
        headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": secret},
    )


async def post_api(
    stack: Stack, body: dict[str, Any] | bytes, channel: str = "shop", secret: str = API_SECRET
) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await stack.http.post(
        f"/channels/api/{channel}/messages",
        content=content,
        headers={
            "content-type": "application/json",
            "x-switchboard-signature": sign(secret, content),
        },
    )


async def test_a_retried_telegram_update_is_one_interaction_and_an_edit_finds_it(
    stack: Stack,
) -> None:
    await stack.status("alice", "available")
    update = telegram_update(501, text="Wo bleibt meine Bestellung?")
    answers = await asyncio.gather(*(post_telegram(stack, update) for _ in range(5)))
    assert [(r.status_code, r.json()) for r in answers] == [(200, {"ok": True})] * 5
    assert await inbound_count(stack) == 1

    interaction_id = InboundEvent.id_for("telegram", "shopbot", "4242:77")
    contact_id = str(contact_id_for(interaction_id))
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert offer["contact_id"] == contact_id
    assert offer["channel"] == "telegram"

    edit = telegram_update(502, "edited_message", text="Wo bleibt Bestellung 42?", edit_date=1)
    assert (await post_telegram(stack, edit)).status_code == 200
    ignored = {"update_id": 503, "callback_query": {"id": "9", "from": {"id": 4242}, "data": "x"}}
    assert (await post_telegram(stack, ignored)).status_code == 200
    assert await inbound_count(stack) == 2  # the message and its edit; the callback is ignored
    assert await eventually(stack.settled)
    assert [o["contact_id"] for o in await stack.offers("alice")] == [contact_id]


async def test_an_api_message_lands_once_on_the_customers_timeline(stack: Stack) -> None:
    message = {
        "message_id": "order-42-q1",
        "sender": {"name": "Ana Lima", "email": "Ana@Example.com", "external_user_id": "u-7"},
        "text": "Can I change the delivery address?",
        "conversation_id": "order-42",
    }
    answers = [await post_api(stack, message) for _ in range(3)]
    assert [r.status_code for r in answers] == [202] * 3
    assert [r.json()["duplicate"] for r in answers] == [False, True, True]
    interaction_id = answers[0].json()["interaction_id"]
    assert interaction_id == str(InboundEvent.id_for("api", "shop", "order-42-q1"))

    customer = await eventually(lambda: stack.customer("ana@example.com"))
    assert customer is not None
    assert sorted(customer["identities"]) == ["api:shop:u-7", "email:ana@example.com"]
    assert await eventually(stack.settled)
    received = [
        e
        for e in await stack.timeline(customer["customer_id"])
        if e["kind"] == "InteractionReceived"
    ]
    assert [(e["channel"], e["contact_id"]) for e in received] == [
        ("api", str(contact_id_for(uuid.UUID(interaction_id))))
    ]
    assert await inbound_count(stack) == 1


async def test_rejections_are_clear_and_publish_nothing(stack: Stack) -> None:
    good = telegram_update(600, text="hi")

    async def expect(response: Any, status: int, field: str | None = None) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"]
        if field is not None:
            assert field in [d["field"] for d in body["details"]], body

    await expect(await post_telegram(stack, good, secret="wrong"), 403)
    await expect(await post_telegram(stack, good, bot="otherbot"), 404)
    await expect(await post_telegram(stack, {"message": good["message"]}), 400, "update_id")
    no_from = telegram_update(601, text="hi")
    del no_from["message"]["from"]
    await expect(await post_telegram(stack, no_from), 400, "message.from")
    await expect(await post_telegram(stack, b"{not json"), 400, "body")
    too_big = telegram_update(602, text="x" * MAX_BODY)
    await expect(await post_telegram(stack, too_big), 413)

    message = {"message_id": "m1", "sender": {"email": "ana@example.com"}, "text": "hi"}
    await expect(await post_api(stack, message, secret="wrong"), 403)
    unsigned = await stack.http.post("/channels/api/shop/messages", json=message)
    await expect(unsigned, 403)
    await expect(await post_api(stack, message, channel="nope"), 404)
    bad_email = {**message, "sender": {"email": "ana@"}}
    await expect(await post_api(stack, bad_email), 400, "sender.email")
    await expect(await post_api(stack, {**message, "message_id": ""}), 400, "message_id")
    await expect(await post_api(stack, {**message, "text": "x" * MAX_BODY}), 413)

    assert await inbound_count(stack) == 0
