"""What routing does for an SLA breach ladder (services/sla): raise a contact's priority, or
take it from its holder back to its queue. Each once per SLA event (tracked), and only while
it still makes sense: a contact resolved or already back in the queue is left alone."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from events import derived_id
from events.sla import SlaAcknowledged, SlaActionRequested
from services.routing.application import RoutingApplication
from services.routing.contact import Contact
from services.routing.status_updates import wants_updates

FINISHED = ("completed", "abandoned", "cancelled")


def acknowledge(app: RoutingApplication, event: SlaAcknowledged, tracking: Tracking) -> None:
    """Sends the customer the SLA acknowledgment through their channel, as a reply marked
    automatic; not to a request that opened with STOP, nor to one already finished."""
    with app.unit(tracking) as unit:
        contact = unit.get(Contact, event.contact_id)
        if contact is None or contact.status in FINISHED or not wants_updates(contact):
            return
        reply_id = str(derived_id("acknowledgment", str(contact.id)))
        holder = contact.agent_id or ""
        contact.tell_customer(reply_id, holder, event.text, contact.origin, unit.now, True)


def carry_out(app: RoutingApplication, event: SlaActionRequested, tracking: Tracking) -> None:
    with app.unit(tracking) as unit:
        contact = unit.get(Contact, event.contact_id)
        if contact is None or contact.status in FINISHED:
            return
        reason = f"SLA {event.policy}: {event.reason}"
        if event.action == "raise_priority":
            contact.reprioritise(contact.priority + event.by, reason, unit.now)
            return
        queue = app.plan.by_name.get(contact.queue or "")
        if contact.status != "accepted" or contact.agent_id is None or queue is None:
            return
        holder = contact.transfer(queue.name, contact.priority, reason, unit.now)
        unit.agent(holder).finish(str(contact.id), unit.now)
        app.dispatch.route(unit, contact)
        app.dispatch.fill(unit, holder)
