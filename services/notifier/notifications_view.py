"""What became of each notification, folded in memory from the notifier's store (rebuilt
from its log at start), for the console."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.api import NotificationView
from switchboard.shredding import ErasedPersonalData


class NotificationsView:
    def __init__(self) -> None:
        self.position = 0
        self.rows: dict[uuid.UUID, NotificationView] = {}

    def apply(self, position: int, event: Any) -> None:
        self.position = position
        kind = type(event).__qualname__
        if isinstance(event, ErasedPersonalData):  # its contact's customer was erased
            self.rows.pop(event.originator_id, None)
            return
        if kind == "Notification.Requested":
            self.rows[event.originator_id] = NotificationView(
                notification_id=event.originator_id,
                cause_event_id=event.cause_event_id,
                contact_id=event.contact_id,
                recipient=event.recipient,
                channel=event.channel,
                address=event.address,
                subject=event.subject,
                status="pending",
                attempts=0,
                last_error=None,
                requested_at=event.requested_at,
                updated_at=event.requested_at,
            )
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        update: dict[str, Any] = {"attempts": row.attempts + 1, "updated_at": event.at}
        if kind == "Notification.Delivered":
            update["status"] = "delivered"
        elif kind == "Notification.AttemptFailed":
            update["last_error"] = event.reason
        elif kind == "Notification.Failed":
            update.update(status="failed", last_error=event.reason)
        self.rows[event.originator_id] = row.model_copy(update=update)

    def forget(self, contact_ids: set[uuid.UUID]) -> None:
        self.rows = {k: r for k, r in self.rows.items() if r.contact_id not in contact_ids}

    def select(self, status: str | None, limit: int) -> list[NotificationView]:
        rows = [r for r in self.rows.values() if status is None or r.status == status]
        rows.sort(key=lambda r: r.updated_at, reverse=True)
        return rows[:limit]
