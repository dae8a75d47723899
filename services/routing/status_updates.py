"""Status updates to customers on written channels: when their request is assigned, when it
waits on them, when it is resolved, each through their own channel as an automatic reply,
worded per request type ([routing.status_updates], schemas/request_types.py). A customer who
writes STOP (or opened with it) gets none on that conversation."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from events import (
    ContactCompleted,
    ContactMessageAdded,
    ContactPending,
    Event,
    OfferAccepted,
    derived_id,
)
from services.routing.application import RoutingApplication
from services.routing.contact import Contact
from services.sla.acknowledgment import is_stop, reference

Staged = OfferAccepted | ContactPending | ContactCompleted
STAGES: dict[type[Event], str] = {
    OfferAccepted: "assigned",
    ContactPending: "pending",
    ContactCompleted: "resolved",
}
# What `follow` acts on; its consumer takes only these of routing's events.
FOLLOWED: tuple[type[Event], ...] = (ContactMessageAdded, *STAGES)


def wants_updates(contact: Contact) -> bool:
    return not contact.facts.get("updates_off") and not is_stop(contact.summary)


def follow(app: RoutingApplication, event: Event, tracking: Tracking) -> bool:
    """Acts on one of routing's own events; False when there was nothing to do (nothing
    is recorded then: the event is simply passed)."""
    stop = isinstance(event, ContactMessageAdded) and is_stop(event.summary)
    stage = STAGES.get(type(event))
    settings = app.config.status_updates
    if not stop and (stage is None or settings is None):
        return False
    assert isinstance(event, ContactMessageAdded | Staged)
    with app.unit(tracking) as unit:
        contact = unit.get(Contact, event.contact_id)
        if contact is None:
            return True
        if stop:
            if not contact.facts.get("updates_off"):
                contact.stop_updates(unit.now)
            return True
        assert stage is not None and settings is not None
        if contact.channel not in settings.channels or not wants_updates(contact):
            return True
        template = settings.text(stage, contact.facts.get("request_type"), app.config)
        if template is None:
            return True
        agent = app.people.get(contact.agent_id or contact.last_agent_id or "")
        text = template.format(
            reference=reference(contact.id), agent=agent.name if agent else "our team"
        )
        reply_id = str(derived_id("status", str(contact.id), stage, str(event.event_id)))
        holder = contact.agent_id or contact.last_agent_id or ""
        contact.tell_customer(reply_id, holder, text, contact.origin, unit.now, True)
    return True
