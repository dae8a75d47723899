"""The OfferRef aggregate: finds the contact behind an offer id (what agents act on)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event


class OfferRef(Aggregate):
    @staticmethod
    def create_id(offer_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return offer_id

    @event("Created")
    def __init__(self, offer_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        self.contact_id = contact_id
