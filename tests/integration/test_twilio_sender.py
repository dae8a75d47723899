"""SMS and WhatsApp replies go through the real twilio client to a server speaking Twilio's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from events import ReplyRequested
from schemas.config import TwilioConfig
from services.ingest.replies import SendFailed
from services.ingest.twilio_sender import TwilioMessagingSender
from tests.support.fake_twilio import FakeTwilio


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


def reply(channel: str, sender: dict[str, str], to: str = "+4930555000") -> ReplyRequested:
    return ReplyRequested(
        contact_id=uuid.uuid4(),
        reply_id=uuid.uuid4(),
        agent_id="alice",
        text="Your parcel ships today.",
        channel=channel,
        origin={"channel": channel, "sender": sender, "attributes": {"To": to}},
    )


@pytest.fixture
async def senders() -> AsyncIterator[list[TwilioMessagingSender]]:
    made: list[TwilioMessagingSender] = []
    yield made
    for sender in made:
        await sender.close()


def sender_for(fake: FakeTwilio, made: list[TwilioMessagingSender]) -> TwilioMessagingSender:
    config = TwilioConfig(account_sid=fake.account_sid, auth_token="secret", api_base_url=fake.url)
    sender = TwilioMessagingSender(config, "https://sb.example")
    made.append(sender)
    return sender


async def test_sms_and_whatsapp_replies_reach_twilio(
    twilio: FakeTwilio, senders: list[TwilioMessagingSender]
) -> None:
    sender = sender_for(twilio, senders)
    sms = reply("sms", {"phone": "+4915112345678"})
    sid = await sender.send(sms)
    assert sid is not None and sid.startswith("SM")
    whatsapp = reply("whatsapp", {"phone": "+4915112345678", "handle": "whatsapp:+4915112345678"})
    await sender.send(whatsapp)
    first, second = twilio.messages
    assert (first["To"], first["From"], first["Body"]) == (
        "+4915112345678",
        "+4930555000",
        "Your parcel ships today.",
    )
    assert first["StatusCallback"] == (
        f"https://sb.example/channels/twilio/messaging/status"
        f"?contact={sms.contact_id}&reply={sms.reply_id}"
    )
    assert (second["To"], second["From"]) == ("whatsapp:+4915112345678", "whatsapp:+4930555000")


async def test_refused_number_fails_for_good_and_outage_is_retried(
    twilio: FakeTwilio, senders: list[TwilioMessagingSender]
) -> None:
    sender = sender_for(twilio, senders)
    twilio.refuse.add("+4915100000000")
    with pytest.raises(SendFailed) as refused:
        await sender.send(reply("sms", {"phone": "+4915100000000"}))
    assert not refused.value.retry
    assert "21211" in str(refused.value)
    with pytest.raises(SendFailed) as nobody:
        await sender.send(reply("sms", {}))
    assert not nobody.value.retry
    await twilio.stop()
    with pytest.raises(SendFailed) as down:
        await sender.send(reply("sms", {"phone": "+4915112345678"}))
    assert down.value.retry
    await twilio.start()
