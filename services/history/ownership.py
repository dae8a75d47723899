"""Account owners: who owns a customer (or their organization, inherited by its people
with no owner of their own), and each owner's book of customers."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from events.base import utcnow
from schemas.api import CustomerView
from services.history.account_book import AccountBook
from services.history.core import HistoryCore, Loaded, MergeConflict
from services.history.customer import CustomerErasedError
from services.history.organization_account import OrganizationAccount


class OwnershipCommands(HistoryCore):
    def _book(self, books: dict[str, AccountBook], agent_id: str) -> AccountBook:
        if agent_id not in books:
            found = self._get(AccountBook.create_id(agent_id))
            books[agent_id] = found if found is not None else AccountBook(agent_id)
        return books[agent_id]

    def _organization(self, name: str) -> OrganizationAccount:
        found = self._get(OrganizationAccount.create_id(name))
        return found if found is not None else OrganizationAccount(name)

    def set_owner(self, customer_id: uuid.UUID, owner_id: str | None, by: str) -> None:
        """The survivor's owner is the group's; clearing it clears the merged ones' too.
        The owners' books change in the same transaction."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        group = [root, *(loaded.members(root) if owner_id is None else [])]
        changed = [c for c in group if c.owner_id != owner_id]
        books: dict[str, AccountBook] = {}

        def book(agent_id: str) -> AccountBook:
            return self._book(books, agent_id)

        for c in changed:
            if c.owner_id is not None:
                book(c.owner_id).remove(c.id, by)
            c.set_owner(owner_id, by, utcnow())
        if owner_id is not None:
            book(owner_id).add(root.id, by)
        self.save(*changed, *books.values())

    def set_organization_owner(self, customer_id: uuid.UUID, owner_id: str | None, by: str) -> None:
        """The owner of the customer's organization: its people with no owner of their own
        inherit it. Recorded on this customer's timeline too."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        group = [root, *loaded.members(root)]
        found: dict[str, Any] | None = next((c.organization for c in group if c.organization), None)
        if not found:
            raise MergeConflict(f"customer {customer_id} has no organization to own")
        account = self._organization(found["name"])
        if account.owner_id == owner_id:
            return
        books: dict[str, AccountBook] = {}
        if account.owner_id is not None:
            self._book(books, account.owner_id).remove_organization(account.name, by)
        if owner_id is not None:
            self._book(books, owner_id).add_organization(account.name, by)
        account.set_owner(owner_id, by, utcnow())
        account.join(root.id)  # people named before organization owners were
        root.set_organization_owner(account.name, owner_id, by, utcnow())
        self.save(root, account, *books.values())

    def organization_moved(
        self,
        customer_id: uuid.UUID,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> list[Aggregate]:
        """A customer's organization changed: who its people are (saved by the caller)."""
        old, new = (o["name"] if o else None for o in (before, after))
        if old == new:
            return []
        changed: list[Aggregate] = []
        if old:
            leaving = self._organization(old)
            leaving.leave(customer_id)
            changed.append(leaving)
        if new:
            joining = self._organization(new)
            joining.join(customer_id)
            changed.append(joining)
        return changed

    def accounts(self, owner_id: str) -> list[CustomerView]:
        """The cards of the customers `owner_id` owns, themselves or through their
        organization (a merged one: its survivor's, once), leaving out the erased and those
        whose owner changed since."""
        book = self._get(AccountBook.create_id(owner_id))
        owned: list[uuid.UUID] = list(book.customers) if book is not None else []
        for name in book.organizations if book is not None else []:
            owned += self._organization(name).members
        cards: dict[uuid.UUID, CustomerView] = {}
        for customer_id in owned:
            try:
                card = self.card(customer_id)
            except (CustomerErasedError, LookupError):
                continue
            if card.owner_id == owner_id:
                cards.setdefault(card.customer_id, card)
        return sorted(cards.values(), key=lambda c: (c.name or "", str(c.customer_id)))
