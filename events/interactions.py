"""Contracts published by channel adapters onto the INBOUND stream."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.base import Event, derived_id

Channel = Literal["webform", "voice", "sms", "whatsapp", "telegram", "email", "api"]
INBOUND_SUBJECT_PREFIX = "sb.inbound"


class Sender(BaseModel):
    """Who reached us, as the channel identified them (already normalized by the adapter)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    handle: str | None = None  # namespaced messenger id, e.g. "telegram:1234"


class InteractionReceived(Event):
    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*"

    interaction_id: uuid.UUID
    channel: Channel
    source: str = Field(description="Adapter instance, e.g. the form id or the bot name")
    external_id: str = Field(description="The channel's own id for this interaction")
    sender: Sender
    subject_line: str | None = None
    text: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)

    @staticmethod
    def dedupe_key(channel: str, source: str, external_id: str) -> str:
        """Becomes Nats-Msg-Id: the same channel event always maps to the same key."""
        return f"{channel}:{source}:{external_id}"

    @classmethod
    def id_for(cls, channel: str, source: str, external_id: str) -> uuid.UUID:
        return derived_id("interaction", cls.dedupe_key(channel, source, external_id))

    def publish_subject(self) -> str:
        return f"{INBOUND_SUBJECT_PREFIX}.{self.channel}"


def contact_id_for(interaction_id: uuid.UUID) -> uuid.UUID:
    """One interaction opens one contact; every service can compute which."""
    return derived_id("contact", str(interaction_id))
