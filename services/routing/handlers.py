"""Routing's message handlers, keyed by the event they handle."""

from __future__ import annotations

from datetime import UTC

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker

from events import AgentOffered, Event, InteractionReceived, InteractionUpdated, OfferDeadline
from services.routing.application import RoutingApplication
from switchboard.jetstream import TIMERS, envelope
from switchboard.serial import SerialExecutor


class RoutingHandlers:
    def __init__(self, app: RoutingApplication, run: SerialExecutor, broker: NatsBroker) -> None:
        self.app = app
        self.run = run
        self.broker = broker

    async def inbound(self, event: Event, tracking: Tracking) -> None:
        if await self.run(self.app.is_processed, tracking):
            return
        if isinstance(event, InteractionReceived):
            await self.run(self.app.receive, event, tracking)
        elif isinstance(event, InteractionUpdated):
            await self.run(self.app.update, event, tracking)
        else:
            await self.run(self.app.commit, tracking=tracking)  # not ours: just move on

    async def offer_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, OfferDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.expire, event.contact_id, event.offer_id, tracking)

    async def agent_offered(self, event: Event, tracking: Tracking) -> None:
        """Schedules the offer's deadline in NATS. Publishing it again replaces the same
        schedule with the same time, so this needs no tracking of its own."""
        assert isinstance(event, AgentOffered)
        if event.expires_at is None:
            return
        deadline = OfferDeadline(contact_id=event.contact_id, offer_id=event.offer_id)
        env = envelope(deadline, subject=deadline.schedule_subject())
        at = event.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        env.headers.update(
            {"Nats-Schedule": f"@at {at}", "Nats-Schedule-Target": deadline.fire_subject()}
        )
        await self.broker.publish(env.body, env.subject, headers=env.headers, stream=TIMERS)
