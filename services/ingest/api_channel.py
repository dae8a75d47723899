"""The integrator API channel: a signed JSON message becomes an InteractionReceived.

An integrator (a shop backend, an app, a chat widget) posts to
/channels/api/{channel_id}/messages with X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of
the raw body, keyed with the channel's secret>. The signature covers the body only; since
the body carries `message_id`, a replayed request is the same message and is dropped as a
duplicate, never a second interaction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from events import Attachment, InboundEvent, InteractionReceived, Sender
from schemas.api_channel import ApiMessage, ApiSender
from schemas.config import ApiChannel, SwitchboardConfig
from schemas.identity import InvalidIdentity, normalize_email, normalize_phone
from schemas.verification import API_SIGNATURE
from services.ingest.adapter import Accepted, InboundRequest, Reply, interaction_reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

CHANNEL: Literal["api"] = "api"
SIGNATURE_HEADER = "x-switchboard-signature"


def sign(secret: str, body: bytes) -> str:
    """The X-Switchboard-Signature value for `body`: what integrators compute too."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_message(fields: dict[str, Any]) -> ApiMessage:
    try:
        message = ApiMessage.model_validate(fields)
    except ValidationError as exc:
        raise BadInput.from_validation(exc) from None
    if not message.text and not message.attachments:
        raise BadInput.field("text", "text or attachments is required")
    return message


def sender_of(channel_id: str, sender: ApiSender, default_region: str) -> Sender:
    try:
        email = normalize_email(sender.email) if sender.email else None
    except InvalidIdentity as exc:
        raise BadInput.field("sender.email", str(exc)) from None
    try:
        phone = normalize_phone(sender.phone, default_region) if sender.phone else None
    except InvalidIdentity as exc:
        raise BadInput.field("sender.phone", str(exc)) from None
    # The integrator's user ids are theirs alone: namespaced by channel, so two integrators'
    # "42" are two people.
    handle = f"api:{channel_id}:{sender.external_user_id}" if sender.external_user_id else None
    # The integrator signed the message with its secret: it vouches for whom it names.
    named = {"email": email, "phone": phone, "handle": handle}
    signed = {field: API_SIGNATURE for field, value in named.items() if value}
    return Sender(name=sender.name, email=email, phone=phone, handle=handle, verified=signed)


def to_interaction(
    channel_id: str, message: ApiMessage, default_region: str
) -> InteractionReceived:
    conversation = message.conversation_id
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(CHANNEL, channel_id, message.message_id),
        channel=CHANNEL,
        source=channel_id,
        external_id=message.message_id,
        sender=sender_of(channel_id, message.sender, default_region),
        subject_line=message.subject,
        text=message.text,
        attributes=message.attributes,
        attachments=[
            Attachment(
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                url=str(a.url) if a.url is not None else None,
            )
            for a in message.attachments
        ],
        conversation_key=f"api:{channel_id}:{conversation}" if conversation else None,
    )


class ApiChannelAdapter:
    """Messages from an integrator's system, signed with the channel's secret."""

    name = "api"
    path = "/api/{channel_id}/messages"

    def __init__(self, config: SwitchboardConfig) -> None:
        self.channels = {c.id: c for c in config.channels.api}
        self.default_region = config.ingest.default_region

    def _channel(self, request: InboundRequest) -> ApiChannel:
        channel_id = request.path_params.get("channel_id", "")
        channel = self.channels.get(channel_id)
        if channel is None:
            raise UnknownSource(f"unknown API channel {channel_id!r}")
        return channel

    def verify(self, request: InboundRequest) -> None:
        channel = self._channel(request)
        if not channel.secret:
            # Anyone can compute an HMAC with an empty key: that is no signature at all.
            raise BadSignature(f"API channel {channel.id!r} has no secret configured")
        sent = (request.header(SIGNATURE_HEADER) or "").strip().lower()
        if not sent:
            raise BadSignature("X-Switchboard-Signature missing")
        if not hmac.compare_digest(sent.encode(), sign(channel.secret, request.body).encode()):
            raise BadSignature("X-Switchboard-Signature does not match the body")

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        channel = self._channel(request)
        message = parse_message(request.fields())
        return [to_interaction(channel.id, message, self.default_region)]

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        [first] = accepted
        return interaction_reply(first.event, first.duplicate)


def create(config: SwitchboardConfig) -> ApiChannelAdapter | None:
    return ApiChannelAdapter(config) if config.channels.api else None
