"""What staff do to customers: the card's fields, notes and tags, tier, merges and
unmerges (with who approved), and erasure on request (account owners: ownership.py)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate

from events.base import utcnow
from services.history.core import Loaded, MergeConflict
from services.history.customer import Customer, CustomerErasedError
from services.history.identity_claim import claim_id
from services.history.merge_suggestion import MergeSuggestion, suggestion_id
from services.history.ownership import OwnershipCommands
from services.history.recording import link


class CurationCommands(OwnershipCommands):
    def update_profile(self, customer_id: uuid.UUID, changes: dict[str, Any], by: str) -> None:
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        moved: list[Aggregate] = []
        if changes:
            before = root.organization
            root.update_profile(changes, by)
            if "organization" in changes:  # its people are its owner's book
                moved = self.organization_moved(root.id, before, root.organization)
        self.save(root, *moved)

    def add_note(self, customer_id: uuid.UUID, text: str, by: str) -> uuid.UUID:
        root = Loaded(self).root(customer_id)
        note_id = uuid.uuid4()
        root.add_note(note_id, text, by, utcnow())
        self.save(root)
        return note_id

    def remove_note(self, customer_id: uuid.UUID, note_id: uuid.UUID, by: str) -> bool:
        """Whether there was such a note (on this customer or one merged into them)."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        holder = next((c for c in [root, *loaded.members(root)] if str(note_id) in c.notes), None)
        if holder is None:
            return False
        holder.remove_note(note_id, by)
        self.save(holder)
        return True

    def tag(self, customer_id: uuid.UUID, tag: str, by: str) -> None:
        root = Loaded(self).root(customer_id)
        if tag not in root.tags:
            root.tag(tag, by)
            self.save(root)

    def untag(self, customer_id: uuid.UUID, tag: str, by: str) -> None:
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        holders = [c for c in [root, *loaded.members(root)] if tag in c.tags]
        for c in holders:
            c.untag(tag, by)
        self.save(*holders)

    def set_tier(self, customer_id: uuid.UUID, tier: str | None, by: str) -> None:
        """The survivor's tier is the group's; clearing it clears the merged ones' too."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        group = [root, *(loaded.members(root) if tier is None else [])]
        changed = [c for c in group if c.tier != tier]
        for c in changed:
            c.set_tier(tier, by)
        self.save(*changed)

    # Merges ---------------------------------------------------------------------------

    def merge(
        self,
        survivor_id: uuid.UUID,
        other_id: uuid.UUID,
        by: str,
        reason: str,
        suggestion: uuid.UUID | None = None,
    ) -> Customer:
        """A supervisor's merge: `other` (and whoever was merged into it) joins `survivor`.
        A pending suggestion for the two (or the one given) is confirmed with it."""
        loaded = Loaded(self)
        survivor, other = loaded.root(survivor_id), loaded.root(other_id)
        candidates = {suggestion_id(survivor.id, other.id), *([suggestion] if suggestion else [])}
        pending = [
            s
            for s in map(loaded.get, candidates)
            if isinstance(s, MergeSuggestion) and s.status == "pending"
        ]
        if survivor.id == other.id and not pending:
            raise MergeConflict("these customers are already one")
        if survivor.id != other.id:
            link(survivor, other, {}, None, approved_by=by, reason=reason)
        for s in pending:
            s.confirm(by)
        self.save(*loaded.changed())
        return survivor

    def confirm_suggestion(self, suggestion: uuid.UUID, by: str) -> Customer:
        found = self._suggestion(suggestion)
        if found.status != "pending":
            found.confirm(by)  # raises SuggestionDecided
        created = {c: Loaded(self).customer(c).created_on for c in (found.a, found.b)}
        survivor, other = sorted((found.a, found.b), key=lambda c: (created[c], str(c)))
        return self.merge(survivor, other, by, "suggestion confirmed", suggestion)

    def reject_suggestion(self, suggestion: uuid.UUID, by: str) -> None:
        found = self._suggestion(suggestion)
        found.reject(by)
        self.save(found)

    def _suggestion(self, suggestion: uuid.UUID) -> MergeSuggestion:
        found = self._get(suggestion)
        if not isinstance(found, MergeSuggestion):
            raise LookupError(f"merge suggestion {suggestion} not found")
        return found

    def unmerge(self, customer_id: uuid.UUID, by: str, reason: str) -> Customer:
        """Splits `customer_id` off whoever it was merged into (or, given a survivor with
        exactly one merged customer, that one off it). Returns the one split off."""
        loaded = Loaded(self)
        customer = loaded.customer(customer_id)
        if customer.merged_into is None:
            if len(customer.absorbed) != 1:
                raise MergeConflict(
                    f"customer {customer_id} was not merged into anyone"
                    + (
                        "; unmerge one of " + ", ".join(map(str, customer.absorbed))
                        if customer.absorbed
                        else ""
                    )
                )
            customer = loaded.customer(customer.absorbed[0])
        assert customer.merged_into is not None
        survivor = loaded.customer(customer.merged_into)
        survivor.release(customer.id, by, reason)
        customer.split_off(survivor.id, by, reason)
        self.save(survivor, customer)
        return customer

    # Right to be forgotten ---------------------------------------------------------------

    def loose_of(self, loaded: Loaded, group: list[Customer]) -> list[Customer]:
        """The customers made only to hold identities the group's interactions named without
        anyone vouching for them (recording.py): nothing of their own, they go with it."""
        found: dict[uuid.UUID, Customer] = {}
        for customer in group:
            for holder_id in customer.loose_holders():
                try:
                    holder = loaded.customer(holder_id)
                except CustomerErasedError:
                    continue
                lone = holder.merged_into is None and not holder.absorbed
                if lone and holder.interaction_count() == 0 and holder not in group:
                    found[holder.id] = holder
        return list(found.values())

    def erase(self, customer_id: uuid.UUID, by: str) -> list[uuid.UUID]:
        """Erases the person: the customer shown and everyone merged into them. Their
        identities are released and their keys destroyed, so their events (and snapshots)
        can no longer be read; `Erased` stays, in the clear, as the trace."""
        loaded = Loaded(self)
        root = loaded.root(customer_id)
        group = [root, *loaded.members(root)]
        group += self.loose_of(loaded, group)
        released: list[Aggregate] = []
        for customer in group:
            for identity in customer.identities:
                claim = self._get(claim_id(identity))
                if claim is not None and claim.customer_id == customer.id:
                    claim.release()
                    released.append(claim)
            customer.erase(by)
        self.save(*group, *released)
        erased = [c.id for c in group]
        # After the trace is stored: should this fail, erasing again finishes the job.
        self.keys.destroy(erased)
        return erased
