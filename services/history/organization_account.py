"""The OrganizationAccount aggregate: an organization's account owner, inherited by its
people who have no owner of their own, and who its people are.

An organization is a field of each customer's card (a name), not an entity, so this is
keyed by the name as people write it, case and surrounding spaces aside. It holds customer
ids and an agent id only (no personal data): stored in the clear.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


def organization_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class OrganizationAccount(Aggregate):
    @staticmethod
    def create_id(name: str, **_: Any) -> uuid.UUID:
        return derived_id("organization", organization_key(name))

    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.owner_id: str | None = None
        self.members: list[uuid.UUID] = []

    @event("OwnerSet")
    def set_owner(self, owner_id: str | None, by: str, at: datetime) -> None:
        self.owner_id = owner_id

    def join(self, customer_id: uuid.UUID) -> None:
        if customer_id not in self.members:
            self._joined(customer_id)

    @event("MemberJoined")
    def _joined(self, customer_id: uuid.UUID) -> None:
        self.members = [*self.members, customer_id]

    def leave(self, customer_id: uuid.UUID) -> None:
        if customer_id in self.members:
            self._left(customer_id)

    @event("MemberLeft")
    def _left(self, customer_id: uuid.UUID) -> None:
        self.members = [c for c in self.members if c != customer_id]
