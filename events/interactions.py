"""Contracts published by channel adapters onto the INBOUND stream."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from events.base import Event, derived_id

# Open on purpose: an integrator's adapter brings its own channel name. The pattern keeps
# it a single NATS subject token. Built in: webform, voice, sms, whatsapp, telegram, email, api.
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
INBOUND_SUBJECT_PREFIX = "sb.inbound"


class Sender(BaseModel):
    """Who reached us, as the channel identified them (already normalized by the adapter)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    handle: str | None = None  # namespaced messenger id, e.g. "telegram:1234"


class Attachment(BaseModel):
    """A file that came with an interaction: metadata and where to fetch it, not its bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    content_type: str
    size: int | None = None
    url: str | None = None


class InboundMessage(Event):
    """Anything published to the INBOUND stream: it names its subject and its dedupe id."""

    def msg_id(self) -> str:
        raise NotImplementedError

    def publish_subject(self) -> str:
        raise NotImplementedError


class InboundEvent(InboundMessage):
    """Anything a channel tells us. `external_id` is the channel's own id for this delivery,
    so a channel retrying the same webhook maps to the same Nats-Msg-Id and is dropped."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*"

    interaction_id: uuid.UUID
    channel: Channel
    source: str = Field(description="Adapter instance, e.g. the form id or the bot name")
    external_id: str = Field(description="The channel's own id for this delivery")

    @staticmethod
    def dedupe_key(channel: str, source: str, external_id: str) -> str:
        """Becomes Nats-Msg-Id: the same channel event always maps to the same key."""
        return f"{channel}:{source}:{external_id}"

    @classmethod
    def id_for(cls, channel: str, source: str, external_id: str) -> uuid.UUID:
        """The interaction behind a channel's own message or call id."""
        return derived_id("interaction", cls.dedupe_key(channel, source, external_id))

    def msg_id(self) -> str:
        return self.dedupe_key(self.channel, self.source, self.external_id)

    def publish_subject(self) -> str:
        return f"{INBOUND_SUBJECT_PREFIX}.{self.channel}"


class InteractionReceived(InboundEvent):
    """A customer reached us: a call, a message, an e-mail, a form."""

    sender: Sender
    subject_line: str | None = None
    text: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    attachments: list[Attachment] = Field(default_factory=list)
    conversation_key: str | None = Field(
        default=None, description="Groups interactions of one conversation (e-mail thread, chat)"
    )


UpdateKind = Literal["status", "recording", "edited"]


class InteractionUpdated(InboundEvent):
    """Something changed on an interaction we already have: a call's status, a recording,
    an edited message."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.updated"

    def publish_subject(self) -> str:
        return f"{INBOUND_SUBJECT_PREFIX}.{self.channel}.updated"

    kind: UpdateKind
    status: str | None = None
    text: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)


def contact_id_for(interaction_id: uuid.UUID) -> uuid.UUID:
    """One interaction opens one contact; every service can compute which."""
    return derived_id("contact", str(interaction_id))


ReplyState = Literal["sent", "delivered", "failed", "uncertain"]


class ReplyStatusChanged(InboundMessage):
    """What became of an agent's reply: sent by us, delivered or failed per the channel, or
    uncertain when a crash interrupted the send (an agent should check)."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.replies"

    contact_id: uuid.UUID
    reply_id: uuid.UUID
    channel: Channel
    status: ReplyState
    provider_id: str | None = None
    detail: str | None = None

    def msg_id(self) -> str:
        return f"reply:{self.reply_id}:{self.status}:{self.provider_id or ''}"

    def publish_subject(self) -> str:
        return self.subject
