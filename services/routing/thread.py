"""Which contact a thread's messages go to, as aggregates: the version check makes "at most
one open contact per thread" hold under concurrent replicas (the loser decides again on
fresh state and joins)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class Thread(Aggregate):
    """A customer's thread on one channel endpoint and its current contact. Its id is
    derived from the thread key; the key itself (an address, a number) is not stored."""

    @staticmethod
    def id_for(key: str) -> uuid.UUID:
        return derived_id("thread", key)

    # `id` is not recorded with the event (eventsourcing keeps it as the originator id).
    @event("Started")
    def __init__(self, id: uuid.UUID, contact_id: uuid.UUID) -> None:
        self.contact_id = contact_id

    @event("Moved")
    def move_to(self, contact_id: uuid.UUID, follows: uuid.UUID) -> None:
        """The previous contact is over: the thread's messages now go to a new one."""
        self.contact_id = contact_id


class JoinedMessage(Aggregate):
    """A message that joined an existing contact. Its id is derived from the contact the
    message would have opened on its own, which is what history names when it identifies
    the customer: so that identification finds its conversation, and a channel retry
    outside the stream's dedupe window finds the message already placed."""

    @staticmethod
    def create_id(own_contact_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return derived_id("joined", str(own_contact_id))

    @event("Placed")
    def __init__(self, own_contact_id: uuid.UUID, contact_id: uuid.UUID) -> None:
        self.contact_id = contact_id
