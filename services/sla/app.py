"""Composition root of the SLA service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.sla.api import sla_router
from services.sla.application import FOLLOWED, SlaApplication
from services.sla.board import SlaBoard
from services.sla.contracts import to_contract
from services.sla.handlers import SlaHandlers
from switchboard.auth import Authenticator, session_secret
from switchboard.consumer_leases import leases_for
from switchboard.event_batches import read_events
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.log_follower import follow_in_memory
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.service import Service, loops_health
from switchboard.settings import Settings
from switchboard.status_links import StatusLinks
from switchboard.store import event_store_env


def build_sla(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    links = StatusLinks(session_secret(settings), settings.link_base())
    app = SlaApplication(config, env=event_store_env(settings, "sla"), links=links)
    run = SerialExecutor("sla")
    leases = leases_for(settings, js)
    relay = OutboxRelay.configured("sla", app, js, to_contract, run, settings)
    handlers = SlaHandlers(app, run, broker)
    board = SlaBoard()
    board_loop = follow_in_memory(app, "projection:sla-board", board, run, settings.log_poll())
    # One consumer for all of routing's events: a contact's clock must see them in order.
    # Fetched in batches (several messages per contact), each handled on its own.
    contacts = read_events(
        broker,
        js,
        stream=EVENTS,
        durable="sla-contacts",
        subject="sb.events.routing.>",
        batching=settings.batching(follows=True),
        leases=leases,
        run=run,
        decide_all=None,
        handler=handlers.contact_event,
        description="Keeps each contact's SLA clock (replies, pending, resolution, holder)",
        only=FOLLOWED,
    )
    inboxes = [
        contacts.inbox,
        subscribe(
            broker,
            stream=TIMERS,
            durable="sla-deadlines",
            subject="sb.timers.fired.sla.>",
            handler=handlers.deadline,
            description="Takes SLA warnings, breaches and ladder rungs when they fall due",
        ),
    ]

    async def health() -> str:
        await run(app.ping)
        return loops_health((relay.follower, board_loop), inboxes)

    def close() -> None:
        run.shutdown()
        app.close()

    return Service(
        name="sla",
        routers=[sla_router(app, board, run, auth)],
        loops=[relay.follower.run, board_loop.run, *contacts.loops],
        health=health,
        close=close,
    )
