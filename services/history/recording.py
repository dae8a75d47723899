"""Recording what reaches us onto customers: identity resolution, automatic merges and
merge suggestions, routing's events on each contact."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from events import (
    ContactEvent,
    ContactMessageAdded,
    DocumentStep,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
    contact_id_for,
)
from schemas.verification import is_verified
from services.history.card import last_agent, owner_of
from services.history.contact_link import ContactLink
from services.history.core import HistoryCore, Loaded
from services.history.customer import Customer, CustomerErasedError
from services.history.identity_claim import IdentityClaim, claim_id
from services.history.identity_policy import sender_identities, ties
from services.history.merge_suggestion import MergeSuggestion, suggestion_id
from services.history.merging import decide_merge, evidence_for, kind_of
from services.history.summaries import describe_update, summarize
from switchboard.inbox import NotYet


class RecordingCommands(HistoryCore):
    def record_interaction(self, interaction: InteractionReceived, tracking: Tracking) -> None:
        contact_id = contact_id_for(interaction.interaction_id)
        if self._get(contact_id) is not None:
            self.commit(tracking=tracking)  # a channel retry outside the dedupe window
            return
        sender = interaction.sender
        how = sender_identities(sender)
        idents = list(how)
        tied = ties(how)
        loaded = Loaded(self)
        claims: dict[str, IdentityClaim | None] = {i: loaded.get(claim_id(i)) for i in idents}
        matched: dict[uuid.UUID, list[str]] = {}
        for identity in tied.anchors:
            claim = claims[identity]
            if claim is not None and claim.customer_id is not None:
                try:
                    loaded.customer(claim.customer_id)
                except CustomerErasedError:  # erasure releases claims; this one slipped by
                    claim.release()
                    continue
                matched.setdefault(claim.customer_id, []).append(identity)
        new: list[Aggregate] = []
        if matched:
            customer = loaded.customer(next(iter(matched)))
            customer.learn_name(sender.name)
            self._join_owners(loaded, matched, interaction.interaction_id, new)
        else:
            customer = Customer(identities=[], name=sender.name)
        for identity in tied.anchors:
            self._claim(loaded, customer, identity, how[identity], claims[identity], new)
        shown = loaded.root(customer.id) if matched else customer
        for identity in tied.loose:
            claim = claims[identity]
            holder = self._loose_holder(loaded, identity, how[identity], claim, new)
            lone = holder.id != shown.id and holder.interaction_count() == 0
            if lone and holder.id not in customer.loose_holders():
                customer.note_loose(holder.id)
            evidence = {
                "interaction_id": str(interaction.interaction_id),
                "matched_kinds": {
                    str(shown.id): sorted({kind_of(i) for i in tied.anchors}),
                    str(holder.id): [kind_of(identity)],
                },
                "unverified": [kind_of(identity)],
            }
            self._suggest(loaded, shown, holder, evidence, new)
        group = [shown, *loaded.members(shown)]
        customer.record_interaction(
            interaction_id=interaction.interaction_id,
            contact_id=contact_id,
            channel=interaction.channel,
            at=interaction.occurred_at,
            summary=(interaction.subject_line or interaction.text)[:200],
            text=interaction.text,
            identities=idents,
            is_new_customer=not matched,
            reason=reason_given(interaction),
            shown_as=shown.id,
            tier=shown.tier,
            last_agent_id=last_agent(group),
            owner_id=owner_of(group) or self.organization_owner(group),
            language=interaction.attributes.get("language"),
            raw_ref=interaction.attributes.get("raw_ref"),
            customer_language=interaction.attributes.get("language")
            or getattr(shown, "language", None)
            or getattr(customer, "language", None),
        )
        link = ContactLink(contact_id=contact_id, customer_id=customer.id)
        self.commit(customer, link, *loaded.changed(), *new, tracking=tracking)

    def _claim(
        self,
        loaded: Loaded,
        customer: Customer,
        identity: str,
        verified_by: str,
        claim: IdentityClaim | None,
        new: list[Aggregate],
    ) -> None:
        """An anchor identity: claimed by `customer` when nobody holds it; a claim held
        unverified so far records that it came vouched for this time."""
        if claim is None:
            customer.add_identity(identity, verified_by)
            new.append(IdentityClaim(claim_id(identity), customer.id, verified_by))
        elif claim.customer_id is None:  # its customer was erased: someone new
            customer.add_identity(identity, verified_by)
            claim.reclaim(customer.id, verified_by)
        elif is_verified(verified_by) and not is_verified(claim.verified_by):
            claim.verify(verified_by)
            loaded.customer(claim.customer_id).verify_identity(identity, verified_by)

    def _loose_holder(
        self,
        loaded: Loaded,
        identity: str,
        verified_by: str,
        claim: IdentityClaim | None,
        new: list[Aggregate],
    ) -> Customer:
        """Who holds an identity nobody vouched for beside the interaction's customer: its
        own customer, made now if need be (a supervisor decides if the two are one)."""
        holder: Customer | None = None
        if claim is not None and claim.customer_id is not None:
            try:
                holder = loaded.root(claim.customer_id)
            except CustomerErasedError:
                claim.release()
        if holder is None:
            holder = Customer(identities=[], name=None)
            holder.add_identity(identity, verified_by)
            if claim is None:
                new.append(IdentityClaim(claim_id(identity), holder.id, verified_by))
            else:
                claim.reclaim(holder.id, verified_by)
            new.append(holder)
        return holder

    def _suggest(
        self,
        loaded: Loaded,
        a: Customer,
        b: Customer,
        evidence: dict[str, Any],
        new: list[Aggregate],
    ) -> None:
        """A merge suggestion for two customers (shown as themselves), unless one exists."""
        wanted = suggestion_id(a.id, b.id)
        if a.id == b.id or loaded.get(wanted) is not None or any(s.id == wanted for s in new):
            return
        new.append(MergeSuggestion(a=a.id, b=b.id, evidence=evidence))

    def _join_owners(
        self,
        loaded: Loaded,
        matched: dict[uuid.UUID, list[str]],
        interaction_id: uuid.UUID,
        new: list[Aggregate],
    ) -> None:
        """One interaction carried identities of several customers: merge them, or ask a
        supervisor, as the configured policy says."""
        by_root: dict[uuid.UUID, list[str]] = {}
        roots: dict[uuid.UUID, Customer] = {}
        for owner, idents in matched.items():
            root = loaded.root(owner)
            roots[root.id] = root
            by_root.setdefault(root.id, []).extend(idents)
        if len(by_root) < 2:
            return
        created = {r.id: r.created_on for r in roots.values()}
        decision = decide_merge(by_root, created, self.auto_merge_on)
        survivor = roots[decision.survivor]
        for other_id in decision.absorbed:
            other = roots[other_id]
            if decision.automatic:
                link(survivor, other, by_root, interaction_id, approved_by=None)
                continue
            kinds = {
                str(c): sorted({kind_of(i) for i in by_root[c]}) for c in (survivor.id, other.id)
            }
            evidence = {"interaction_id": str(interaction_id), "matched_kinds": kinds}
            self._suggest(loaded, survivor, other, evidence, new)

    def record_update(self, update: InteractionUpdated, tracking: Tracking) -> None:
        self._record_on_contact(
            contact_id_for(update.interaction_id),
            kind="InteractionUpdated",
            at=update.occurred_at,
            summary=describe_update(update),
            data=update.model_dump(mode="json", include={"kind", "status", "text", "attributes"}),
            tracking=tracking,
        )

    def record_reply_status(self, status: ReplyStatusChanged, tracking: Tracking) -> None:
        detail = f": {status.detail}" if status.detail else ""
        self._record_on_contact(
            status.contact_id,
            kind="ReplyStatusChanged",
            at=status.occurred_at,
            summary=f"Reply {status.status} via {status.channel}{detail}",
            data=status.model_dump(mode="json", exclude={"contact_id", "occurred_at"}),
            tracking=tracking,
        )

    def record_document_step(self, step: DocumentStep, tracking: Tracking) -> None:
        """A document's step (generated, asked, approved, rejected, sent) with who and why."""
        self._record_on_contact(
            step.contact_id,
            kind=step.type_name(),
            at=step.occurred_at,
            summary=step.summary,
            data=step.model_dump(mode="json", exclude={"contact_id", "occurred_at", "summary"}),
            tracking=tracking,
        )

    def record_contact_event(self, event: ContactEvent, tracking: Tracking) -> None:
        if isinstance(event, ContactMessageAdded):
            self.join_message(event, tracking)
            return
        self._record_on_contact(
            event.contact_id,
            kind=event.type_name(),
            at=event.occurred_at,
            summary=summarize(event),
            data=event.model_dump(mode="json", exclude={"contact_id", "occurred_at"}),
            tracking=tracking,
        )

    def join_message(self, event: ContactMessageAdded, tracking: Tracking) -> None:
        """Routing placed an interaction in an existing conversation: its timeline entry
        moves to that conversation (it was recorded under the contact it would have opened
        alone, before routing decided)."""
        own = contact_id_for(event.interaction_id)
        link = self._get(own)
        if link is None:
            raise NotYet(f"interaction {event.interaction_id} not recorded yet")
        try:
            customer: Customer = Loaded(self).customer(link.customer_id)
        except CustomerErasedError:
            self.commit(tracking=tracking)
            return
        customer.join_interaction(event.interaction_id, own, event.contact_id)
        self.commit(customer, tracking=tracking)

    def _record_on_contact(
        self,
        contact_id: uuid.UUID,
        kind: str,
        at: datetime,
        summary: str,
        data: dict[str, Any],
        tracking: Tracking,
    ) -> None:
        link = self._get(contact_id)
        if link is None:
            raise NotYet(f"contact {contact_id} not yet linked to a customer")
        try:
            customer: Customer = Loaded(self).customer(link.customer_id)
        except CustomerErasedError:
            self.commit(tracking=tracking)  # erased on request: record nothing more
            return
        customer.record_contact_event(
            kind=kind, contact_id=contact_id, at=at, summary=summary, data=data
        )
        self.commit(customer, tracking=tracking)


def link(
    survivor: Customer,
    other: Customer,
    matched: dict[uuid.UUID, list[str]],
    interaction_id: uuid.UUID | None,
    approved_by: str | None,
    reason: str = "",
) -> None:
    """`other` (a customer shown as itself) joins `survivor`; each side keeps its evidence."""
    own, theirs = matched.get(survivor.id, []), matched.get(other.id, [])
    kinds = [i.partition(":")[0] for i in theirs]
    survivor.absorb(other.id, evidence_for(interaction_id, own, kinds, reason), approved_by)
    own_kinds = [i.partition(":")[0] for i in own]
    other.merge_into(
        survivor.id, evidence_for(interaction_id, theirs, own_kinds, reason), approved_by
    )


def reason_given(interaction: InteractionReceived) -> str | None:
    """Why they contacted us, when the channel says: a form's or mail's subject, or the
    message itself (a call's text is only that it rang)."""
    stated = interaction.attributes.get("reason") or interaction.subject_line
    if not stated and interaction.channel != "voice":
        stated = interaction.text
    return stated[:200] if stated else None
