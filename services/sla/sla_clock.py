"""The SlaClock aggregate: one per contact (its id derives from the contact's), recording
what happened to the contact as far as its SLA is concerned, and each step taken.

Inputs carry the time of the routing event that caused them, never the wall clock, so
replaying the store rebuilds the same timeline; outcomes (warnings, breaches, rungs) are
recorded once per key (see services.sla.clock)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id
from services.sla.clock import FIRST, NEXT, RESOLUTION, Step, Timeline


class SlaClock(Aggregate):
    @staticmethod
    def create_id(contact_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return derived_id("sla-clock", str(contact_id))

    @event("Started")
    def __init__(
        self, contact_id: uuid.UUID, policy: str, start: datetime, channel: str, queue: str
    ) -> None:
        self.contact_id = contact_id
        self.policy = policy
        self.channel = channel
        self.queue = queue
        self.timeline = Timeline(start)
        self.timeline.begin(FIRST, start)
        self.timeline.begin(RESOLUTION, start)
        self.resolved_at: datetime | None = None
        self.done: set[str] = set()
        self.breaches = 0

    @event("Acknowledged")
    def acknowledged(
        self, contact_id: uuid.UUID, policy: str, reference: str, expected_at: datetime, text: str
    ) -> None:
        self.reference = reference

    # Inputs ------------------------------------------------------------------------

    @event("HolderChanged")
    def holder_changed(self, holder: str | None, at: datetime) -> None:
        self.timeline.holder = holder

    def customer_wrote(self, at: datetime) -> None:
        """A customer message: ends a pause, and starts a next-response cycle once the
        first response was given and no earlier message is still unanswered."""
        if self.resolved_at is not None:
            return  # a reopen, if any, comes as its own event
        if self.timeline.paused_since is not None:
            self.resumed(at)
        if self.timeline.first_response_met() and self.timeline.open_cycle(NEXT) is None:
            self._next_response_started(at)

    @event("NextResponseStarted")
    def _next_response_started(self, at: datetime) -> None:
        self.timeline.begin(NEXT, at)

    def agent_replied(self, at: datetime, due: dict[str, datetime | None]) -> None:
        """`due`: each open metric's due time before this reply (None: no target, or paused)."""
        for metric in (FIRST, NEXT):
            cycle = self.timeline.open_cycle(metric)
            if cycle is not None:
                self.fulfilled(metric, cycle.number, at, due.get(metric))

    def fulfilled(self, metric: str, cycle: int, at: datetime, due_at: datetime | None) -> None:
        self._fulfilled(self.contact_id, self.policy, metric, cycle, at, due_at)

    # Contact and policy travel with outcomes: the published contracts name them.
    @event("Fulfilled")
    def _fulfilled(
        self,
        contact_id: uuid.UUID,
        policy: str,
        metric: str,
        cycle: int,
        at: datetime,
        due_at: datetime | None,
    ) -> None:
        for c in self.timeline.cycles:
            if c.metric == metric and c.number == cycle:
                c.end = at

    @event("Paused")
    def paused(self, at: datetime) -> None:
        if self.timeline.paused_since is None:
            self.timeline.paused_since = at

    @event("Resumed")
    def resumed(self, at: datetime) -> None:
        since = self.timeline.paused_since
        if since is not None and at > since:
            self.timeline.pauses.append((since, at))
        self.timeline.paused_since = None

    def resolve(self, at: datetime, due: dict[str, datetime | None]) -> None:
        if self.timeline.paused_since is not None:
            self.resumed(at)
        for cycle in list(self.timeline.cycles):
            if cycle.end is None:
                self.fulfilled(cycle.metric, cycle.number, at, due.get(cycle.metric))
        self._resolved(at)

    @event("Resolved")
    def _resolved(self, at: datetime) -> None:
        self.resolved_at = at

    @event("Reopened")
    def reopened(self, at: datetime) -> None:
        """Resolution resumes with what it had used; the resolved stretch counts as paused."""
        if self.resolved_at is not None and at > self.resolved_at:
            self.timeline.pauses.append((self.resolved_at, at))
        self.resolved_at = None
        last = max(
            (c for c in self.timeline.cycles if c.metric == RESOLUTION), key=lambda c: c.number
        )
        last.end = None
        if self.timeline.first_response_met():
            self.timeline.begin(NEXT, at)

    # Outcomes ----------------------------------------------------------------------

    def take(
        self, step: Step, reason: str, from_person: str | None, supervisor: str | None
    ) -> None:
        if step.key in self.done:
            return
        self._step_taken(
            contact_id=self.contact_id,
            policy=self.policy,
            key=step.key,
            kind=step.kind,
            metric=step.metric,
            cycle=step.cycle,
            due_at=step.due_at,
            fraction=step.fraction,
            level=step.level,
            to_person_id=step.to_person,
            from_person_id=from_person,
            holder_id=self.timeline.holder,
            supervisor_id=supervisor,
            by=step.by,
            reason=reason,
            at=step.at,
        )

    @event("StepTaken")
    def _step_taken(
        self,
        contact_id: uuid.UUID,
        policy: str,
        key: str,
        kind: str,
        metric: str,
        cycle: int,
        due_at: datetime,
        fraction: float,
        level: int,
        to_person_id: str | None,
        from_person_id: str | None,
        holder_id: str | None,
        supervisor_id: str | None,
        by: int,
        reason: str,
        at: datetime,
    ) -> None:
        self.done.add(key)
        if kind == "breach":
            self.breaches += 1
