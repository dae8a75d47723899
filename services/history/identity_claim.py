"""The IdentityClaim aggregate: which customer an identity belongs to.

Its id is derived from the identity, so two interactions racing to create a customer
for the same phone number conflict on this claim and only one customer results.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class IdentityClaim(Aggregate):
    @staticmethod
    def create_id(identity: str, **_: Any) -> uuid.UUID:
        return derived_id("identity", identity)

    @event("Claimed")
    def __init__(self, identity: str, customer_id: uuid.UUID) -> None:
        self.identity = identity
        self.customer_id = customer_id
