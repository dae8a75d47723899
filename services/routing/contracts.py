"""What of the routing store is published, and as which contract."""

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
    ContactOpened,
    ContactQueued,
    ContactTransferred,
    Event,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferWithdrawn,
    ReplyRequested,
)
from services.routing.voice_contracts import VOICE_CONTRACTS


def _opened(e: Any) -> Event:
    return ContactOpened(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        interaction_id=e.interaction_id,
        channel=e.channel,
        identify_by=e.identify_by,
    )


def _queued(e: Any) -> Event:
    return ContactQueued(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        interaction_id=e.interaction_id,
        channel=e.channel,
        queue=e.queue,
        priority=e.priority,
        waiting_since=e.waiting_since,
    )


def _offered(e: Any) -> Event:
    return AgentOffered(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        offer_id=uuid.UUID(e.offer_id),
        agent_id=e.agent_id,
        expires_at=e.expires_at,
        escalation_level=e.level,
    )


def _accepted(e: Any) -> Event:
    return OfferAccepted(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        offer_id=uuid.UUID(e.offer_id),
        agent_id=e.agent_id,
        waited_seconds=e.waited_seconds,
    )


def _declined(e: Any) -> Event:
    return OfferDeclined(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        offer_id=uuid.UUID(e.offer_id),
        agent_id=e.agent_id,
    )


def _expired(e: Any) -> Event:
    return OfferExpired(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        offer_id=uuid.UUID(e.offer_id),
        agent_id=e.agent_id,
    )


def _escalated(e: Any) -> Event:
    return ContactEscalated(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        level=e.level,
        to_person_id=e.to_person_id,
        from_agent_id=e.from_agent_id,
        reason=e.reason,
        channel=e.channel,
        summary=e.summary,
        step=e.kind,
        queue=e.queue,
    )


def _completed(e: Any) -> Event:
    return ContactCompleted(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        disposition=e.disposition,
    )


def _abandoned(e: Any) -> Event:
    return ContactAbandoned(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        reason=e.reason,
        agent_id=e.agent_id,
        waited_seconds=e.waited_seconds,
    )


def _reply(e: Any) -> Event:
    return ReplyRequested(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        reply_id=uuid.UUID(e.reply_id),
        agent_id=e.agent_id,
        text=e.text,
        channel=e.origin.get("channel", "unknown"),
        origin=e.origin,
    )


def _flagged(e: Any) -> Event:
    return ContactFlagged(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        supervisor_id=e.supervisor_id,
        reason=e.reason,
        channel=e.channel,
        summary=e.summary,
    )


def _transferred(e: Any) -> Event:
    return ContactTransferred(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        from_agent_id=e.from_agent_id,
        queue=e.queue,
        reason=e.reason,
    )


def _cancelled(e: Any) -> Event:
    return ContactCancelled(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        by=e.by,
        reason=e.reason,
        agent_id=e.agent_id,
    )


def _status(e: Any) -> Event:
    return AgentStatusChanged(occurred_at=e.timestamp, agent_id=e.agent_id, status=e.status)


def _wrap_up_started(e: Any) -> Event:
    return AgentWrapUpStarted(
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        contact_id=uuid.UUID(e.contact_id),
        until=e.until,
    )


def _wrap_up_ended(e: Any) -> Event:
    return AgentWrapUpEnded(
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        contact_id=uuid.UUID(e.contact_id),
        reason=e.reason,
    )


def _withdrawn(e: Any) -> Event:
    return OfferWithdrawn(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        offer_id=uuid.UUID(e.offer_id),
        agent_id=e.agent_id,
        reason=e.reason,
    )


# Stored event class (by qualified name) -> contract. The event id is derived from the
# stored event so that a re-published contract is recognisably the same event.
CONTRACTS: dict[str, Callable[[Any], Event]] = {
    "Contact.Opened": _opened,
    "Contact.Queued": _queued,
    "Contact.Offered": _offered,
    "Contact.OfferAccepted": _accepted,
    "Contact.OfferDeclined": _declined,
    "Contact.OfferExpired": _expired,
    "Contact.Escalated": _escalated,
    "Contact.Completed": _completed,
    "Contact.Abandoned": _abandoned,
    "Contact.ReplyRequested": _reply,
    "Contact.Flagged": _flagged,
    "Contact.OfferWithdrawn": _withdrawn,
    "Contact.Transferred": _transferred,
    "Contact.Cancelled": _cancelled,
    "Agent.StatusChanged": _status,
    "Agent.WrapUpStarted": _wrap_up_started,
    "Agent.WrapUpEnded": _wrap_up_ended,
    **VOICE_CONTRACTS,
}


def to_contract(domain_event: Any) -> Event | None:
    build = CONTRACTS.get(type(domain_event).__qualname__)
    if build is None:
        return None
    contract = build(domain_event)
    stable_id = uuid.uuid5(domain_event.originator_id, str(domain_event.originator_version))
    return contract.model_copy(update={"event_id": stable_id})
