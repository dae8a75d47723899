"""What of the history store is published, and as which contract."""

from __future__ import annotations

import uuid
from typing import Any

from events import CustomerErased, CustomerIdentified
from switchboard.jetstream import RAW_EMAIL_BUCKET

ERASED, RECORDED = "Customer.Erased", "Customer.InteractionRecorded"
# The stored events (by qualified name) that are published: the relay reads no other.
PUBLISHED = frozenset({ERASED, RECORDED})


def is_raw_ref(reached: str) -> bool:
    return reached.startswith(f"{RAW_EMAIL_BUCKET}/")


def to_contract(domain_event: Any) -> CustomerIdentified | CustomerErased | None:
    kind = type(domain_event).__qualname__
    if kind == ERASED:
        reached: list[str] = getattr(domain_event, "reached", None) or []
        return CustomerErased(
            event_id=uuid.uuid5(domain_event.originator_id, str(domain_event.originator_version)),
            occurred_at=domain_event.timestamp,
            customer_id=domain_event.originator_id,
            reached=[uuid.UUID(r) for r in reached if not is_raw_ref(r)],
            raw_refs=[r for r in reached if is_raw_ref(r)],
        )
    if kind != RECORDED:
        return None
    return CustomerIdentified(
        event_id=uuid.uuid5(domain_event.originator_id, str(domain_event.originator_version)),
        occurred_at=domain_event.timestamp,
        # Merged customers are one person to routing: the survivor, with the group's tier
        # the agent who last served any of them and their account owner (as they stood
        # when this came in).
        customer_id=getattr(domain_event, "shown_as", None) or domain_event.originator_id,
        interaction_id=domain_event.interaction_id,
        contact_id=domain_event.contact_id,
        identities=domain_event.identities,
        is_new_customer=domain_event.is_new_customer,
        tier=getattr(domain_event, "tier", None),
        last_agent_id=getattr(domain_event, "last_agent_id", None),
        owner_id=getattr(domain_event, "owner_id", None),
        language=getattr(domain_event, "customer_language", None),
    )
