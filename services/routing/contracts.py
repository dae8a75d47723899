"""What of the routing store is published, and as which contract.

A contract is filled from its stored event by field name: each field takes the stored
attribute of the same name (pydantic turns stored id strings into UUIDs), unless RENAMED
says where it comes from. A Contact's events give `contact_id` (their originator), and
every event gives `occurred_at` (when it was stored). So publishing one more stored event
is one line in CONTRACTS, not a hand-written builder that could drift from the contract.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from events import (
    AgentOffered,
    AgentStatusChanged,
    AgentWrapUpEnded,
    AgentWrapUpStarted,
    ContactAbandoned,
    ContactCancelled,
    ContactCompleted,
    ContactEscalated,
    ContactFlagged,
    ContactMessageAdded,
    ContactOpened,
    ContactPending,
    ContactQueued,
    ContactReopened,
    ContactSnoozed,
    ContactTransferred,
    ContactWoken,
    Event,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferWithdrawn,
    OwnerInformed,
    ReplyRequested,
)
from services.routing.follow_up_contracts import FOLLOW_UP_CONTRACTS, FOLLOW_UP_RENAMED
from services.routing.voice_contracts import VOICE_CONTRACTS

# Stored event class (by qualified name) -> the contract it is published as.
CONTRACTS: dict[str, type[Event]] = {
    "Contact.Opened": ContactOpened,
    "Contact.Queued": ContactQueued,
    "Contact.Offered": AgentOffered,
    "Contact.OfferAccepted": OfferAccepted,
    "Contact.OfferDeclined": OfferDeclined,
    "Contact.OfferExpired": OfferExpired,
    "Contact.Escalated": ContactEscalated,
    "Contact.Completed": ContactCompleted,
    "Contact.Abandoned": ContactAbandoned,
    "Contact.ReplyRequested": ReplyRequested,
    "Contact.CustomerTold": ReplyRequested,
    "Contact.Flagged": ContactFlagged,
    "Contact.OfferWithdrawn": OfferWithdrawn,
    "Contact.Transferred": ContactTransferred,
    "Contact.Cancelled": ContactCancelled,
    "Contact.MessageAdded": ContactMessageAdded,
    "Contact.Reopened": ContactReopened,
    "Contact.PendingSet": ContactPending,
    "Contact.Snoozed": ContactSnoozed,
    "Contact.Woken": ContactWoken,
    "Contact.OwnerInformed": OwnerInformed,
    "Agent.StatusChanged": AgentStatusChanged,
    "Agent.WrapUpStarted": AgentWrapUpStarted,
    "Agent.WrapUpEnded": AgentWrapUpEnded,
    **VOICE_CONTRACTS,
    **FOLLOW_UP_CONTRACTS,
}

# (contract, field) -> the stored attribute it is named differently, or how it is made.
RENAMED: dict[tuple[type[Event], str], str | Callable[[Any], Any]] = {
    (AgentOffered, "escalation_level"): "level",
    (ContactEscalated, "step"): "kind",
    (ReplyRequested, "channel"): lambda e: e.origin.get("channel", "unknown"),
    (ContactMessageAdded, "agent_id"): "to",
    (ContactMessageAdded, "summary"): lambda e: (e.subject or e.text)[:200],
    (ContactOpened, "source"): lambda e: str((e.origin or {}).get("source") or ""),
    (ContactOpened, "attributes"): lambda e: public_attributes(e.origin),
    **FOLLOW_UP_RENAMED,
}
# Interaction attributes that name a person (a caller's number, where to call back): they
# stay in the routing store, off the EVENTS stream every service reads.
PERSONAL_ATTRIBUTES = frozenset({"caller", "callback_to", "From", "FromCity", "FromState"})


def public_attributes(origin: dict[str, Any] | None) -> dict[str, str]:
    given = (origin or {}).get("attributes") or {}
    return {str(k): str(v) for k, v in given.items() if k not in PERSONAL_ATTRIBUTES}


# What every stored event offers under these names when it has no attribute of its own.
IMPLIED: dict[str, Callable[[Any], Any]] = {
    "contact_id": lambda e: e.originator_id,
    "occurred_at": lambda e: e.timestamp,
}


def _value(contract: type[Event], name: str, domain_event: Any) -> Any:
    source = RENAMED.get((contract, name), name)
    if callable(source):
        return source(domain_event)
    if hasattr(domain_event, source):
        return getattr(domain_event, source)
    implied = IMPLIED.get(name)
    return implied(domain_event) if implied is not None else _MISSING


_MISSING = object()


def to_contract(domain_event: Any) -> Event | None:
    contract = CONTRACTS.get(type(domain_event).__qualname__)
    if contract is None:
        return None
    fields = {name: _value(contract, name, domain_event) for name in contract.model_fields}
    # The event id is derived from the stored event so that a re-published contract is
    # recognisably the same event.
    fields["event_id"] = uuid.uuid5(
        domain_event.originator_id, str(domain_event.originator_version)
    )
    fields["occurred_at"] = domain_event.timestamp
    return contract.model_validate({k: v for k, v in fields.items() if v is not _MISSING})
