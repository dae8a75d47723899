"""VK's Callback API: the conformance kit, the confirmation handshake, the secret, Russian
messages with their attachments as links, and the community's own messages left out.
Payloads: tests/fixtures/social (see its README)."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from events import InteractionReceived
from schemas.config import ChannelsConfig, SwitchboardConfig, VkCommunity
from services.ingest.adapter import ChannelAdapter, InboundRequest
from services.ingest.conformance import AdapterConformance
from services.ingest.vk import VkAdapter
from services.ingest.vk_sender import random_id_for
from switchboard.errors import BadInput, BadSignature, UnknownSource
from tests.support.social import (
    VK_CODE,
    VK_GROUP,
    VK_SECRET,
    fixture,
    inbound,
    vk_communities,
    vk_message,
    vk_request,
    with_vk_secret,
)

CONFIG = SwitchboardConfig(channels=ChannelsConfig(vk=vk_communities()))


def request(event: dict[str, Any] | bytes, group: int | str = VK_GROUP) -> InboundRequest:
    return inbound(vk_request(event, group))


def events(event: dict[str, Any]) -> list[Any]:
    vk = VkAdapter(CONFIG)
    req = request(event)
    vk.verify(req)
    return list(vk.parse(req))


class TestVkAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return VkAdapter(CONFIG)

    def valid_request(self, n: int) -> InboundRequest:
        return request(vk_message(n, f"вопрос {n}"))

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        event = json.loads(request.body)
        return replace(request, body=json.dumps(with_vk_secret(event, "notTheSecret1")).encode())

    def malformed_requests(self) -> list[InboundRequest]:
        good = vk_message(1, "привет")
        no_peer = copy.deepcopy(good)
        del no_peer["object"]["message"]["peer_id"]
        old_shape = {**good, "object": good["object"]["message"]}  # API before 5.103
        return [
            request({**good, "type": ""}),
            request({k: v for k, v in good.items() if k != "group_id"}),
            request({**good, "group_id": 1}),
            request(no_peer),
            request(old_shape),
            request({**good, "object": None}),
            request(b"\xff\xfe"),
            request(b'"ok"'),
        ]


def test_a_message_in_russian_becomes_an_interaction_in_its_dialog() -> None:
    [event] = events(fixture("vk_message_new.json"))
    assert isinstance(event, InteractionReceived)
    group = str(VK_GROUP)
    assert (event.channel, event.source, event.external_id) == ("vk", group, "612444319:2169")
    assert event.msg_id() == f"vk:{group}:612444319:2169"
    assert event.sender.handle == "vk:612444319"
    assert event.conversation_key == f"vk:{group}:612444319"
    # Russian as the customer wrote it (ruff would flag its Cyrillic letters as look-alikes).
    expected = "Здравствуйте! Заказ 4711 до сих пор не пришёл, подскажите, что с ним?"  # noqa: RUF001
    assert event.text == expected
    assert event.attributes == {"peer_type": "user", "language": "ru"}


def test_a_chat_message_keeps_its_attachments_as_links() -> None:
    [event] = events(fixture("vk_message_new_attachments.json"))
    assert event.conversation_key == f"vk:{VK_GROUP}:2000000012"  # the chat, not the person
    assert event.sender.handle == "vk:612444319"
    assert event.external_id == "2000000012:35"  # its global id is 0 in a chat
    assert event.attributes == {"peer_type": "chat", "language": "en"}
    got = [(a.content_type, a.url, a.name, a.size) for a in event.attachments]
    assert got == [
        ("image/jpeg", "https://sun9-1.userapi.com/s/v1/box-w.jpg", None, None),  # the largest
        (
            "application/octet-stream",
            "https://vk.com/doc612444319_654321?hash=abc&dl=xyz",
            "чек.pdf",
            52000,
        ),
        ("audio/ogg", "https://psv4.userapi.com/c1/voice.ogg", None, None),
    ]


def test_the_same_message_number_in_another_dialog_is_another_interaction() -> None:
    first = vk_message(1, "a")
    second = copy.deepcopy(first)
    second["object"]["message"]["peer_id"] = second["object"]["message"]["from_id"] = 42
    [a], [b] = events(first), events(second)
    assert a.interaction_id != b.interaction_id


@pytest.mark.parametrize(
    "change",
    [
        {"out": 1},
        {"action": {"type": "chat_invite_user", "member_id": 1}},
        {"from_id": -VK_GROUP},
    ],
)
def test_the_communitys_own_and_service_messages_are_ignored(change: dict[str, Any]) -> None:
    event = vk_message(3, "")
    event["object"]["message"].update(change)
    assert events(event) == []


def test_other_events_are_answered_ok_and_ignored() -> None:
    vk = VkAdapter(CONFIG)
    req = request(fixture("vk_message_reply.json"))
    vk.verify(req)
    assert list(vk.parse(req)) == []
    reply = vk.reply(req, [])
    assert (reply.status, reply.media_type, reply.content) == (200, "text/plain", b"ok")


def test_confirmation_returns_the_code_and_checks_a_secret_if_sent() -> None:
    vk = VkAdapter(CONFIG)
    plain = request(fixture("vk_confirmation.json"))
    vk.verify(plain)
    assert list(vk.parse(plain)) == []
    reply = vk.reply(plain, [])
    assert (reply.status, reply.media_type, reply.content) == (200, "text/plain", VK_CODE.encode())
    signed = request(with_vk_secret(fixture("vk_confirmation.json"), VK_SECRET))
    vk.verify(signed)
    with pytest.raises(BadSignature):
        vk.verify(request(with_vk_secret(fixture("vk_confirmation.json"), "wrongSecret12")))
    other_group = {**fixture("vk_confirmation.json"), "group_id": 777}
    with pytest.raises(BadInput) as caught:
        vk.parse(request(other_group))
    assert [d.field for d in caught.value.details] == ["group_id"]


@pytest.mark.parametrize("secret", [None, "", "wrongSecret12", VK_SECRET.upper()])
def test_a_missing_or_wrong_secret_is_refused(secret: str | None) -> None:
    vk = VkAdapter(CONFIG)
    with pytest.raises(BadSignature):
        vk.verify(request(with_vk_secret(fixture("vk_message_new.json"), secret)))


def test_a_non_string_secret_is_refused_and_an_unknown_group_is_404() -> None:
    vk = VkAdapter(CONFIG)
    with pytest.raises(BadSignature):
        vk.verify(request({**fixture("vk_message_new.json"), "secret": 12345}))
    with pytest.raises(UnknownSource):
        vk.verify(request(fixture("vk_message_new.json"), group=1))
    with pytest.raises(UnknownSource):
        vk.verify(request(fixture("vk_message_new.json"), group="club214167102"))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["object"]["message"].pop("peer_id"), "object.message.peer_id"),
        (lambda e: e["object"]["message"].pop("from_id"), "object.message.from_id"),
        (
            lambda e: e["object"]["message"].pop("conversation_message_id"),
            "object.message.conversation_message_id",
        ),
        (lambda e: e["object"].pop("message"), "object.message"),
        (lambda e: e.pop("type"), "type"),
    ],
)
def test_malformed_events_name_the_field(mutate: Any, field: str) -> None:
    event = fixture("vk_message_new.json")
    mutate(event)
    with pytest.raises(BadInput) as caught:
        events(event)
    assert [d.field for d in caught.value.details] == [field]


def test_random_id_is_stable_per_reply_and_an_int32() -> None:
    reply_id = uuid.uuid4()
    assert random_id_for(reply_id) == random_id_for(uuid.UUID(str(reply_id)))
    ids = {random_id_for(uuid.uuid4()) for _ in range(1000)}
    assert len(ids) > 990 and all(0 <= i < 2**31 for i in ids)


@pytest.mark.parametrize(
    "fields",
    [
        {"secret": "short"},
        {"secret": "has spaces in it"},
        {"secret": "x" * 51},
        {"confirmation_code": ""},
        {"group_id": 0},
        {"api_version": "6.0"},
    ],
)
def test_config_refuses_weak_secrets(fields: dict[str, Any]) -> None:
    base = {"group_id": VK_GROUP, "secret": VK_SECRET, "confirmation_code": VK_CODE}
    with pytest.raises(ValidationError):
        VkCommunity.model_validate({**base, **fields})


def test_attachments_we_do_not_read_keep_their_kind_and_broken_ones_are_named() -> None:
    event = vk_message(4, "")
    event["object"]["message"]["attachments"] = [
        {"type": "sticker", "sticker": {"product_id": 1, "sticker_id": 9}},
        {"type": "video", "video": {"id": 456, "owner_id": -5, "title": "unboxing"}},
    ]
    [found] = events(event)
    assert [(a.name, a.url) for a in found.attachments] == [
        ("sticker", None),
        ("unboxing", "https://vk.com/video-5_456"),
    ]
    event["object"]["message"]["attachments"] = [{"type": "photo", "photo": {"sizes": 3}}]
    with pytest.raises(BadInput) as caught:
        events(event)
    assert [d.field for d in caught.value.details] == ["object.message.attachments.0.photo.sizes"]
