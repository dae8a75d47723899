"""SMS and WhatsApp replies go through the real twilio client to a server speaking Twilio's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import nats
import pytest
from fastapi import FastAPI

from events import ReplyRequested
from schemas.config import TwilioConfig
from services.ingest.replies import SendFailed
from services.ingest.reply_media import ReplyMedia, media_router
from services.ingest.twilio_sender import TwilioMessagingSender
from switchboard.jetstream import ensure_streams
from switchboard.nats_server import NatsServerProcess
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


async def test_a_document_goes_as_media_twilio_fetches_by_a_signed_url(
    twilio: FakeTwilio, senders: list[TwilioMessagingSender], nats_server: NatsServerProcess
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 60)
    media = ReplyMedia(js, "secret", "https://sb.example")
    config = TwilioConfig(
        account_sid=twilio.account_sid, auth_token="secret", api_base_url=twilio.url
    )
    sender = TwilioMessagingSender(config, "https://sb.example", media)
    senders.append(sender)
    document = reply("whatsapp", {"handle": "whatsapp:+4915112345678"}).model_copy(
        update={
            "text": "Offer for Ana",
            "attachment": {
                "document_id": str(uuid.uuid4()),
                "version": 1,
                "title": "Offer for Ana",
                "text": "We offer it for 900 EUR.",
                "file_name": "Offer-for-Ana-v1.pdf",
                "created": "2026-01-05T09:00:00+00:00",
            },
        }
    )
    await sender.send(document)
    [sent] = twilio.messages
    assert (sent["Body"], sent["MediaUrl"]) == ("Offer for Ana", media.url(document.reply_id))

    app = FastAPI()
    app.include_router(media_router(media))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="https://sb.example"
    ) as http:
        fetched = await http.get(sent["MediaUrl"])  # as Twilio fetches it
        assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF")
        path = f"/channels/twilio/media/{document.reply_id}.pdf"
        assert (await http.get(path, params={"sig": "0" * 64})).status_code == 403
        other = f"/channels/twilio/media/{uuid.uuid4()}.pdf"
        assert (await http.get(other, params={"sig": "0" * 64})).status_code == 403
    await nc.close()
