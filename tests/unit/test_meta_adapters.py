"""Messenger and Instagram webhooks: the conformance kit, Meta's URL handshake, signatures
over the exact bytes, batches becoming several interactions, and what is not a customer
writing (echoes, receipts) left out. Payloads: tests/fixtures/social (see its README)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

from events import InteractionReceived, InteractionUpdated
from schemas.config import ChannelsConfig, MetaApp, SwitchboardConfig
from services.ingest.adapter import ChannelAdapter, InboundRequest, SubscriptionHandshake
from services.ingest.conformance import AdapterConformance
from services.ingest.meta import MetaMessagingAdapter, sign
from switchboard.errors import BadInput, BadSignature, UnknownSource
from tests.support.social import (
    IG_ID,
    IGSID,
    META_APP,
    META_SECRET,
    META_VERIFY,
    OTHER_PAGE_ID,
    PAGE_ID,
    PSID,
    fixture,
    inbound,
    messenger_message,
    meta_apps,
    meta_request,
)

CONFIG = SwitchboardConfig(channels=ChannelsConfig(meta=meta_apps()))


def adapter(channel: str = "messenger") -> MetaMessagingAdapter:
    return MetaMessagingAdapter("messenger" if channel == "messenger" else "instagram", CONFIG)


def request(channel: str, payload: dict[str, Any] | bytes, **kw: Any) -> InboundRequest:
    return inbound(meta_request(channel, payload, **kw))


def events(channel: str, payload: dict[str, Any]) -> list[Any]:
    meta = adapter(channel)
    req = request(channel, payload)
    meta.verify(req)
    return list(meta.parse(req))


def broken(channel: str) -> list[InboundRequest]:
    good = messenger_message(1, "hi", channel)
    no_sender = copy.deepcopy(good)
    del no_sender["entry"][0]["messaging"][0]["sender"]
    no_mid = copy.deepcopy(good)
    del no_mid["entry"][0]["messaging"][0]["message"]["mid"]
    entry_without_id = copy.deepcopy(good)
    del entry_without_id["entry"][0]["id"]
    return [
        request(channel, {"object": good["object"]}),
        request(channel, {**good, "entry": "not a list"}),
        request(channel, no_sender),
        request(channel, no_mid),
        request(channel, entry_without_id),
        request(channel, {**good, "object": "whatsapp_business_account"}),
        request(channel, b"not json"),
        request(channel, b"[1, 2]"),
    ]


class TestMessengerAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return adapter("messenger")

    def valid_request(self, n: int) -> InboundRequest:
        return request("messenger", messenger_message(n, f"question {n}"))

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        headers = {**request.headers, "x-hub-signature-256": sign("another-app-secret", b"")}
        return replace(request, headers=headers)

    def malformed_requests(self) -> list[InboundRequest]:
        return broken("messenger")

    def handshake_requests(self) -> tuple[InboundRequest, InboundRequest] | None:
        wrong = handshake_request(**{"hub.verify_token": "not-our-token"})
        return handshake_request(), wrong


class TestInstagramAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return adapter("instagram")

    def valid_request(self, n: int) -> InboundRequest:
        return request("instagram", messenger_message(n, f"question {n}", "instagram"))

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        headers = {k: v for k, v in request.headers.items() if k != "x-hub-signature-256"}
        return replace(request, headers=headers)

    def malformed_requests(self) -> list[InboundRequest]:
        return broken("instagram")

    def handshake_requests(self) -> tuple[InboundRequest, InboundRequest] | None:
        return handshake_request(channel="instagram"), handshake_request(
            channel="instagram", **{"hub.verify_token": ""}
        )


def test_a_message_becomes_an_interaction_in_the_customers_thread() -> None:
    [event] = events("messenger", fixture("messenger_message.json"))
    assert isinstance(event, InteractionReceived)
    mid = fixture("messenger_message.json")["entry"][0]["messaging"][0]["message"]["mid"]
    assert (event.channel, event.source, event.external_id) == ("messenger", PAGE_ID, mid)
    assert event.msg_id() == f"messenger:{PAGE_ID}:{mid}"
    assert event.sender.handle == f"messenger:{PSID}"
    assert event.conversation_key == f"messenger:{PAGE_ID}:{PSID}"
    assert event.text == "Hi! My order #4711 has not arrived yet."
    assert event.attributes == {"app": META_APP}


def test_a_batch_is_several_interactions_and_echoes_and_receipts_are_not() -> None:
    found = events("messenger", fixture("messenger_batch.json"))
    assert all(isinstance(e, InteractionReceived) for e in found)
    assert [(e.source, e.external_id) for e in found] == [
        (PAGE_ID, "m_batch-1-text"),
        (PAGE_ID, "m_batch-2-attachments"),
        (OTHER_PAGE_ID, "m_batch-3-other-page"),
    ]
    assert [e.conversation_key for e in found] == [
        f"messenger:{PAGE_ID}:{PSID}",
        f"messenger:{PAGE_ID}:{PSID}",
        f"messenger:{OTHER_PAGE_ID}:7411122233344455",
    ]
    assert len({e.interaction_id for e in found}) == 3
    attachments = [(a.content_type, a.url, a.name) for a in found[1].attachments]
    assert attachments == [
        ("image/*", "https://scontent.xx.fbcdn.net/v/t1.15752-9/box.jpg", None),
        ("application/octet-stream", "https://cdn.fbsbx.com/v/t59.2708-21/invoice.pdf", None),
        ("text/uri-list", "https://shop.example/orders/4711", "Order 4711"),
    ]
    assert found[1].text == ""


def test_an_echo_is_ignored_even_without_the_flag() -> None:
    note = messenger_message(1, "sent by the page")
    event = note["entry"][0]["messaging"][0]
    event["sender"], event["recipient"] = {"id": PAGE_ID}, {"id": "123"}
    assert events("messenger", note) == []


def test_an_edit_updates_the_interaction_its_message_opened() -> None:
    [original] = events("messenger", fixture("messenger_message.json"))
    [edit] = events("messenger", fixture("messenger_edit.json"))
    assert isinstance(edit, InteractionUpdated)
    assert edit.interaction_id == original.interaction_id
    assert (edit.kind, edit.text) == ("edited", "Hi! My order #4712 has not arrived yet.")
    assert edit.msg_id() != original.msg_id()


def test_instagram_dm_is_threaded_by_account_and_igsid() -> None:
    [event] = events("instagram", fixture("instagram_message.json"))  # echo and seen left out
    assert (event.channel, event.source) == ("instagram", IG_ID)
    assert event.sender.handle == f"instagram:{IGSID}"
    assert event.conversation_key == f"instagram:{IG_ID}:{IGSID}"
    assert event.text == "Is the red jacket still available in M?"


def test_an_instagram_payload_on_the_messenger_url_names_object() -> None:
    with pytest.raises(BadInput) as caught:
        events("messenger", fixture("instagram_message.json"))
    assert [d.field for d in caught.value.details] == ["object"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda n: n["entry"][0]["messaging"][0].pop("sender"), "entry.0.messaging.0.sender"),
        (
            lambda n: n["entry"][0]["messaging"][0]["message"].pop("mid"),
            "entry.0.messaging.0.message.mid",
        ),
        (lambda n: n.pop("entry"), "entry"),
    ],
)
def test_malformed_payloads_name_the_field(mutate: Any, field: str) -> None:
    note = fixture("messenger_message.json")
    mutate(note)
    with pytest.raises(BadInput) as caught:
        events("messenger", note)
    assert [d.field for d in caught.value.details] == [field]


def test_the_signature_covers_the_exact_bytes_and_is_required() -> None:
    meta = adapter()
    good = request("messenger", fixture("messenger_message.json"))
    meta.verify(good)
    for i in range(0, len(good.body), 7):
        flipped = bytearray(good.body)
        flipped[i] ^= 0x01
        with pytest.raises(BadSignature):
            meta.verify(replace(good, body=bytes(flipped)))
    with pytest.raises(BadSignature):
        meta.verify(request("messenger", fixture("messenger_message.json"), secret=None))
    with pytest.raises(BadSignature):
        meta.verify(request("messenger", fixture("messenger_message.json"), secret="x" * 32))
    upper = {**good.headers, "x-hub-signature-256": sign(META_SECRET, good.body).upper()}
    meta.verify(replace(good, headers=upper))  # hex case is not the signature
    with pytest.raises(UnknownSource):
        meta.verify(request("messenger", fixture("messenger_message.json"), app="other"))


def handshake_request(
    app: str = META_APP, channel: str = "messenger", **query: str
) -> InboundRequest:
    params = {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY}
    params.update({"hub.challenge": "1158201444", **query})
    qs = urlencode(params)
    return InboundRequest(
        url=f"https://switchboard.example/channels/{channel}/{app}?{qs}",
        body=b"",
        path_params={"app": app},
    )


def test_the_url_handshake_echoes_the_challenge_for_our_token_only() -> None:
    meta = adapter()
    assert isinstance(meta, SubscriptionHandshake)
    reply = meta.handshake(handshake_request())
    assert (reply.status, reply.media_type, reply.content) == (200, "text/plain", b"1158201444")
    with pytest.raises(BadSignature):
        meta.handshake(handshake_request(**{"hub.verify_token": "guessed-token"}))
    with pytest.raises(BadSignature):
        meta.handshake(handshake_request(**{"hub.verify_token": ""}))
    with pytest.raises(BadInput) as mode:
        meta.handshake(handshake_request(**{"hub.mode": "unsubscribe"}))
    assert mode.value.details[0].field == "hub.mode"
    with pytest.raises(BadInput) as challenge:
        meta.handshake(handshake_request(**{"hub.challenge": ""}))
    assert challenge.value.details[0].field == "hub.challenge"
    with pytest.raises(UnknownSource):
        meta.handshake(handshake_request(app="other"))


def test_reply_is_what_meta_expects_whatever_the_batch_held() -> None:
    meta = adapter()
    req = request("messenger", fixture("messenger_batch.json"))
    reply = meta.reply(req, [])
    assert (reply.status, reply.content) == (200, b"EVENT_RECEIVED")


@pytest.mark.parametrize(
    "fields",
    [
        {"app_secret": "short"},
        {"app_secret": ""},
        {"verify_token": "tiny"},
        {"api_version": "21"},
        {"pages": [{"id": "not-a-number"}]},
    ],
)
def test_config_refuses_weak_secrets_and_bad_ids(fields: dict[str, Any]) -> None:
    base = {"name": "app", "app_secret": META_SECRET, "verify_token": META_VERIFY}
    with pytest.raises(ValidationError):
        MetaApp.model_validate({**base, **fields})


def test_numeric_ids_are_accepted_as_meta_sometimes_sends_them() -> None:
    note = json.loads(json.dumps(fixture("messenger_message.json")))
    note["entry"][0]["id"] = int(PAGE_ID)
    note["entry"][0]["messaging"][0]["sender"]["id"] = int(PSID)
    note["entry"][0]["messaging"][0]["recipient"]["id"] = int(PAGE_ID)
    [event] = events("messenger", note)
    assert event.conversation_key == f"messenger:{PAGE_ID}:{PSID}"
