"""What routing does for an SLA breach ladder (services/sla): raise a contact's priority, or
take it from its holder back to its queue. Each once per SLA event (tracked), and only while
it still makes sense: a contact resolved or already back in the queue is left alone."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from events.sla import SlaActionRequested
from services.routing.application import RoutingApplication
from services.routing.contact import Contact


def carry_out(app: RoutingApplication, event: SlaActionRequested, tracking: Tracking) -> None:
    with app.unit(tracking) as unit:
        contact = unit.get(Contact, event.contact_id)
        if contact is None or contact.status in ("completed", "abandoned", "cancelled"):
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
