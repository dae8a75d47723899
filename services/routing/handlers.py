"""Routing's message handlers, keyed by the event they handle."""

from __future__ import annotations

from datetime import datetime, timedelta

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker

from events import (
    CallbackAsked,
    CallLegReported,
    CallRecordingReported,
    ConversationDeadline,
    CustomerErased,
    CustomerIdentified,
    Deadline,
    Event,
    IdentifyDeadline,
    InteractionReceived,
    InteractionUpdated,
    OfferDeadline,
    PresenceDeadline,
    ReplyStatusChanged,
    WaitDeadline,
    WrapUpDeadline,
)
from events.sla import SlaAcknowledged, SlaActionRequested
from services.routing.application import RoutingApplication
from services.routing.deadlines import RoutingDeadlines
from services.routing.sla_actions import acknowledge, carry_out
from services.routing.status_updates import follow
from switchboard.inbound_batches import Unbatchable
from switchboard.serial import SerialExecutor
from switchboard.timers import schedule


class RoutingHandlers:
    def __init__(
        self,
        app: RoutingApplication,
        run: SerialExecutor,
        broker: NatsBroker,
        deadlines: RoutingDeadlines,
    ) -> None:
        self.app = app
        self.run = run
        self.broker = broker
        self.deadlines = deadlines

    def decide_inbound(self, event: Event, tracking: Tracking) -> None:
        """One message of a batch (switchboard/inbound_batches.py), on the store's thread."""
        if not isinstance(event, InteractionReceived):
            raise Unbatchable(event.type_name())
        self.app.receive(event, tracking)

    async def inbound(self, event: Event, tracking: Tracking) -> None:
        if await self.run(self.app.is_processed, tracking):
            return
        if isinstance(event, InteractionReceived):
            await self.run(self.app.receive, event, tracking)
        elif isinstance(event, InteractionUpdated):
            await self.run(self.app.update, event, tracking)
        elif isinstance(event, ReplyStatusChanged):
            await self.run(self.app.reply_status, event, tracking)
        elif isinstance(event, CallLegReported | CallRecordingReported | CallbackAsked):
            await self.run(self.app.voice.reported, event, tracking)
        else:
            await self.run(self.app.commit, tracking=tracking)  # not ours: just move on

    def decide_identified(self, event: Event, tracking: Tracking) -> None:
        """One CustomerIdentified of a batch (switchboard/event_batches.py), on the store's
        thread; offers see the batch's earlier offers (Unit.pending)."""
        if not isinstance(event, CustomerIdentified):
            raise Unbatchable(event.type_name())
        self.app.identified(event, tracking)

    async def customer_identified(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CustomerIdentified)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.identified, event, tracking)

    async def customer_erased(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CustomerErased)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.erase_customer, event.customer_id, tracking)

    async def sla_action(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, SlaActionRequested)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(carry_out, self.app, event, tracking)

    async def own_event(self, event: Event, tracking: Tracking) -> None:
        """Routing's own published events: status updates to the customer, and STOP."""
        if self.app.config.status_updates is None:
            return  # nothing is ever told: nothing to record
        if not await self.run(self.app.is_processed, tracking):
            await self.run(follow, self.app, event, tracking)

    async def sla_acknowledged(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, SlaAcknowledged)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(acknowledge, self.app, event, tracking)

    def decide_identify_deadline(self, event: Event, tracking: Tracking) -> None:
        """One IdentifyDeadline of a batch (switchboard/event_batches.py), on the store's
        thread."""
        if not isinstance(event, IdentifyDeadline):
            raise Unbatchable(event.type_name())
        self.app.identify_expired(event.contact_id, tracking)

    async def identify_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, IdentifyDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.identify_expired, event.contact_id, tracking)

    async def offer_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, OfferDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.expire, event.contact_id, event.offer_id, tracking)

    async def wait_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, WaitDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.wait_expired, event.contact_id, tracking)

    async def presence_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, PresenceDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.presence_lost, event.agent_id, tracking)

    async def wrap_up_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, WrapUpDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.wrap_up_over, event.agent_id, event.contact_id, tracking)

    async def conversation_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ConversationDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.conversation_due, event.contact_id, event.due, tracking)

    async def heartbeat(self, agent_id: str) -> None:
        """Moves the agent's presence deadline forward; the schedule is replaced, not added."""
        limit = timedelta(seconds=self.app.config.heartbeat_timeout_seconds)
        await self._schedule(PresenceDeadline(agent_id=agent_id), self.app.clock() + limit)

    async def scheduled(self, event: Event, tracking: Tracking) -> None:
        """What a retired scheduler consumer still holds (published before the relay
        scheduled deadlines itself): the same deadlines, so scheduling one again only sets
        the time it has."""
        for due in self.deadlines(event):
            await schedule(self.broker, due.deadline, due.at)

    async def _schedule(self, deadline: Deadline, at: datetime) -> None:
        await schedule(self.broker, deadline, at)
