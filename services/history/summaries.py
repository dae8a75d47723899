"""One line per routing event, as a person reads it on a timeline."""

from __future__ import annotations

from events import (
    AgentOffered,
    ContactCompleted,
    ContactEscalated,
    ContactEvent,
    ContactQueued,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
)


def summarize(event: ContactEvent) -> str:
    match event:
        case ContactQueued():
            return f"Queued in {event.queue}"
        case AgentOffered(escalation_level=0):
            return f"Offered to {event.agent_id}"
        case AgentOffered():
            return f"Offered to {event.agent_id} (escalation level {event.escalation_level})"
        case OfferAccepted():
            return f"Taken by {event.agent_id} after {event.waited_seconds:.0f}s"
        case OfferDeclined():
            return f"Declined by {event.agent_id}"
        case OfferExpired():
            return f"Not answered in time by {event.agent_id}"
        case ContactEscalated():
            return f"Escalated to {event.to_person_id} (level {event.level}): {event.reason}"
        case ContactCompleted():
            return f"Completed by {event.agent_id}: {event.disposition}"
    return event.type_name()
