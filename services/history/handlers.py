"""History's message handlers, keyed by the event they handle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from eventsourcing.persistence import Tracking

from events import (
    ALL_EVENTS,
    ContactEvent,
    CustomerErased,
    DocumentStep,
    Event,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
)
from services.history.application import HistoryApplication
from services.history.erasure import StreamEraser
from switchboard.inbound_batches import Unbatchable
from switchboard.serial import SerialExecutor

# Routing's events history records on the customer's timeline (`decide_contact_event`,
# `contact_event`): its consumer takes only these, not routing's other events (a contact's
# opening, agents' status and wrap-up), which it would only pass.
ROUTING_CONTACT_EVENTS: tuple[type[Event], ...] = tuple(
    e
    for e in ALL_EVENTS
    if issubclass(e, ContactEvent) and e.subject.startswith("sb.events.routing.")
)


class HistoryHandlers:
    def __init__(
        self, app: HistoryApplication, run: SerialExecutor, eraser: StreamEraser | None = None
    ) -> None:
        self.app = app
        self.run = run
        self.eraser = eraser
        # Told of each reply's status before it is recorded here (idempotent listeners, so
        # a crash between the two repeats theirs rather than losing it): documents.
        self.reply_listeners: list[Callable[[ReplyStatusChanged], Awaitable[None]]] = []

    async def customer_erased(self, event: Event, tracking: Tracking) -> None:
        """The streams lose what they hold of the person (a scan: redelivery repeats it
        harmlessly, so no tracking record is needed)."""
        if isinstance(event, CustomerErased) and self.eraser is not None:
            await self.eraser.erase(event.customer_id, event.reached, event.raw_refs)

    def decide_inbound(self, event: Event, tracking: Tracking) -> None:
        """One message of a batch (switchboard/inbound_batches.py), on the store's thread."""
        if not isinstance(event, InteractionReceived):
            raise Unbatchable(event.type_name())
        self.app.record_interaction(event, tracking)

    async def inbound(self, event: Event, tracking: Tracking) -> None:
        if await self.run(self.app.is_processed, tracking):
            return
        if isinstance(event, InteractionReceived):
            await self.run(self.app.record_interaction, event, tracking)
        elif isinstance(event, InteractionUpdated):
            await self.run(self.app.record_update, event, tracking)
        elif isinstance(event, ReplyStatusChanged):
            for listener in self.reply_listeners:
                await listener(event)
            await self.run(self.app.record_reply_status, event, tracking)
        else:
            await self.run(self.app.commit, tracking=tracking)  # not ours: just move on

    async def document_step(self, event: Event, tracking: Tracking) -> None:
        if isinstance(event, DocumentStep) and not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.record_document_step, event, tracking)

    def decide_contact_event(self, event: Event, tracking: Tracking) -> None:
        """One routing event of a batch (switchboard/event_batches.py), on the store's thread."""
        if isinstance(event, ContactEvent):
            self.app.record_contact_event(event, tracking)

    async def contact_event(self, event: Event, tracking: Tracking) -> None:
        if not isinstance(event, ContactEvent):
            return
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.record_contact_event, event, tracking)
