"""The ContactLink aggregate: which customer a routed contact belongs to."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event


class ContactLink(Aggregate):
    @staticmethod
    def create_id(contact_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return contact_id

    @event("Linked")
    def __init__(self, contact_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        self.customer_id = customer_id
