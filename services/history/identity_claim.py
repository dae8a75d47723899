"""The IdentityClaim aggregate: which customer an identity belongs to.

Its id is derived from the identity, so two interactions racing to create a customer
for the same phone number conflict on this claim and only one customer results. The
identity itself is not stored here (it lives encrypted in its customer's events), so
erasing the customer leaves only an id that points to nobody.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id
from schemas.verification import UNVERIFIED


def claim_id(identity: str) -> uuid.UUID:
    return derived_id("identity", identity)


class IdentityClaim(Aggregate):
    @staticmethod
    def create_id(claim: uuid.UUID, **_: Any) -> uuid.UUID:
        return claim

    @event("Claimed")
    def __init__(
        self, claim: uuid.UUID, customer_id: uuid.UUID, verified_by: str = UNVERIFIED
    ) -> None:
        self.customer_id: uuid.UUID | None = customer_id
        # How the identity was verified when claimed (or since): claims from before read
        # as unverified, which only ever asks a supervisor more.
        self.verified_by = verified_by

    @event("Reclaimed")
    def reclaim(self, customer_id: uuid.UUID, verified_by: str = UNVERIFIED) -> None:
        self.customer_id = customer_id
        self.verified_by = verified_by

    @event("Verified")
    def verify(self, verified_by: str) -> None:
        self.verified_by = verified_by

    @event("Released")
    def release(self) -> None:
        """Its customer was erased: whoever uses this identity next is someone new."""
        self.customer_id = None
