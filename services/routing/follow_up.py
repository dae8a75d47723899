"""The FollowUp aggregate: a call back or write back an agent promised a customer, from
scheduled through its attempts to its outcome (done, missed, cancelled). Each event names
the contact it was scheduled on, which is what its contract and the timeline show.

Its attempts reopen that conversation (services/routing/follow_ups.py decides when)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id

OPEN = frozenset({"scheduled", "due", "queued"})


class FollowUp(Aggregate):
    @event("Scheduled")
    def __init__(
        self,
        contact_id: uuid.UUID,
        agent_id: str,
        kind: str,
        due_at: datetime,
        time_zone: str | None,
        note: str,
        by: str,
    ) -> None:
        self.contact_id = contact_id
        self.agent_id = agent_id
        self.kind = kind
        self.due_at = due_at
        self.time_zone = time_zone
        self.note = note
        self.status = "scheduled"  # due, queued; then done, missed or cancelled
        self.attempt = 0
        self.done_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @event("Opened")
    def open_attempt(
        self,
        contact_id: uuid.UUID,
        attempt: int,
        agent_id: str,
        grace_until: datetime,
        missed_at: datetime,
        reopened: bool = False,
    ) -> None:
        self.attempt = attempt
        self.status = "due"
        self.reopened = reopened  # this attempt opened its conversation again

    @event("Released")
    def release(self, contact_id: uuid.UUID, attempt: int, reason: str) -> None:
        self.status = "queued"

    @event("AttemptMissed")
    def attempt_missed(
        self, contact_id: uuid.UUID, attempt: int, retry_at: datetime | None, reason: str
    ) -> None:
        self.status = "scheduled"
        if retry_at is not None:
            self.due_at = retry_at

    @event("Missed")
    def missed(self, contact_id: uuid.UUID, attempts: int) -> None:
        self.status = "missed"

    @event("Done")
    def done(self, contact_id: uuid.UUID, attempt: int, agent_id: str) -> None:
        self.status = "done"
        self.done_by = agent_id

    @event("Cancelled")
    def cancel(self, contact_id: uuid.UUID, by: str, reason: str) -> None:
        self.status = "cancelled"


class FollowUpsOf(Aggregate):
    """An index: the follow-ups an agent scheduled (for their list), and the ones open on a
    contact (so its acceptance finds them). Its id is derived from what it indexes."""

    @staticmethod
    def id_for(key: str) -> uuid.UUID:
        return derived_id("follow-ups-of", key)

    @event("Started")
    def __init__(self, id: uuid.UUID) -> None:
        self.ids: list[str] = []

    @event("Added")
    def add(self, follow_up_id: str) -> None:
        self.ids = [*self.ids, follow_up_id]

    @event("Removed")
    def remove(self, follow_up_id: str) -> None:
        self.ids = [i for i in self.ids if i != follow_up_id]


def view(f: FollowUp) -> dict[str, Any]:
    return {
        "follow_up_id": f.id,
        "contact_id": f.contact_id,
        "agent_id": f.agent_id,
        "kind": f.kind,
        "due_at": f.due_at,
        "time_zone": f.time_zone,
        "note": f.note,
        "status": f.status,
        "attempt": f.attempt,
        "done_by": f.done_by,
    }
