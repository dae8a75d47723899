"""The SLA service's message handlers.

After every message about a contact, its clock's next deadline is (re)scheduled as one NATS
message schedule per contact, whether the message was new or a redelivery: the schedule is
derived from the stored clock, so publishing it again is harmless, and a crash between the
commit and the schedule is mended by the redelivery. The lock keeps a slower handler from
publishing a deadline computed before a newer commit."""

from __future__ import annotations

import asyncio
import uuid

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker

from events import ContactEvent, Event
from events.sla import SlaDeadline
from services.sla.application import SlaApplication
from switchboard.serial import SerialExecutor
from switchboard.timers import schedule


class SlaHandlers:
    def __init__(self, app: SlaApplication, run: SerialExecutor, broker: NatsBroker) -> None:
        self.app = app
        self.run = run
        self.broker = broker
        self._lock = asyncio.Lock()

    async def contact_event(self, event: Event, tracking: Tracking) -> None:
        if not self.app.config.sla.policies:
            return  # nothing to keep: no clock starts, so nothing needs recording
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.observe, event, tracking)
        if isinstance(event, ContactEvent):
            await self.reschedule(event.contact_id)

    async def deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, SlaDeadline)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(self.app.fire, event.contact_id, tracking)
        await self.reschedule(event.contact_id)

    async def reschedule(self, contact_id: uuid.UUID) -> None:
        async with self._lock:
            at = await self.run(self.app.next_deadline, contact_id)
            if at is not None:
                await schedule(self.broker, SlaDeadline(contact_id=contact_id), at)
