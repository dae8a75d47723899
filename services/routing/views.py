"""What routing shows people: its aggregates turned into the API's models."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.api import AgentView, ContactView, MessageView, OfferView, QueueView, RoutingDecision
from schemas.config import Person
from services.routing.agent import Agent
from services.routing.contact import Contact
from services.routing.plan import QueuePlan


def agent_view(agent: Agent, person: Person) -> AgentView:
    return AgentView(
        agent_id=agent.agent_id,
        name=person.name,
        role=person.role,
        status=agent.status,
        supervisor=person.supervisor,
        pending_offers=len(agent.offers),
        active_contacts=len(agent.contacts),
        wrap_up_until=max(agent.wrapping.values(), default=None),
        skills=person.skills,
        languages=person.languages,
    )


def contact_view(contact: Contact) -> ContactView:
    return ContactView(
        contact_id=contact.id,
        status=contact.status,
        channel=contact.channel,
        agent_id=contact.agent_id or (contact.offer or {}).get("agent_id"),
        escalation_level=contact.escalation_level,
        queue=contact.queue,
        customer_id=contact.customer_id,
        summary=contact.summary,
        priority=contact.priority,
        waiting_since=contact.queued_at,
        request_type=contact.facts.get("request_type"),
        message_count=contact.message_count,
        last_message_at=contact.last_message_at,
        unread=contact.unread,
        conversation=contact.conversation,
        snoozed_until=contact.snoozed_until,
        resolve_at=contact.resolve_at,
        follows=contact.follows,
        reopened=contact.reopened,
        **language_of(contact),
    )


def language_of(contact: Contact) -> dict[str, Any]:
    language = contact.facts.get("language")
    attributes = contact.facts.get("attributes") or {}
    detected = attributes.get("language") == language and "language_confidence" in attributes
    try:
        confidence = float(attributes["language_confidence"]) if detected else None
    except ValueError:
        confidence = None
    return {"language": language, "language_confidence": confidence}


def message_view(e: Any, contact: Contact) -> MessageView:
    """A transcript message from one of the contact's stored events (see messages_in)."""
    seq = e.originator_version
    match type(e).__qualname__:
        case "Contact.Opened":
            origin = e.origin or {}
            return MessageView(
                seq=seq,
                direction="in",
                message_id=e.interaction_id,
                at=e.opened_at,
                channel=e.channel,
                subject=origin.get("subject_line"),
                text=e.text or e.summary,
                attachments=e.attachments or [],
                automatic=(origin.get("attributes") or {}).get("automatic") == "yes",
            )
        case "Contact.MessageAdded":
            return MessageView(
                seq=seq,
                direction="in",
                message_id=uuid.UUID(e.interaction_id),
                at=e.at,
                channel=contact.channel,
                subject=e.subject,
                text=e.text,
                attachments=e.attachments,
                automatic=e.automatic,
            )
    return MessageView(
        seq=seq,
        direction="out",
        message_id=uuid.UUID(e.reply_id),
        at=e.at,
        channel=contact.channel,
        text=e.text,
        agent_id=e.agent_id,
        status=contact.reply_status.get(e.reply_id, "requested"),
    )


def offer_view(contact: Contact) -> OfferView:
    offer = contact.offer or {}
    return OfferView(
        offer_id=uuid.UUID(offer["offer_id"]),
        contact_id=contact.id,
        agent_id=offer["agent_id"],
        channel=contact.channel,
        summary=contact.summary,
        escalation_level=offer["level"],
        offered_at=offer["offered_at"],
        expires_at=offer["expires_at"],
        queue=contact.queue,
        customer_id=contact.customer_id,
        sticky=bool(offer.get("sticky")),
    )


def decisions_view(contact: Contact) -> list[RoutingDecision]:
    return [RoutingDecision.model_validate(d) for d in contact.decisions]


def queue_view(queue: QueuePlan, waiting: int) -> QueueView:
    return QueueView(
        name=queue.name,
        strategy=queue.strategy,
        supervisor=queue.supervisor,
        sla_seconds=queue.sla_seconds,
        waiting=waiting,
        agents=sorted(queue.reach),
    )
