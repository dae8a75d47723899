"""The Notification aggregate: one message sent to one person because of one event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class Notification(Aggregate):
    @staticmethod
    def create_id(event_id: uuid.UUID, recipient: str, channel: str, **_: Any) -> uuid.UUID:
        return derived_id("notification", str(event_id), recipient, channel)

    @event("Sent")
    def __init__(
        self,
        event_id: uuid.UUID,
        recipient: str,
        channel: str,
        address: str,
        subject: str,
        sent_at: datetime,
    ) -> None:
        self.event_id = event_id
        self.recipient = recipient
        self.channel = channel
        self.address = address
        self.subject = subject
        self.sent_at = sent_at
