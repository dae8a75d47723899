"""The Telegram and integrator-API adapters pass the conformance kit, and do what their
channels need: edits find the original interaction, ignored updates are still answered,
signatures cover the exact bytes."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from events import InteractionReceived, InteractionUpdated
from schemas.config import (
    ApiChannel,
    ChannelsConfig,
    IngestConfig,
    SwitchboardConfig,
    TelegramBot,
)
from services.ingest.adapter import Accepted, ChannelAdapter, InboundRequest
from services.ingest.api_channel import ApiChannelAdapter, sign
from services.ingest.conformance import AdapterConformance
from services.ingest.telegram import TelegramAdapter
from switchboard.errors import BadInput, BadSignature, UnknownSource

BOT_SECRET = "tg-webhook-secret_1"
API_SECRET = "api-channel-secret"
CONFIG = SwitchboardConfig(
    ingest=IngestConfig(default_region="DE"),
    channels=ChannelsConfig(
        telegram=[TelegramBot(name="shopbot", secret_token=BOT_SECRET)],
        api=[ApiChannel(id="shop", secret=API_SECRET)],
    ),
)


# Telegram ------------------------------------------------------------------------------


def telegram_message(message_id: int = 7, chat_id: int = 4242, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": 1700000000,
        "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
        "from": {
            "id": chat_id,
            "is_bot": False,
            "first_name": "Ana",
            "last_name": "Lima",
            "username": "analima",
            "language_code": "pt-BR",
        },
        **extra,
    }


def telegram_request(
    update: dict[str, Any] | bytes, bot: str = "shopbot", secret: str | None = BOT_SECRET
) -> InboundRequest:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return InboundRequest(
        url=f"https://switchboard.example/channels/telegram/{bot}",
        body=body,
        headers=headers,
        path_params={"bot": bot},
    )


def telegram_events(update: dict[str, Any]) -> list[Any]:
    adapter = TelegramAdapter(CONFIG)
    request = telegram_request(update)
    adapter.verify(request)
    return list(adapter.parse(request))


class TestTelegramAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return TelegramAdapter(CONFIG)

    def valid_request(self, n: int) -> InboundRequest:
        message = telegram_message(message_id=n, text=f"question {n}")
        return telegram_request({"update_id": 1000 + n, "message": message})

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        headers = {**request.headers, "x-telegram-bot-api-secret-token": "not-the-secret"}
        return replace(request, headers=headers)

    def malformed_requests(self) -> list[InboundRequest]:
        no_from = telegram_message(text="hi")
        del no_from["from"]
        return [
            telegram_request({"message": telegram_message(text="no update id")}),
            telegram_request({"update_id": 5, "message": no_from}),
            telegram_request({"update_id": 6, "edited_message": {"message_id": 1}}),
            telegram_request({"update_id": "six", "message": telegram_message(text="x")}),
            telegram_request(b"not json"),
            telegram_request(b"[1, 2]"),
        ]


def test_message_becomes_an_interaction_with_the_sender_and_chat() -> None:
    [event] = telegram_events({"update_id": 10, "message": telegram_message(text="Where is it?")})
    assert isinstance(event, InteractionReceived)
    assert (event.channel, event.source, event.external_id) == ("telegram", "shopbot", "10")
    assert event.sender.handle == "telegram:4242"
    assert event.sender.name == "Ana Lima"
    assert event.text == "Where is it?"
    assert event.conversation_key == "telegram:4242"
    assert event.attributes == {"username": "analima", "language": "pt-BR", "chat_type": "private"}


def test_missing_fields_are_named() -> None:
    adapter = TelegramAdapter(CONFIG)
    no_from = telegram_message(text="hi")
    del no_from["from"]
    for update, field in (
        ({"message": telegram_message(text="hi")}, "update_id"),
        ({"update_id": 1, "message": no_from}, "message.from"),
    ):
        with pytest.raises(BadInput) as caught:
            adapter.parse(telegram_request(update))
        assert [d.field for d in caught.value.details] == [field]


def test_an_edit_updates_the_interaction_the_message_opened() -> None:
    [original] = telegram_events({"update_id": 20, "message": telegram_message(9, text="helo")})
    edited = telegram_message(9, text="hello", edit_date=1700000050)
    [update] = telegram_events({"update_id": 21, "edited_message": edited})
    assert isinstance(update, InteractionUpdated)
    assert update.kind == "edited"
    assert update.text == "hello"
    assert update.interaction_id == original.interaction_id
    assert update.msg_id() != original.msg_id()  # its own delivery, not a retry


def test_same_message_id_in_another_chat_is_another_interaction() -> None:
    [a] = telegram_events({"update_id": 30, "message": telegram_message(1, chat_id=1, text="a")})
    [b] = telegram_events({"update_id": 31, "message": telegram_message(1, chat_id=2, text="b")})
    assert a.interaction_id != b.interaction_id


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 40, "callback_query": {"id": "1", "from": {"id": 1}, "data": "x"}},
        {"update_id": 41, "my_chat_member": {"chat": {"id": 1, "type": "private"}}},
        {"update_id": 42, "channel_post": {"message_id": 1, "chat": {"id": -100}}},
    ],
)
def test_other_updates_are_answered_and_ignored(update: dict[str, Any]) -> None:
    adapter = TelegramAdapter(CONFIG)
    request = telegram_request(update)
    adapter.verify(request)
    assert list(adapter.parse(request)) == []
    reply = adapter.reply(request, [])
    assert reply.status == 200
    assert json.loads(reply.content) == {"ok": True}


def test_media_arrive_as_attachment_metadata_with_the_caption_as_text() -> None:
    photo = [
        {"file_id": "small", "file_unique_id": "u1", "width": 90, "height": 60, "file_size": 900},
        {
            "file_id": "big",
            "file_unique_id": "u2",
            "width": 1280,
            "height": 853,
            "file_size": 90000,
        },
    ]
    document = {
        "file_id": "doc1",
        "file_unique_id": "u3",
        "file_name": "invoice.pdf",
        "mime_type": "application/pdf",
        "file_size": 52000,
    }
    voice = {"file_id": "v1", "file_unique_id": "u4", "duration": 3, "file_size": 7000}
    message = telegram_message(caption="see attached", photo=photo, document=document, voice=voice)
    [event] = telegram_events({"update_id": 50, "message": message})
    assert event.text == "see attached"
    got = [(a.url, a.content_type, a.size, a.name) for a in event.attachments]
    assert got == [
        ("telegram-file:big", "image/jpeg", 90000, None),
        ("telegram-file:doc1", "application/pdf", 52000, "invoice.pdf"),
        ("telegram-file:v1", "audio/ogg", 7000, None),
    ]


def test_an_animation_sent_also_as_document_is_one_attachment() -> None:
    gif = {"file_id": "g1", "file_unique_id": "u5", "mime_type": "video/mp4", "file_size": 10}
    message = telegram_message(animation=gif, document=gif)
    [event] = telegram_events({"update_id": 51, "message": message})
    assert [a.url for a in event.attachments] == ["telegram-file:g1"]


def test_own_shared_contact_gives_the_phone_someone_elses_does_not() -> None:
    own = telegram_message(contact={"phone_number": "+49 151 23456789", "user_id": 4242})
    [event] = telegram_events({"update_id": 60, "message": own})
    assert event.sender.phone == "+4915123456789"
    plain = telegram_message(contact={"phone_number": "4915123456789", "user_id": 4242})
    [event] = telegram_events({"update_id": 62, "message": plain})
    assert event.sender.phone == "+4915123456789"  # Telegram's usual form: no "+"
    other = telegram_message(contact={"phone_number": "+49 151 23456789", "user_id": 1})
    [event] = telegram_events({"update_id": 61, "message": other})
    assert event.sender.phone is None


def test_unknown_bot_and_missing_secret() -> None:
    adapter = TelegramAdapter(CONFIG)
    update = {"update_id": 1, "message": telegram_message(text="hi")}
    with pytest.raises(UnknownSource):
        adapter.verify(telegram_request(update, bot="otherbot"))
    with pytest.raises(BadSignature):
        adapter.verify(telegram_request(update, secret=None))
    with pytest.raises(BadSignature):
        adapter.verify(telegram_request(update, secret=""))


# The integrator API --------------------------------------------------------------------


def api_request(
    body: dict[str, Any] | bytes, channel_id: str = "shop", secret: str | None = API_SECRET
) -> InboundRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-switchboard-signature"] = sign(secret, raw)
    return InboundRequest(
        url=f"https://switchboard.example/channels/api/{channel_id}/messages",
        body=raw,
        headers=headers,
        path_params={"channel_id": channel_id},
    )


def api_message(**fields: Any) -> dict[str, Any]:
    return {"message_id": "m-1", "sender": {"email": "ana@example.com"}, "text": "hi", **fields}


class TestApiChannelAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return ApiChannelAdapter(CONFIG)

    def valid_request(self, n: int) -> InboundRequest:
        return api_request(api_message(message_id=f"order-{n}", text=f"question {n}"))

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        headers = {**request.headers, "x-switchboard-signature": sign("wrong", request.body)}
        return replace(request, headers=headers)

    def malformed_requests(self) -> list[InboundRequest]:
        return [
            api_request({"sender": {"email": "ana@example.com"}, "text": "no id"}),
            api_request(api_message(message_id="")),
            api_request(api_message(message_id="x" * 201)),
            api_request(api_message(message_id="has space")),
            api_request(api_message(sender={"name": "Nobody"})),
            api_request(api_message(sender={"email": "not-an-email"})),
            api_request(api_message(sender={"phone": "call me maybe"})),
            api_request(api_message(text="")),
            api_request(api_message(attachments=[{"name": "no type"}])),
            api_request(api_message(unknown="field")),
            api_request(b"\xff"),
            api_request(b'"a string"'),
        ]


def api_events(body: dict[str, Any]) -> list[Any]:
    adapter = ApiChannelAdapter(CONFIG)
    request = api_request(body)
    adapter.verify(request)
    return list(adapter.parse(request))


def test_api_message_becomes_an_interaction() -> None:
    body = api_message(
        message_id="order-77",
        sender={
            "name": "Ana Lima",
            "email": "Ana@Example.COM",
            "phone": "0151 23456789",
            "external_user_id": "u-42",
        },
        subject="Order 77",
        attachments=[
            {
                "name": "a.png",
                "content_type": "image/png",
                "size": 10,
                "url": "https://x.example/a.png",
            }
        ],
        conversation_id="ticket-9",
        attributes={"plan": "gold"},
    )
    [event] = api_events(body)
    assert isinstance(event, InteractionReceived)
    assert (event.channel, event.source, event.external_id) == ("api", "shop", "order-77")
    assert event.sender.model_dump() == {
        "name": "Ana Lima",
        "email": "ana@example.com",
        "phone": "+4915123456789",  # in the configured default region
        "handle": "api:shop:u-42",
        # The integrator signed it: it vouches for every identity it names.
        "verified": dict.fromkeys(("email", "phone", "handle"), "api-signature"),
    }
    assert event.subject_line == "Order 77"
    assert event.conversation_key == "api:shop:ticket-9"
    assert event.attributes == {"plan": "gold"}
    [attachment] = event.attachments
    assert (attachment.name, attachment.content_type, attachment.url) == (
        "a.png",
        "image/png",
        "https://x.example/a.png",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sender": {"email": "nope@"}}, "sender.email"),
        ({"sender": {"phone": "call me maybe"}}, "sender.phone"),
        ({"sender": {"name": "Nobody"}}, "sender"),
        ({"text": ""}, "text"),
        ({"message_id": ""}, "message_id"),
        ({"attachments": [{"name": "x"}]}, "attachments.0.content_type"),
    ],
)
def test_bad_fields_are_named(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        api_events(api_message(**fields))
    assert field in [d.field for d in caught.value.details]


def test_attachments_alone_need_no_text() -> None:
    [event] = api_events(api_message(text="", attachments=[{"content_type": "image/png"}]))
    assert event.text == ""


def test_signature_covers_the_exact_bytes() -> None:
    adapter = ApiChannelAdapter(CONFIG)
    request = api_request(api_message())
    adapter.verify(request)
    for i in range(len(request.body)):
        flipped = bytearray(request.body)
        flipped[i] ^= 0x01
        with pytest.raises(BadSignature):
            adapter.verify(replace(request, body=bytes(flipped)))
    # Re-serialising the same JSON differently is other bytes, so another signature.
    spaced = json.dumps(json.loads(request.body), indent=2).encode()
    with pytest.raises(BadSignature):
        adapter.verify(replace(request, body=spaced))


def test_missing_signature_unknown_channel_and_empty_secret() -> None:
    adapter = ApiChannelAdapter(CONFIG)
    with pytest.raises(BadSignature):
        adapter.verify(api_request(api_message(), secret=None))
    with pytest.raises(UnknownSource):
        adapter.verify(api_request(api_message(), channel_id="nope"))
    with pytest.raises(ValidationError):  # the config refuses a key anyone could sign with
        ApiChannel(id="shop", secret="")
    # ... and should one get through anyway, the adapter still refuses everything.
    unchecked = ApiChannel.model_construct(id="shop", secret="")
    keyless = ApiChannelAdapter(SwitchboardConfig(channels=ChannelsConfig(api=[unchecked])))
    with pytest.raises(BadSignature):
        keyless.verify(api_request(api_message(), secret=""))


def test_api_reply_says_whether_it_was_a_duplicate() -> None:
    adapter = ApiChannelAdapter(CONFIG)
    request = api_request(api_message())
    [event] = adapter.parse(request)
    for duplicate in (False, True):
        reply = adapter.reply(request, [Accepted(event, duplicate)])
        assert reply.status == 202
        assert json.loads(reply.content) == {
            "interaction_id": str(event.interaction_id),
            "duplicate": duplicate,
        }
