"""Telegram replies go through the Bot API's sendMessage to a server speaking that API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from events import ReplyRequested
from schemas.config import TelegramBot
from services.ingest.replies import SendFailed
from services.ingest.telegram_sender import TelegramSender
from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


def reply(chat: int, bot: str = "shopbot") -> ReplyRequested:
    return ReplyRequested(
        contact_id=uuid.uuid4(),
        reply_id=uuid.uuid4(),
        agent_id="bob",
        text="We found your order.",
        channel="telegram",
        origin={"channel": "telegram", "source": bot, "conversation_key": f"telegram:{chat}"},
    )


def sender_for(fake: FakeTelegram) -> TelegramSender:
    bot = TelegramBot(name="shopbot", secret_token="s", bot_token=fake.token, api_base_url=fake.url)
    return TelegramSender([bot])


async def test_reply_is_sent_in_the_customers_chat(telegram: FakeTelegram) -> None:
    message_id = await sender_for(telegram).send(reply(4242))
    assert telegram.sent == [{"chat_id": 4242, "text": "We found your order."}]
    assert message_id == "100"


async def test_blocked_bot_fails_for_good_and_outage_is_retried(telegram: FakeTelegram) -> None:
    sender = sender_for(telegram)
    telegram.blocked_chats.add(7)
    with pytest.raises(SendFailed) as blocked:
        await sender.send(reply(7))
    assert not blocked.value.retry and "blocked" in str(blocked.value)
    with pytest.raises(SendFailed):
        await sender.send(reply(7, bot="unknown"))
    await telegram.stop()
    with pytest.raises(SendFailed) as down:
        await sender.send(reply(8))
    assert down.value.retry
    await telegram.start()


async def test_a_document_goes_as_send_document_with_its_pdf(telegram: FakeTelegram) -> None:
    with_document = reply(4242).model_copy(
        update={
            "text": "Offer for Ana",
            "attachment": {
                "document_id": str(uuid.uuid4()),
                "version": 2,
                "title": "Offer for Ana",
                "text": "We offer it for 900 EUR.",
                "file_name": "Offer-for-Ana-v2.pdf",
                "created": "2026-01-05T09:00:00+00:00",
            },
        }
    )
    message_id = await sender_for(telegram).send(with_document)
    assert message_id == "100" and telegram.sent == []
    [sent] = telegram.documents
    assert (sent["chat_id"], sent["caption"], sent["file_name"]) == (
        4242,
        "Offer for Ana",
        "Offer-for-Ana-v2.pdf",
    )
    assert sent["content"].startswith(b"%PDF")
