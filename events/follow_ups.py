"""Follow-ups an agent schedules on a contact (sb.events.routing.followup.<Event>).

Contact events of the contact the follow-up was scheduled on, so each shows on its
customer's timeline; one subject token of their own so routing schedules their deadlines
with a single consumer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from events.routing import ContactEvent, Deadline

PREFIX = "sb.events.routing.followup"

FollowUpKind = Literal["call", "write"]


class FollowUpEvent(ContactEvent):
    follow_up_id: uuid.UUID


class FollowUpScheduled(FollowUpEvent):
    subject: ClassVar[str] = f"{PREFIX}.FollowUpScheduled"
    agent_id: str
    kind: FollowUpKind
    due_at: datetime
    time_zone: str | None
    note: str
    by: str


class FollowUpOpened(FollowUpEvent):
    """An attempt is due: the conversation is open again, offered to `agent_id` alone until
    `grace_until`, then to the queue; still not taken at `missed_at`, the attempt is missed."""

    subject: ClassVar[str] = f"{PREFIX}.FollowUpOpened"
    attempt: int
    agent_id: str
    grace_until: datetime
    missed_at: datetime


class FollowUpReleased(FollowUpEvent):
    subject: ClassVar[str] = f"{PREFIX}.FollowUpReleased"
    attempt: int
    reason: str


class FollowUpAttemptMissed(FollowUpEvent):
    """Nobody took the attempt in time; `retry_at` None: that was the last one."""

    subject: ClassVar[str] = f"{PREFIX}.FollowUpAttemptMissed"
    attempt: int
    retry_at: datetime | None
    reason: str


class FollowUpDone(FollowUpEvent):
    subject: ClassVar[str] = f"{PREFIX}.FollowUpDone"
    attempt: int
    agent_id: str


class FollowUpMissed(FollowUpEvent):
    subject: ClassVar[str] = f"{PREFIX}.FollowUpMissed"
    attempts: int


class FollowUpCancelled(FollowUpEvent):
    subject: ClassVar[str] = f"{PREFIX}.FollowUpCancelled"
    by: str
    reason: str


Phase = Literal["due", "grace", "missed"]


class FollowUpDeadline(Deadline):
    """A follow-up's clock: its attempt is due, its grace ends, or its attempt is missed.
    The handler acts only if the follow-up still stands at this attempt and phase."""

    subject: ClassVar[str] = "sb.timers.fired.followup.*"
    kind: ClassVar[str] = "followup"
    follow_up_id: uuid.UUID
    attempt: int
    phase: Phase

    def key(self) -> str:
        return f"{self.follow_up_id}-{self.attempt}-{self.phase}"


FOLLOW_UP_EVENTS: tuple[type[FollowUpEvent] | type[FollowUpDeadline], ...] = (
    FollowUpScheduled,
    FollowUpOpened,
    FollowUpReleased,
    FollowUpAttemptMissed,
    FollowUpDone,
    FollowUpMissed,
    FollowUpCancelled,
    FollowUpDeadline,
)
