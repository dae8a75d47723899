"""Discourse webhooks: the conformance kit, the signature, a topic as one conversation, and
what is not a support request (other categories, other events, our own posts) left out.
Payloads: tests/fixtures/social (see its README)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from events import InteractionReceived
from schemas.config import ChannelsConfig, DiscourseForum, SwitchboardConfig
from services.ingest.adapter import ChannelAdapter, InboundRequest
from services.ingest.conformance import AdapterConformance
from services.ingest.discourse import DiscourseAdapter, sign
from switchboard.errors import BadInput, BadSignature, UnknownSource
from tests.support.social import (
    FORUM,
    FORUM_SECRET,
    SUPPORT_USER,
    discourse_post,
    discourse_request,
    fixture,
    forums,
    inbound,
)

CONFIG = SwitchboardConfig(channels=ChannelsConfig(discourse=forums()))


def request(payload: dict[str, Any] | bytes, **kw: Any) -> InboundRequest:
    return inbound(discourse_request(payload, **kw))


def events(payload: dict[str, Any], event: str = "post_created") -> list[Any]:
    forum = DiscourseAdapter(CONFIG)
    req = request(payload, event=event)
    forum.verify(req)
    return list(forum.parse(req))


class TestDiscourseAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return DiscourseAdapter(CONFIG)

    def valid_request(self, n: int) -> InboundRequest:
        return request(discourse_post(n, f"question {n}"))

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        signature = sign("not-the-webhook-secret", request.body)
        headers = {**request.headers, "x-discourse-event-signature": signature}
        return replace(request, headers=headers)

    def malformed_requests(self) -> list[InboundRequest]:
        good = discourse_post(1, "help")
        no_topic = copy.deepcopy(good)
        del no_topic["post"]["topic_id"]
        return [
            request({"topic": good["post"]}),
            request(no_topic),
            request({"post": {**good["post"], "id": "twelve"}}),
            request({"post": {**good["post"], "username": ""}}),
            request(good, event=None),
            request(b"{broken"),
            request(b"[]", event="topic_created"),
        ]


def test_a_new_post_in_a_support_category_is_an_interaction_in_its_topic() -> None:
    [event] = events(fixture("discourse_post_created.json"))
    assert isinstance(event, InteractionReceived)
    assert (event.channel, event.source, event.external_id) == ("discourse", FORUM, "12345")
    assert event.msg_id() == f"discourse:{FORUM}:12345"
    assert event.sender.handle == f"discourse:{FORUM}:analima"
    assert event.sender.name == "Ana Lima"
    assert event.conversation_key == f"discourse:{FORUM}:topic:678"
    assert event.subject_line == "App crashes when opening invoices"
    assert event.text.startswith("The app crashes when I open my invoices")
    assert event.attributes == {
        "topic_id": "678",
        "post_number": "1",
        "username": "analima",
        "category": "support",
    }


def test_everyone_posting_in_a_topic_shares_its_conversation() -> None:
    first = fixture("discourse_post_created.json")
    second = copy.deepcopy(first)
    second["post"].update({"id": 12346, "username": "ben", "name": "", "post_number": 2})
    [a], [b] = events(first), events(second)
    assert a.conversation_key == b.conversation_key
    assert (a.sender.handle, b.sender.handle) == (
        f"discourse:{FORUM}:analima",
        f"discourse:{FORUM}:ben",
    )
    assert b.sender.name is None
    assert a.interaction_id != b.interaction_id


@pytest.mark.parametrize(
    "change",
    [
        {"category_id": 99},  # not a support category
        {"category_id": None},  # a private message
        {"username": SUPPORT_USER},  # our own reply
        {"username": SUPPORT_USER.upper()},  # usernames are case-insensitive
        {"post_type": 4},  # a staff whisper
        {"post_type": 3},  # a small action ("closed this topic")
        {"deleted_at": "2026-11-30T10:20:00.000Z"},
    ],
)
def test_posts_that_are_not_support_requests_are_ignored(change: dict[str, Any]) -> None:
    payload = fixture("discourse_post_created.json")
    payload["post"].update(change)
    assert events(payload) == []


@pytest.mark.parametrize("event", ["post_edited", "topic_created", "user_created", "ping"])
def test_other_events_are_answered_and_ignored(event: str) -> None:
    payload = fixture("discourse_ping.json" if event == "ping" else "discourse_post_created.json")
    forum = DiscourseAdapter(CONFIG)
    req = request(payload, event=event)
    forum.verify(req)
    assert list(forum.parse(req)) == []
    assert forum.reply(req, []).status == 200


def test_the_signature_is_required_and_covers_the_body() -> None:
    forum = DiscourseAdapter(CONFIG)
    good = request(fixture("discourse_post_created.json"))
    forum.verify(good)
    with pytest.raises(BadSignature):
        forum.verify(request(fixture("discourse_post_created.json"), secret=None))
    with pytest.raises(BadSignature):
        forum.verify(replace(good, body=good.body.replace(b"analima", b"analimb")))
    with pytest.raises(BadSignature):  # another forum's secret
        forum.verify(request(fixture("discourse_post_created.json"), secret=FORUM_SECRET + "x"))
    with pytest.raises(UnknownSource):
        forum.verify(request(fixture("discourse_post_created.json"), forum="elsewhere"))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p["post"].pop("topic_id"), "post.topic_id"),
        (lambda p: p["post"].pop("raw"), "post.raw"),
        (lambda p: p.pop("post"), "post"),
    ],
)
def test_malformed_posts_name_the_field(mutate: Any, field: str) -> None:
    payload = fixture("discourse_post_created.json")
    mutate(payload)
    with pytest.raises(BadInput) as caught:
        events(payload)
    assert [d.field for d in caught.value.details] == [field]


def test_a_missing_event_header_is_named() -> None:
    forum = DiscourseAdapter(CONFIG)
    req = request(fixture("discourse_post_created.json"), event=None)
    forum.verify(req)
    with pytest.raises(BadInput) as caught:
        forum.parse(req)
    assert [d.field for d in caught.value.details] == ["X-Discourse-Event"]


@pytest.mark.parametrize(
    "fields",
    [
        {"webhook_secret": "short"},
        {"categories": []},
        {"api_base_url": "forum.example.com"},
        {"name": "Has Spaces"},
    ],
)
def test_config_refuses_weak_secrets_and_no_categories(fields: dict[str, Any]) -> None:
    base = {
        "name": FORUM,
        "webhook_secret": FORUM_SECRET,
        "categories": [5],
        "api_base_url": "https://forum.example.com",
    }
    with pytest.raises(ValidationError):
        DiscourseForum.model_validate({**base, **fields})
