"""Contracts published by the SLA service (sb.events.sla.<Event>) and its timer.

Every outcome names its contact, the policy, the metric (first_response, next_response,
resolution), the cycle (next response has one per unanswered customer message) and why.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from events.base import Event
from events.routing import Deadline

PREFIX = "sb.events.sla"

Metric = Literal["first_response", "next_response", "resolution"]


class SlaOutcome(Event):
    contact_id: uuid.UUID
    policy: str
    metric: Metric
    cycle: int
    due_at: datetime
    reason: str


class SlaWarned(SlaOutcome):
    """A target is `fraction` used up; the holder (if any) is told."""

    subject: ClassVar[str] = f"{PREFIX}.SlaWarned"
    fraction: float
    holder_id: str | None


class SlaBreached(SlaOutcome):
    """A target was missed: `due_at` passed with the metric still open."""

    subject: ClassVar[str] = f"{PREFIX}.SlaBreached"
    holder_id: str | None


class SlaNotified(SlaOutcome):
    """Breach ladder `notify`: the holder and their supervisor are told."""

    subject: ClassVar[str] = f"{PREFIX}.SlaNotified"
    holder_id: str | None
    supervisor_id: str | None


class SlaEscalated(SlaOutcome):
    """Breach ladder `escalate`: rung `level` up the hierarchy from the holder."""

    subject: ClassVar[str] = f"{PREFIX}.SlaEscalated"
    level: int
    to_person_id: str
    from_person_id: str | None


class SlaActionRequested(SlaOutcome):
    """Breach ladder `raise_priority` (by `by`) or `requeue`: for routing to carry out."""

    subject: ClassVar[str] = f"{PREFIX}.SlaActionRequested"
    action: Literal["raise_priority", "requeue"]
    by: int
    holder_id: str | None


class SlaFulfilled(SlaOutcome):
    """A metric was met (or missed, `late`) by a reply or the resolution."""

    subject: ClassVar[str] = f"{PREFIX}.SlaFulfilled"
    late: bool


class SlaAcknowledged(Event):
    """The clock started on a written channel: routing sends `text` (the reference and the
    expected response time) to the customer through their channel."""

    subject: ClassVar[str] = f"{PREFIX}.SlaAcknowledged"
    contact_id: uuid.UUID
    policy: str
    reference: str
    expected_at: datetime
    text: str


class SlaDeadline(Deadline):
    """A contact's next SLA step (warning, breach, ladder rung) is due. One schedule per
    contact: the handler re-derives what is due from the clock, so a stale fire is harmless."""

    subject: ClassVar[str] = "sb.timers.fired.sla.*"
    kind: ClassVar[str] = "sla"
    contact_id: uuid.UUID

    def key(self) -> str:
        return str(self.contact_id)


SLA_EVENTS: tuple[type[Event], ...] = (
    SlaWarned,
    SlaBreached,
    SlaNotified,
    SlaEscalated,
    SlaActionRequested,
    SlaFulfilled,
    SlaAcknowledged,
    SlaDeadline,
)
