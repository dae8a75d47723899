"""The Notification aggregate: one message to one person on one channel because of one
event. Its id derives from the three, so one event never notifies anyone twice per channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class Notification(Aggregate):
    @staticmethod
    def create_id(cause_event_id: uuid.UUID, recipient: str, channel: str, **_: Any) -> uuid.UUID:
        return derived_id("notification", str(cause_event_id), recipient, channel)

    @event("Requested")
    def __init__(
        self,
        cause_event_id: uuid.UUID,
        recipient: str,
        channel: str,
        address: str,
        subject: str,
        body: str,
        contact_id: uuid.UUID | None,
        requested_at: datetime,
    ) -> None:
        self.cause_event_id = cause_event_id
        self.recipient = recipient
        self.channel = channel
        self.address = address
        self.subject = subject
        self.body = body
        self.contact_id = contact_id
        self.requested_at = requested_at
        self.status = "pending"
        self.attempts = 0
        self.last_error: str | None = None
        self.provider_id: str | None = None

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @event("Delivered")
    def delivered(self, provider_id: str | None, at: datetime) -> None:
        self.attempts += 1
        self.status = "delivered"
        self.provider_id = provider_id

    @event("AttemptFailed")
    def attempt_failed(self, reason: str, at: datetime, retry_at: datetime) -> None:
        """Worth another try at `retry_at` (the channel was away or overloaded)."""
        self.attempts += 1
        self.last_error = reason

    def fail(self, reason: str, at: datetime) -> None:
        """Refused for good, or out of attempts: a person must look. The event carries the
        facts, so it is published on its own as NotificationFailed."""
        self._failed(
            reason,
            at,
            attempts=self.attempts + 1,
            recipient=self.recipient,
            channel=self.channel,
            address=self.address,
            cause_event_id=self.cause_event_id,
            contact_id=self.contact_id,
        )

    @event("Failed")
    def _failed(
        self,
        reason: str,
        at: datetime,
        attempts: int,
        recipient: str,
        channel: str,
        address: str,
        cause_event_id: uuid.UUID,
        contact_id: uuid.UUID | None,
    ) -> None:
        self.attempts = attempts
        self.status = "failed"
        self.last_error = reason
