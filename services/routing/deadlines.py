"""The deadlines each of routing's published events sets: when an offer expires, how long a
contact waits for its customer's identity or in its queue, when a wrap-up, a snooze or a
wait on the customer ends.

Routing's outbox relay schedules them as it publishes the event (switchboard/outbox.py),
so a deadline follows from what was stored, never from a second write beside it; derived
from the event alone, scheduling one again sets the same time.
"""

from __future__ import annotations

from datetime import timedelta

from events import (
    AgentOffered,
    AgentWrapUpStarted,
    ContactOpened,
    ContactPending,
    ContactQueued,
    ContactSnoozed,
    ConversationDeadline,
    Event,
    IdentifyDeadline,
    OfferDeadline,
    WaitDeadline,
    WrapUpDeadline,
)
from schemas.config import RoutingConfig
from services.routing.plan import RoutingPlan
from switchboard.timers import Scheduled


class RoutingDeadlines:
    def __init__(self, plan: RoutingPlan, config: RoutingConfig) -> None:
        self.plan = plan
        self.config = config

    def __call__(self, event: Event) -> list[Scheduled]:
        if isinstance(event, ContactOpened):
            if event.identify_by is None:
                return []
            return [Scheduled(IdentifyDeadline(contact_id=event.contact_id), event.identify_by)]
        if isinstance(event, AgentOffered):
            if event.expires_at is None:
                return []
            offer = OfferDeadline(contact_id=event.contact_id, offer_id=event.offer_id)
            return [Scheduled(offer, event.expires_at)]
        if isinstance(event, ContactQueued):
            return [self._wait(event)]
        if isinstance(event, AgentWrapUpStarted):
            wrap_up = WrapUpDeadline(agent_id=event.agent_id, contact_id=event.contact_id)
            return [Scheduled(wrap_up, event.until)]
        if isinstance(event, ContactPending):
            if event.resolve_at is None:
                return []
            due = ConversationDeadline(contact_id=event.contact_id, due=event.resolve_at)
            return [Scheduled(due, event.resolve_at)]
        if isinstance(event, ContactSnoozed):
            due = ConversationDeadline(contact_id=event.contact_id, due=event.until)
            return [Scheduled(due, event.until)]
        return []

    def _wait(self, event: ContactQueued) -> Scheduled:
        queue = self.plan.by_name.get(event.queue)
        seconds = queue.max_wait_seconds if queue else self.config.max_wait_seconds
        since = event.waiting_since or event.occurred_at
        return Scheduled(
            WaitDeadline(contact_id=event.contact_id), since + timedelta(seconds=seconds)
        )
