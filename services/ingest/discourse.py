"""Discourse forum webhooks: new posts in the support categories become interactions.

Discourse posts one JSON payload per event, naming it in X-Discourse-Event (`post_created`,
`topic_edited`, `ping`, ...) and signing the raw body with the webhook's secret in
X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256>. A post event's body is
`{"post": {...}}` (Discourse's WebHookPostSerializer). It redelivers failed events, so the
post's own id is the dedupe id.

A topic is one conversation however many people post in it: each post is an interaction
from its author, threaded by the topic. Posts outside the configured categories, posts by
the support account (our own replies), whispers and small actions are answered and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import InboundEvent, InteractionReceived, Sender
from schemas.config import DiscourseForum, SwitchboardConfig
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

CHANNEL: Literal["discourse"] = "discourse"
SIGNATURE_HEADER = "x-discourse-event-signature"
EVENT_HEADER = "x-discourse-event"
REGULAR_POST = 1  # post_type: 2 moderator action, 3 small action, 4 whisper (staff only)


def sign(secret: str, body: bytes) -> str:
    """The X-Discourse-Event-Signature value Discourse sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Post(BaseModel):
    """The fields of Discourse's post serializer we read."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    topic_id: int
    username: str = Field(min_length=1)
    name: str | None = None
    raw: str
    post_number: int | None = None
    post_type: int = REGULAR_POST
    topic_title: str | None = None
    category_id: int | None = None
    category_slug: str | None = None
    deleted_at: str | None = None


class PostEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    post: Post


def is_support_request(forum: DiscourseForum, post: Post) -> bool:
    return (
        post.category_id in forum.categories
        and post.username.lower() != forum.api_username.lower()
        and post.post_type == REGULAR_POST
        and post.deleted_at is None
    )


def to_interaction(forum: DiscourseForum, post: Post) -> InteractionReceived:
    attributes = {
        "topic_id": str(post.topic_id),
        "post_number": str(post.post_number or ""),
        "username": post.username,
        "category": post.category_slug or str(post.category_id),
    }
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(CHANNEL, forum.name, str(post.id)),
        channel=CHANNEL,
        source=forum.name,
        external_id=str(post.id),
        # Usernames are per forum: two forums' "ana" are two people until someone merges them.
        sender=Sender(name=post.name or None, handle=f"discourse:{forum.name}:{post.username}"),
        subject_line=post.topic_title,
        text=post.raw,
        conversation_key=f"discourse:{forum.name}:topic:{post.topic_id}",
        attributes={k: v for k, v in attributes.items() if v},
    )


class DiscourseAdapter:
    """Webhooks of the configured Discourse forums (one URL per forum)."""

    name = "discourse"
    path = "/discourse/{forum}"

    def __init__(self, config: SwitchboardConfig) -> None:
        self.forums = {f.name: f for f in config.channels.discourse}

    def _forum(self, request: InboundRequest) -> DiscourseForum:
        name = request.path_params.get("forum", "")
        forum = self.forums.get(name)
        if forum is None:
            raise UnknownSource(f"unknown Discourse forum {name!r}")
        return forum

    def verify(self, request: InboundRequest) -> None:
        forum = self._forum(request)
        sent = (request.header(SIGNATURE_HEADER) or "").strip().lower()
        if not sent:
            raise BadSignature("X-Discourse-Event-Signature missing")
        expected = sign(forum.webhook_secret, request.body)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise BadSignature("X-Discourse-Event-Signature does not match the body")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        forum = self._forum(request)
        event = (request.header(EVENT_HEADER) or "").strip()
        if not event:
            raise BadInput.field("X-Discourse-Event", "required")
        fields = request.fields()  # a broken body is a 400 whatever the event
        if event != "post_created":
            return []  # topic_created, post_edited, ping, ...: nothing a customer asked
        try:
            post = PostEvent.model_validate(fields).post
        except ValidationError as exc:
            raise BadInput.from_validation(exc) from None
        return [to_interaction(forum, post)] if is_support_request(forum, post) else []

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        return Reply(b'{"ok": true}', status=200)


def create(config: SwitchboardConfig) -> DiscourseAdapter | None:
    return DiscourseAdapter(config) if config.channels.discourse else None
