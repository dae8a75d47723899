"""The timeline projection: which stored history events become timeline entries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

PROJECTED_FROM = "history"


@dataclass(frozen=True)
class TimelineRow:
    position: int  # notification id in the history store: unique and in record order
    customer_id: uuid.UUID
    at: datetime
    kind: str
    channel: str | None
    contact_id: uuid.UUID | None
    summary: str
    data: dict[str, Any]


class TimelineView(Protocol):
    """The read model, in the same database as the history store."""

    def add(self, rows: Sequence[TimelineRow], tracking: Tracking) -> None: ...
    def position(self) -> int: ...
    def rows(
        self, customer_id: uuid.UUID, before: int | None, limit: int, channel: str | None
    ) -> list[TimelineRow]: ...
    def clear(self) -> None: ...


def timeline_row(position: int, domain_event: Any) -> TimelineRow | None:
    kind = type(domain_event).__qualname__
    if kind == "Customer.InteractionRecorded":
        return TimelineRow(
            position=position,
            customer_id=domain_event.originator_id,
            at=domain_event.at,
            kind="InteractionReceived",
            channel=domain_event.channel,
            contact_id=domain_event.contact_id,
            summary=domain_event.summary,
            data={
                "interaction_id": str(domain_event.interaction_id),
                "text": domain_event.text,
                "identities": domain_event.identities,
            },
        )
    if kind == "Customer.ContactEventRecorded":
        return TimelineRow(
            position=position,
            customer_id=domain_event.originator_id,
            at=domain_event.at,
            kind=domain_event.kind,
            channel=None,
            contact_id=domain_event.contact_id,
            summary=domain_event.summary,
            data=domain_event.data,
        )
    return None
