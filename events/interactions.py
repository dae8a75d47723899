"""Contracts published by channel adapters onto the INBOUND stream."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from events.base import Event, derived_id
from schemas.verification import UNVERIFIED, IdentityField

# Open on purpose: an integrator's adapter brings its own channel name. The pattern keeps
# it a single NATS subject token. Built in: webform, voice, sms, whatsapp, telegram, email, api.
Channel = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
INBOUND_SUBJECT_PREFIX = "sb.inbound"


def key_token(key: str) -> str:
    """The subject token standing for a partition key. The INBOUND stream maps it to a
    partition number as it stores the message (see switchboard/jetstream.py), so the key
    itself, often an address or a phone number, is never kept in a subject."""
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


class Sender(BaseModel):
    """Who reached us, as the channel identified them (already normalized by the adapter)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    handle: str | None = None  # namespaced messenger id, e.g. "telegram:1234"
    # How the channel vouched for each of the above ("email", "phone", "handle"): see
    # `schemas/verification.py`. Missing (and in events from before it): unverified.
    verified: dict[str, str] = Field(default_factory=dict)

    def verification(self, field: IdentityField) -> str:
        return self.verified.get(field, UNVERIFIED)


class Attachment(BaseModel):
    """A file that came with an interaction: metadata and where to fetch it, not its bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    content_type: str
    size: int | None = None
    url: str | None = None


class InboundMessage(Event):
    """Anything published to the INBOUND stream: it names its subject, its dedupe id and
    its partition key. Published as `sb.inbound.<key token>.<tail>`; JetStream stores it as
    `sb.inbound.<partition>.<tail>`, and messages of one key are handled in order."""

    def msg_id(self) -> str:
        raise NotImplementedError

    def partition_key(self) -> str:
        raise NotImplementedError

    def subject_tail(self) -> str:
        """What follows the partition token: the channel, `<channel>.updated`, `replies`."""
        raise NotImplementedError

    def publish_subject(self) -> str:
        return f"{INBOUND_SUBJECT_PREFIX}.{key_token(self.partition_key())}.{self.subject_tail()}"


class InboundEvent(InboundMessage):
    """Anything a channel tells us. `external_id` is the channel's own id for this delivery,
    so a channel retrying the same webhook maps to the same Nats-Msg-Id and is dropped."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.*"

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

    def partition_key(self) -> str:
        # An update (a call's status, an edit) waits for its interaction by interaction id.
        return str(self.interaction_id)

    def subject_tail(self) -> str:
        return self.channel


class InteractionReceived(InboundEvent):
    """A customer reached us: a call, a message, an e-mail, a form."""

    # v2: `sender.verified`, how the channel vouched for each identity.
    version: ClassVar[int] = 2
    sender: Sender
    subject_line: str | None = None
    text: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    attachments: list[Attachment] = Field(default_factory=list)
    conversation_key: str | None = Field(
        default=None, description="Groups interactions of one conversation (e-mail thread, chat)"
    )

    def partition_key(self) -> str:
        """One sender's interactions are recorded and routed in the order they came: the
        first of their identities as the channel gave it (the same precedence as customer
        identities: e-mail, phone, handle); an anonymous one is a key of its own."""
        sender = self.sender
        return sender.email or sender.phone or sender.handle or str(self.interaction_id)


UpdateKind = Literal["status", "recording", "edited"]


class InteractionUpdated(InboundEvent):
    """Something changed on an interaction we already have: a call's status, a recording,
    an edited message."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.*.updated"

    def subject_tail(self) -> str:
        return f"{self.channel}.updated"

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

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.replies"

    contact_id: uuid.UUID
    reply_id: uuid.UUID
    channel: Channel
    status: ReplyState
    provider_id: str | None = None
    detail: str | None = None

    def msg_id(self) -> str:
        return f"reply:{self.reply_id}:{self.status}:{self.provider_id or ''}"

    def partition_key(self) -> str:
        # A reply's statuses (sent, then delivered) stay in order; history waits for the
        # contact's own interaction whichever partition that was in.
        return str(self.contact_id)

    def subject_tail(self) -> str:
        return "replies"
