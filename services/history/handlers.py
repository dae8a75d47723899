"""History's message handlers, keyed by the event they handle."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from events import (
    ContactEvent,
    Event,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
)
from services.history.application import HistoryApplication
from switchboard.inbound_batches import Unbatchable
from switchboard.serial import SerialExecutor


class HistoryHandlers:
    def __init__(self, app: HistoryApplication, run: SerialExecutor) -> None:
        self.app = app
        self.run = run

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
            await self.run(self.app.record_reply_status, event, tracking)
        else:
            await self.run(self.app.commit, tracking=tracking)  # not ours: just move on

    async def contact_event(self, event: Event, tracking: Tracking) -> None:
        if not isinstance(event, ContactEvent):
            return
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.record_contact_event, event, tracking)
