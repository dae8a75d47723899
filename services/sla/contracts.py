"""What of the SLA store is published, and as which contract: each step taken by its kind,
and each fulfilment of a metric that has a target. Fields are filled by name from the
stored event, as routing's contracts are."""

from __future__ import annotations

import uuid
from typing import Any

from events import Event
from events.sla import (
    SlaAcknowledged,
    SlaActionRequested,
    SlaBreached,
    SlaEscalated,
    SlaFulfilled,
    SlaNotified,
    SlaWarned,
)

BY_KIND: dict[str, type[Event]] = {
    "warn": SlaWarned,
    "breach": SlaBreached,
    "notify": SlaNotified,
    "escalate": SlaEscalated,
    "raise_priority": SlaActionRequested,
    "requeue": SlaActionRequested,
}


def to_contract(domain_event: Any) -> Event | None:
    name = type(domain_event).__qualname__
    if name == "SlaClock.StepTaken":
        contract = BY_KIND[domain_event.kind]
        extra: dict[str, Any] = {"action": domain_event.kind}
    elif name == "SlaClock.Acknowledged":
        contract, extra = SlaAcknowledged, {}
    elif name == "SlaClock.Fulfilled" and domain_event.due_at is not None:
        contract = SlaFulfilled
        late = domain_event.at > domain_event.due_at
        what = domain_event.metric.replace("_", " ")
        extra = {"late": late, "reason": f"{what} {'late' if late else 'in time'}"}
    else:
        return None
    fields = {**vars(domain_event), **extra}
    fields["event_id"] = uuid.uuid5(
        domain_event.originator_id, str(domain_event.originator_version)
    )
    fields["occurred_at"] = domain_event.timestamp
    return contract.model_validate({k: fields[k] for k in contract.model_fields if k in fields})
