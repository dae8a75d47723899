"""The notifier application: remembers what was sent, so nothing is sent twice."""

from __future__ import annotations

from eventsourcing.persistence import Tracking
from eventsourcing.utils import EnvType

from services.notifier.notification import Notification
from switchboard.store import TrackedApplication


class NotifierApplication(TrackedApplication):
    name = "notifier"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)

    def record(self, notification: Notification | None, tracking: Tracking) -> None:
        self.commit(notification, tracking=tracking)
