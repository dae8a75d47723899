"""The live feed fetches from EVENTS only what some desk or console is pushed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import nats

from events import AgentOffered, ContactOpened, CustomerIdentified, Event
from services.notifier.live import DeskHub, live_feed
from switchboard.jetstream import EVENTS, ensure_streams, envelope
from switchboard.nats_server import NatsServerProcess
from tests.support.waiting import eventually


class Recording(DeskHub):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)
        super().publish(event)


async def test_the_feed_is_given_only_events_that_push_something(
    nats_server: NatsServerProcess,
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600)
    hub = Recording()
    feed = asyncio.create_task(live_feed(js, hub)())
    try:
        contact = uuid.uuid4()
        offered = AgentOffered(
            contact_id=contact, offer_id=uuid.uuid4(), agent_id="ann", expires_at=None
        )
        events: list[Event] = [
            ContactOpened(
                contact_id=contact, interaction_id=uuid.uuid4(), channel="sms", identify_by=None
            ),
            CustomerIdentified(
                customer_id=uuid.uuid4(),
                interaction_id=uuid.uuid4(),
                contact_id=contact,
                identities=["phone:+15550100"],
                is_new_customer=True,
            ),
            offered,
        ]

        async def published() -> list[Event]:
            # The feed starts at new messages: publish until its consumer exists.
            for event in events:
                env = envelope(event)
                await js.publish(env.subject, env.body, headers=env.headers, stream=EVENTS)
            await asyncio.sleep(0.2)
            return hub.events

        await eventually(published)
        await asyncio.sleep(0.5)
        assert {type(e) for e in hub.events} == {AgentOffered}
        assert offered.event_id in {e.event_id for e in hub.events}
    finally:
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
        await nc.close()
