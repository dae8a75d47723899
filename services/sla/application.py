"""The SLA application: follows routing's contact events into one SlaClock per contact and
takes the steps that fall due, one transaction each (with the tracking record of the
message that caused it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking
from eventsourcing.utils import EnvType

from events import (
    ContactAbandoned,
    ContactCancelled,
    ContactCompleted,
    ContactEvent,
    ContactMessageAdded,
    ContactPending,
    ContactQueued,
    ContactReopened,
    ContactTransferred,
    ContactWoken,
    Event,
    OfferAccepted,
    ReplyRequested,
)
from events.base import utcnow
from schemas.config import SwitchboardConfig
from schemas.sla_config import SlaPolicy
from services.sla.acknowledgment import UNWRITTEN, acknowledgment_text, reference
from services.sla.business_time import Calendar
from services.sla.calendars import build_calendars
from services.sla.clock import Step, above_holder, deadlines, due_now, next_deadline, steps
from services.sla.sla_clock import SlaClock
from switchboard.status_links import StatusLinks
from switchboard.store import TrackedApplication

RESOLVING = (ContactCompleted, ContactCancelled, ContactAbandoned)
# Routing's events that change a clock (`observe`); its consumer takes only these. Steps
# falling due in between are the clock's own timers' to take (`fire`), not other events'.
FOLLOWED: tuple[type[ContactEvent], ...] = (
    ContactQueued,
    OfferAccepted,
    ContactTransferred,
    ContactMessageAdded,
    ReplyRequested,
    ContactPending,
    ContactWoken,
    *RESOLVING,
    ContactReopened,
)


class SlaApplication(TrackedApplication):
    name = "sla"

    def __init__(
        self,
        config: SwitchboardConfig,
        clock: Callable[[], datetime] = utcnow,
        env: EnvType | None = None,
        links: StatusLinks | None = None,
    ) -> None:
        super().__init__(env)
        self.config = config
        self.links = links  # signed status links in acknowledgments
        self.clock = clock
        self.calendars: dict[str, Calendar] = build_calendars(config.sla)
        self._supervisors = {p.id: p.supervisor for p in config.people}
        self._queue_supervisors = {q.name: q.supervisor for q in config.routing.queues}

    # Lookups -------------------------------------------------------------------------

    def get(self, contact_id: uuid.UUID) -> SlaClock | None:
        try:
            clock: SlaClock = self.repository.get(SlaClock.create_id(contact_id))
        except AggregateNotFoundError:
            return None
        return clock

    def _policy(self, clock: SlaClock) -> tuple[SlaPolicy, Calendar] | None:
        policy = self.config.sla.policy(clock.policy)
        if policy is None:  # the policy left the config: its clocks stop
            return None
        return policy, self.calendars[policy.calendar]

    def owed(self, clock: SlaClock) -> list[Step]:
        found = self._policy(clock)
        if found is None:
            return []
        policy, calendar = found
        fallback = self._queue_supervisors.get(clock.queue) or self.config.queue_supervisor()
        return steps(clock.timeline, policy, calendar, self._supervisors.get, fallback)

    def next_deadline(self, contact_id: uuid.UUID) -> datetime | None:
        clock = self.get(contact_id)
        return None if clock is None else next_deadline(self.owed(clock), clock.done)

    def deadlines(self, contact_id: uuid.UUID) -> dict[str, datetime | None]:
        clock = self.get(contact_id)
        found = None if clock is None else self._policy(clock)
        if clock is None or found is None:
            return {}
        return deadlines(clock.timeline, *found)

    # Commands --------------------------------------------------------------------------

    def observe(self, event: Event, tracking: Tracking) -> None:
        """A routing event: the clock learns what happened (at the event's own time)."""
        if not isinstance(event, ContactEvent):
            self.commit(tracking=tracking)
            return
        at = event.occurred_at
        clock = self.get(event.contact_id)
        if clock is None:
            clock = self._start(event) if isinstance(event, ContactQueued) else None
            self.commit(*([clock] if clock else []), tracking=tracking)
            return
        # Steps that fell due before this event are taken first, so a late timer never
        # lets a breach slip by unrecorded because the reply came meanwhile.
        self._take(clock, at)
        found = self._policy(clock)
        due = deadlines(clock.timeline, *found) if found else {}
        if isinstance(event, OfferAccepted):
            clock.holder_changed(event.agent_id, at)
        elif isinstance(event, ContactTransferred):
            clock.holder_changed(None, at)
        elif isinstance(event, ContactMessageAdded) and not event.automatic:
            clock.customer_wrote(at)
        elif isinstance(event, ReplyRequested) and not event.automatic:
            clock.agent_replied(at, due)
        elif isinstance(event, ContactPending):
            clock.paused(at)
        elif isinstance(event, ContactWoken):
            clock.resumed(at)
        elif isinstance(event, RESOLVING):
            if clock.resolved_at is None:
                clock.resolve(at, due)
        elif isinstance(event, ContactReopened) and clock.resolved_at is not None:
            clock.reopened(at)
            clock.holder_changed(None, at)
        self.commit(clock, tracking=tracking)

    def _start(self, event: ContactQueued) -> SlaClock | None:
        facts = {
            "channel": event.channel,
            "queue": event.queue,
            "priority": event.priority,
            "tier": event.tier,
            "request_type": event.request_type,
        }
        policy = self.config.sla.matching(facts)
        if policy is None:
            return None
        start = event.waiting_since or event.occurred_at
        clock = SlaClock(event.contact_id, policy.name, start, event.channel, event.queue)
        if policy.acknowledge and event.channel not in UNWRITTEN:
            calendar = self.calendars[policy.calendar]
            expected = next(iter(deadlines(clock.timeline, policy, calendar).values()), None)
            if expected is not None:
                ref = reference(event.contact_id)
                link = self.links.url(event.contact_id) if self.links else None
                text = acknowledgment_text(ref, expected, calendar.zone, link)
                clock.acknowledged(event.contact_id, policy.name, ref, expected, text)
        return clock

    def fire(self, contact_id: uuid.UUID, tracking: Tracking) -> None:
        """A deadline fired: every step due by now is taken (none twice)."""
        clock = self.get(contact_id)
        if clock is not None:
            self._take(clock, self.clock())
        self.commit(*([clock] if clock else []), tracking=tracking)

    def _take(self, clock: SlaClock, now: datetime) -> None:
        owed = self.owed(clock)
        for step in due_now(owed, clock.done, now):
            holder = clock.timeline.holder
            fallback = self._queue_supervisors.get(clock.queue) or self.config.queue_supervisor()
            above = above_holder(holder, self._supervisors.get, fallback)
            supervisor = above[0] if above else None
            from_person = holder if step.level <= 1 else above[step.level - 2]
            clock.take(step, _reason(step), from_person, supervisor)


def _reason(step: Step) -> str:
    what = step.metric.replace("_", " ")
    due = step.due_at.isoformat(timespec="seconds")
    if step.kind == "warn":
        return f"{step.fraction:.0%} of the {what} target used (due {due})"
    if step.kind == "breach":
        return f"{what} target missed (due {due})"
    if step.kind == "escalate":
        return f"{what} target missed (due {due}): escalation rung {step.level}"
    return f"{what} target missed (due {due}): {step.kind.replace('_', ' ')}"
