"""Contracts published by the notifier service (sb.events.notifier.<Event>) and its timers."""

from __future__ import annotations

import uuid
from typing import ClassVar

from events.base import Event
from events.routing import Deadline

PREFIX = "sb.events.notifier"


class NotificationFailed(Event):
    """A notification could not be delivered: refused for good, or out of attempts.
    Supervisors see it on the console."""

    subject: ClassVar[str] = f"{PREFIX}.NotificationFailed"
    notification_id: uuid.UUID
    cause_event_id: uuid.UUID
    contact_id: uuid.UUID | None
    recipient: str
    channel: str
    address: str
    reason: str
    attempts: int


class NotificationDeadline(Deadline):
    """A notification's next attempt is due (a retry, or the safety net after a crash)."""

    subject: ClassVar[str] = "sb.timers.fired.notify.*"
    kind: ClassVar[str] = "notify"
    notification_id: uuid.UUID

    def key(self) -> str:
        return str(self.notification_id)
