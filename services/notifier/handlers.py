"""Notifier's message handlers, keyed by the event they handle.

An escalation or flag is planned into one Notification per channel the person wants,
recorded with the tracking record, then delivered. Each pending notification has a
deadline (a NATS message schedule) that tries it again: after a failure that is worth
retrying (with backoff), or after a crash between recording and sending (the safety net).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, Tracking
from faststream.nats import NatsBroker

from events import (
    ContactEscalated,
    ContactFlagged,
    CustomerErased,
    DocumentStep,
    Event,
    OwnerInformed,
)
from events.base import utcnow
from events.notifier import NotificationDeadline
from events.sla import SlaOutcome
from schemas.config import SwitchboardConfig
from services.notifier.adapters.senders import DeliveryFailed, Sender
from services.notifier.application import NotifierApplication
from services.notifier.document_notices import document_message
from services.notifier.notification import Notification
from services.notifier.plan import notifications
from services.notifier.retry_policy import SAFETY_NET_SECONDS, next_attempt
from services.notifier.sla_messages import recipients, sla_message
from services.notifier.templates import (
    Template,
    escalation_message,
    flagged_message,
    owner_message,
)
from switchboard.serial import SerialExecutor
from switchboard.timers import schedule

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)


class NotifierHandlers:
    def __init__(
        self,
        app: NotifierApplication,
        run: SerialExecutor,
        broker: NatsBroker,
        senders: Mapping[str, Sender],
        config: SwitchboardConfig,
        link_base: str,
    ) -> None:
        self.app = app
        self.run = run
        self.broker = broker
        self.senders = senders
        self.config = config
        self.link_base = link_base
        self.erased: list[Callable[[set[uuid.UUID]], None]] = []

    async def contact_escalated(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ContactEscalated)
        await self._notify(event, event.to_person_id, escalation_message, tracking)

    async def contact_flagged(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ContactFlagged)
        await self._notify(event, event.supervisor_id, flagged_message, tracking)

    async def owner_informed(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, OwnerInformed)
        await self._notify(event, event.owner_id, owner_message, tracking)

    async def sla_outcome(self, event: Event, tracking: Tracking) -> None:
        """An SLA warning, notice or escalation: each person it names, in one commit."""
        if not isinstance(event, SlaOutcome):
            return  # e.g. an acknowledgment: for the customer, not for staff
        if await self.run(self.app.is_processed, tracking):
            return
        planned = []
        for person_id in recipients(event):
            if person_id in self._people():
                person = self.config.person(person_id)
                message = sla_message(event, person, self.link_base)
                planned += notifications(event, event.contact_id, person, message, utcnow())
        for n in planned:
            await self._schedule(n.id, utcnow() + timedelta(seconds=SAFETY_NET_SECONDS))
        for notification_id in await self.run(self.app.plan, planned, tracking):
            await self.deliver(notification_id)

    async def customer_erased(self, event: Event, tracking: Tracking) -> None:
        """Idempotent (keys destroyed twice are destroyed): no tracking record needed."""
        assert isinstance(event, CustomerErased)
        await self.run(self.app.forget, list(event.reached))
        for listener in self.erased:
            listener(set(event.reached))

    async def document_step(self, event: Event, tracking: Tracking) -> None:
        """Approvers asked (or reminded), and requesters of a decision."""
        assert isinstance(event, DocumentStep)
        await self._notify(event, event.notify, document_message, tracking)

    async def notification_due(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, NotificationDeadline)
        await self.deliver(event.notification_id)

    async def _notify(
        self,
        event: ContactEscalated | ContactFlagged | OwnerInformed | DocumentStep,
        person_ids: str | list[str] | None,
        template: Template[E],
        tracking: Tracking,
    ) -> None:
        if await self.run(self.app.is_processed, tracking):
            return
        wanted = person_ids if isinstance(person_ids, list) else [person_ids]
        planned = []
        for person_id in wanted:
            if person_id not in self._people():
                continue
            person = self.config.person(person_id)
            message = template(event, person, self.link_base)  # type: ignore[arg-type]
            planned += notifications(event, event.contact_id, person, message, utcnow())
        # The safety net goes first: once recorded, a notification always has a deadline.
        for n in planned:
            await self._schedule(n.id, utcnow() + timedelta(seconds=SAFETY_NET_SECONDS))
        new = await self.run(self.app.plan, planned, tracking)
        for notification_id in new:
            await self.deliver(notification_id)

    async def deliver(self, notification_id: uuid.UUID) -> None:
        """Tries a pending notification once; records what happened. A no-op for one that
        was delivered or failed already, so a deadline firing late sends nothing twice."""
        n = await self.run(self.app.get, notification_id)
        if n is None or not n.is_pending:
            return
        sender = self.senders.get(n.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no {n.channel} sender is configured", retry=False)
            provider_id = await sender.send(n)
        except DeliveryFailed as exc:
            now = utcnow()
            retry_at = (
                next_attempt(n.attempts + 1, now, self.config.notifier) if exc.retry else None
            )
            if retry_at is None:
                log.error("notification %s to %s failed: %s", n.id, n.address, exc.reason)
                n.fail(exc.reason, now)
            else:
                log.warning("notification %s: %s; retry at %s", n.id, exc.reason, retry_at)
                await self._schedule(n.id, retry_at)
                n.attempt_failed(exc.reason, now, retry_at)
            await self._save(n)
            return
        n.delivered(provider_id, utcnow())
        await self._save(n)

    async def _save(self, notification: Notification) -> None:
        try:
            await self.run(self.app.record, notification)
        except IntegrityError:
            # The immediate attempt and a deadline raced; the other one's outcome stands.
            log.info("notification outcome already recorded by a concurrent attempt")

    async def _schedule(self, notification_id: uuid.UUID, at: datetime) -> None:
        await schedule(self.broker, NotificationDeadline(notification_id=notification_id), at)

    def _people(self) -> set[str]:
        return {p.id for p in self.config.people}
