"""The history application: identity resolution and recording onto customers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.utils import EnvType

from events import (
    ContactEvent,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
    contact_id_for,
)
from schemas.api import CustomerView
from schemas.identity import identities
from services.history.contact_link import ContactLink
from services.history.customer import Customer
from services.history.identity_claim import IdentityClaim
from services.history.summaries import describe_update, summarize
from switchboard.inbox import NotYet
from switchboard.store import TrackedApplication


class CustomerNotFound(LookupError):
    pass


class HistoryApplication(TrackedApplication):
    name = "history"
    snapshotting_intervals = {Customer: 100}

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__({"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def _get(self, aggregate_id: uuid.UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def record_interaction(self, interaction: InteractionReceived, tracking: Tracking) -> None:
        contact_id = contact_id_for(interaction.interaction_id)
        if self._get(contact_id) is not None:
            self.commit(tracking=tracking)  # a channel retry outside the dedupe window
            return
        sender = interaction.sender
        idents = identities(email=sender.email, phone=sender.phone, handle=sender.handle)
        claims: list[IdentityClaim | None] = [self._get(IdentityClaim.create_id(i)) for i in idents]
        owners = list(dict.fromkeys(c.customer_id for c in claims if c is not None))
        new: list[Aggregate] = []
        if owners:
            # Several owners means two customers are one person: merging is a
            # supervisor's decision (with evidence), so we join the first-known one.
            customer: Customer = self.repository.get(owners[0])
            customer.learn_name(sender.name)
        else:
            customer = Customer(identities=[], name=sender.name)
        for identity, claim in zip(idents, claims, strict=True):
            if claim is None:
                customer.add_identity(identity)
                new.append(IdentityClaim(identity=identity, customer_id=customer.id))
        customer.record_interaction(
            interaction_id=interaction.interaction_id,
            contact_id=contact_id,
            channel=interaction.channel,
            at=interaction.occurred_at,
            summary=(interaction.subject_line or interaction.text)[:200],
            text=interaction.text,
            identities=idents,
            is_new_customer=not owners,
        )
        link = ContactLink(contact_id=contact_id, customer_id=customer.id)
        self.commit(customer, link, *new, tracking=tracking)

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

    def record_contact_event(self, event: ContactEvent, tracking: Tracking) -> None:
        self._record_on_contact(
            event.contact_id,
            kind=event.type_name(),
            at=event.occurred_at,
            summary=summarize(event),
            data=event.model_dump(mode="json", exclude={"contact_id", "occurred_at"}),
            tracking=tracking,
        )

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
        customer: Customer = self.repository.get(link.customer_id)
        customer.record_contact_event(
            kind=kind, contact_id=contact_id, at=at, summary=summary, data=data
        )
        self.commit(customer, tracking=tracking)

    def find(self, identity: str) -> CustomerView | None:
        claim = self._get(IdentityClaim.create_id(identity))
        return None if claim is None else self.card(claim.customer_id)

    def card(self, customer_id: uuid.UUID) -> CustomerView:
        customer = self._get(customer_id)
        if not isinstance(customer, Customer):
            raise CustomerNotFound(f"customer {customer_id} not found")
        return CustomerView(
            customer_id=customer.id, name=customer.name, identities=customer.identities
        )
