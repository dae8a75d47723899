"""The history application's base: its store (with per-customer keys) and how a command
loads the customers it touches."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper
from eventsourcing.utils import EnvType

from schemas.api import CustomerView
from services.history.card import group_card
from services.history.customer import Customer, CustomerErasedError
from services.history.identity_claim import claim_id
from services.history.organization_account import OrganizationAccount
from services.history.shredding import KEY_TABLE, PersonalDataErased, customer_mapper
from switchboard.shredding import KeyRing, open_key_table
from switchboard.store import TrackedApplication

MAX_GROUP = 1000


class CustomerNotFound(LookupError):
    pass


class MergeConflict(Exception):
    """The merge or unmerge asked for does not fit how the customers stand (409)."""


class Loaded:
    """The aggregates one command touches, each loaded once, so that changing a customer
    reached by two paths (its claim and a merge) never makes two diverging copies."""

    def __init__(self, app: HistoryCore) -> None:
        self.app = app
        self.seen: dict[uuid.UUID, Any] = {}

    def get(self, aggregate_id: uuid.UUID) -> Any:
        if aggregate_id not in self.seen:
            self.seen[aggregate_id] = self.app._get(aggregate_id)
        return self.seen[aggregate_id]

    def customer(self, customer_id: uuid.UUID) -> Customer:
        found = self.get(customer_id)
        if not isinstance(found, Customer):
            raise CustomerNotFound(f"customer {customer_id} not found")
        found.check_not_erased()
        return found

    def root(self, customer_id: uuid.UUID) -> Customer:
        """Who a customer was merged into, all the way up."""
        customer = self.customer(customer_id)
        for _ in range(MAX_GROUP):
            if customer.merged_into is None:
                break
            customer = self.customer(customer.merged_into)
        return customer

    def members(self, root: Customer) -> list[Customer]:
        """Everyone merged into `root`, directly or not."""
        found: list[Customer] = []
        frontier = list(root.absorbed)
        while frontier and len(found) < MAX_GROUP:
            customer = self.customer(frontier.pop(0))
            found.append(customer)
            frontier += customer.absorbed
        return found

    def changed(self) -> list[Aggregate]:
        return [a for a in self.seen.values() if isinstance(a, Aggregate)]


class HistoryCore(TrackedApplication):
    name = "history"
    snapshotting_intervals = {Customer: 100}

    def __init__(
        self, env: EnvType | None = None, auto_merge_on: Iterable[str] = ("phone", "email")
    ) -> None:
        # Empty: every merge waits for a supervisor.
        self.auto_merge_on = list(auto_merge_on)
        # The cache saves rebuilding a customer from its events on every message (13 % of
        # `up` under a burst). It hands out deep copies and fast-forwards from the store on
        # every read, so replicas writing the same customers stay correct (the version
        # check still settles their races), and an erasure reaches cached copies as the
        # Erased event it is stored as.
        super().__init__(
            {"IS_SNAPSHOTTING_ENABLED": "y", "AGGREGATE_CACHE_MAXSIZE": "10000", **(env or {})}
        )

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        self.keys = KeyRing(open_key_table(self.factory, KEY_TABLE))
        return customer_mapper(self.construct_transcoder(), self.keys)

    def _get(self, aggregate_id: uuid.UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        except PersonalDataErased as exc:
            raise CustomerErasedError(str(exc)) from None

    def find(self, identity: str) -> CustomerView | None:
        claim = self._get(claim_id(identity))
        if claim is None or claim.customer_id is None:
            return None
        return self.card(claim.customer_id)

    def card(self, customer_id: uuid.UUID) -> CustomerView:
        """The card of whoever `customer_id` is shown as (after merges, the survivor)."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        group = [root, *loaded.members(root)]
        card = group_card(root, group[1:])
        inherited = None if card.owner_id else self.organization_owner(group)
        if inherited is not None:
            card = card.model_copy(update={"owner_id": inherited, "owner_via": "organization"})
        return card

    def card_of_contact(self, contact_id: uuid.UUID) -> CustomerView | None:
        """The card of the customer a routed contact belongs to (None: not linked yet)."""
        link = self._get(contact_id)
        customer_id = getattr(link, "customer_id", None)
        return self.card(customer_id) if isinstance(customer_id, uuid.UUID) else None

    def organization_owner(self, group: list[Customer]) -> str | None:
        """The owner of the group's organization, for people with no owner of their own."""
        organization = next((c.organization for c in group if c.organization), None)
        if not organization:
            return None
        account = self._get(OrganizationAccount.create_id(organization["name"]))
        return account.owner_id if account is not None else None
