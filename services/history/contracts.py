"""What of the history store is published, and as which contract."""

from __future__ import annotations

import uuid
from typing import Any

from events import CustomerIdentified, Event


def to_contract(domain_event: Any) -> Event | None:
    if type(domain_event).__qualname__ != "Customer.InteractionRecorded":
        return None
    return CustomerIdentified(
        event_id=uuid.uuid5(domain_event.originator_id, str(domain_event.originator_version)),
        occurred_at=domain_event.timestamp,
        customer_id=domain_event.originator_id,
        interaction_id=domain_event.interaction_id,
        contact_id=domain_event.contact_id,
        identities=domain_event.identities,
        is_new_customer=domain_event.is_new_customer,
    )
