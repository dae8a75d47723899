"""The notifier application: remembers what was planned and what became of it, so nothing
is sent twice and every failure is on record."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Mapper, Tracking
from eventsourcing.utils import EnvType

from services.notifier.notification import Notification
from switchboard.shredding import KeyRing, PersonalDataErased, ShreddingMapper, open_key_table
from switchboard.store import TrackedApplication


def contact_owner(domain_event: Any) -> uuid.UUID | None:
    """A notification's text quotes its contact (an escalation's summary): sealed with a key
    of that contact's, destroyed when its customer is erased. Outcomes hold no such text."""
    if type(domain_event).__qualname__ == "Notification.Requested":
        contact: uuid.UUID | None = domain_event.contact_id
        return contact
    return None


class NotifierApplication(TrackedApplication):
    name = "notifier"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        self.keys = KeyRing(open_key_table(self.factory, "notification_keys"))
        return ShreddingMapper(self.construct_transcoder(), self.keys, contact_owner)

    def forget(self, contact_ids: list[uuid.UUID]) -> None:
        """Their customer was erased: what was written about these contacts is unreadable."""
        self.keys.destroy(contact_ids)

    def plan(self, planned: list[Notification], tracking: Tracking) -> list[uuid.UUID]:
        """Records the new notifications with the tracking record; returns the ids of those
        still pending (one already known, e.g. from a re-published event, is not new)."""
        new = [n for n in planned if self.get(n.id) is None]
        self.commit(*new, tracking=tracking)
        return [n.id for n in new]

    def get(self, notification_id: uuid.UUID) -> Notification | None:
        try:
            notification: Notification = self.repository.get(notification_id)
        except (AggregateNotFoundError, PersonalDataErased):
            return None
        return notification

    def record(self, notification: Notification) -> None:
        self.commit(notification)
