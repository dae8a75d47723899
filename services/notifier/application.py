"""The notifier application: remembers what was planned and what became of it, so nothing
is sent twice and every failure is on record."""

from __future__ import annotations

import uuid

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking
from eventsourcing.utils import EnvType

from services.notifier.notification import Notification
from switchboard.store import TrackedApplication


class NotifierApplication(TrackedApplication):
    name = "notifier"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)

    def plan(self, planned: list[Notification], tracking: Tracking) -> list[uuid.UUID]:
        """Records the new notifications with the tracking record; returns the ids of those
        still pending (one already known, e.g. from a re-published event, is not new)."""
        new = [n for n in planned if self.get(n.id) is None]
        self.commit(*new, tracking=tracking)
        return [n.id for n in new]

    def get(self, notification_id: uuid.UUID) -> Notification | None:
        try:
            notification: Notification = self.repository.get(notification_id)
        except AggregateNotFoundError:
            return None
        return notification

    def record(self, notification: Notification) -> None:
        self.commit(notification)
