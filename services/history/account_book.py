"""The AccountBook aggregate: the customers one agent owns (their account owner's book).

Kept beside the customers rather than in the read model: setting an owner changes the
customer and both books in one transaction, so the book never disagrees with the cards.
It holds customer ids only (no personal data), so it is stored in the clear.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class AccountBook(Aggregate):
    @staticmethod
    def create_id(owner_id: str, **_: Any) -> uuid.UUID:
        return derived_id("account-book", owner_id)

    @event("Opened")
    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id
        self.customers: list[uuid.UUID] = []
        self.organizations: list[str] = []  # their names, as the cards write them

    def add(self, customer_id: uuid.UUID, by: str) -> None:
        if customer_id not in self.customers:
            self._added(customer_id, by)

    @event("CustomerAdded")
    def _added(self, customer_id: uuid.UUID, by: str) -> None:
        self.customers = [*self.customers, customer_id]

    def remove(self, customer_id: uuid.UUID, by: str) -> None:
        if customer_id in self.customers:
            self._removed(customer_id, by)

    @event("CustomerRemoved")
    def _removed(self, customer_id: uuid.UUID, by: str) -> None:
        self.customers = [c for c in self.customers if c != customer_id]

    def add_organization(self, name: str, by: str) -> None:
        if name not in self.organizations:
            self._organization_added(name, by)

    @event("OrganizationAdded")
    def _organization_added(self, name: str, by: str) -> None:
        self.organizations = [*self.organizations, name]

    def remove_organization(self, name: str, by: str) -> None:
        if name in self.organizations:
            self._organization_removed(name, by)

    @event("OrganizationRemoved")
    def _organization_removed(self, name: str, by: str) -> None:
        self.organizations = [o for o in self.organizations if o != name]
