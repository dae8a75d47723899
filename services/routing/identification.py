"""The Identification aggregate: who a contact's customer is, when history says so before
routing has the contact (the two follow different streams). The contact picks it up when it
opens, so an early answer neither waits at the head of a stream nor is lost."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class Identification(Aggregate):
    owner_id: str | None = None  # recorded before account owners: none

    @staticmethod
    def create_id(contact_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return derived_id("identification", str(contact_id))

    @event("Recorded")
    def __init__(
        self,
        contact_id: uuid.UUID,
        customer_id: uuid.UUID,
        tier: str | None,
        last_agent_id: str | None,
        owner_id: str | None = None,
        language: str | None = None,
    ) -> None:
        self.contact_id = contact_id
        self.customer_id = customer_id
        self.tier = tier
        self.last_agent_id = last_agent_id
        self.owner_id = owner_id
        self.language = language
