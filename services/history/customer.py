"""The Customer aggregate: who they are and everything that happened with them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class Customer(Aggregate):
    @event("Registered")
    def __init__(self, identities: list[str], name: str | None) -> None:
        self.identities = list(identities)
        self.name = name

    @event("IdentityAdded")
    def add_identity(self, identity: str) -> None:
        self.identities.append(identity)

    @event("InteractionRecorded")
    def record_interaction(
        self,
        interaction_id: uuid.UUID,
        contact_id: uuid.UUID,
        channel: str,
        at: datetime,
        summary: str,
        text: str,
        identities: list[str],
        is_new_customer: bool,
    ) -> None:
        pass  # the timeline is the event itself; the card keeps no copy

    @event("ContactEventRecorded")
    def record_contact_event(
        self, kind: str, contact_id: uuid.UUID, at: datetime, summary: str, data: dict[str, Any]
    ) -> None:
        pass

    def learn_name(self, name: str | None) -> None:
        if name and not self.name:
            self._named(name)

    @event("Named")
    def _named(self, name: str) -> None:
        self.name = name
