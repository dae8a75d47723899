"""What of the notifier store is published, and as which contract."""

from __future__ import annotations

import uuid
from typing import Any

from events import Event
from events.notifier import NotificationFailed


def to_contract(domain_event: Any) -> Event | None:
    if type(domain_event).__qualname__ != "Notification.Failed":
        return None
    e = domain_event
    return NotificationFailed(
        # Stable: a re-published failure is recognisably the same event.
        event_id=uuid.uuid5(e.originator_id, str(e.originator_version)),
        occurred_at=e.timestamp,
        notification_id=e.originator_id,
        cause_event_id=e.cause_event_id,
        contact_id=e.contact_id,
        recipient=e.recipient,
        channel=e.channel,
        address=e.address,
        reason=e.reason,
        attempts=e.attempts,
    )
