"""Contracts published by the history service (sb.events.history.<Event>)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from events.base import Event

PREFIX = "sb.events.history"


class CustomerIdentified(Event):
    """Who sent an interaction, and what routing needs to know of them at that moment."""

    subject: ClassVar[str] = f"{PREFIX}.CustomerIdentified"
    version: ClassVar[int] = 4
    customer_id: uuid.UUID
    interaction_id: uuid.UUID
    contact_id: uuid.UUID
    identities: list[str]
    is_new_customer: bool
    # v2: the customer's tier (e.g. "vip") raises their priority; the agent who last
    # accepted one of their contacts gets the first offer (sticky routing).
    tier: str | None = None
    last_agent_id: str | None = None
    # v3: the customer's account owner (an agent id): their contacts go to the owner first.
    owner_id: str | None = None
    # v4: the customer's language: this interaction's, else the last one known. Routing
    # takes it for a contact whose own language is unknown (too short to detect).
    language: str | None = None


class CustomerErased(Event):
    """A customer's personal data was erased on request: every service forgets its copy."""

    subject: ClassVar[str] = f"{PREFIX}.CustomerErased"
    version: ClassVar[int] = 2
    customer_id: uuid.UUID
    # v2: the ids of their interactions and contacts, so services delete (and shred) what
    # they keep under those ids: stream messages, call state, notifications; and where
    # their raw mails are kept (`sb_raw_email/<name>`).
    reached: list[uuid.UUID] = Field(default_factory=list)
    raw_refs: list[str] = Field(default_factory=list)
