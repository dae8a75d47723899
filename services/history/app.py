"""Composition root of the history service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.history.accounts_api import accounts_router
from services.history.api import history_router
from services.history.application import HistoryApplication
from services.history.contracts import to_contract
from services.history.handlers import HistoryHandlers
from services.history.projector import TimelineProjector, open_timeline_view
from switchboard.auth import Authenticator
from switchboard.inbound_consumers import read_inbound
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.service import Service
from switchboard.settings import Settings
from switchboard.store import event_store_env


def build_history_core(
    settings: Settings, config: SwitchboardConfig | None = None
) -> TimelineProjector:
    """The store and the read model, without NATS (also used by `switchboard history`)."""
    policy = (config or SwitchboardConfig()).history
    app = HistoryApplication(
        env=event_store_env(settings, "history"), auto_merge_on=policy.auto_merge_on
    )
    view = open_timeline_view(event_store_env(settings, "timeline"))
    return TimelineProjector(app, view, SerialExecutor("timeline"))


def build_history(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    projector = build_history_core(settings, config)
    app = projector.app
    run = SerialExecutor("history")
    # Routing offers a contact once history identified its customer; holding that word back
    # until the timeline shows the interaction means the agent's screen pop always has it.
    relay = OutboxRelay("history", app, js, to_contract, run, behind=projector.position)
    projector.projected.append(relay.follower.wake)
    handlers = HistoryHandlers(app, run)
    agents = [p.id for p in config.people if p.role == "agent"]
    inbound = read_inbound(
        broker,
        js,
        service="history",
        partitions=settings.inbound_partitions,
        batch=settings.inbound_batch or 1,
        app=app,
        run=run,
        decide=handlers.decide_inbound,
        handler=handlers.inbound,
        description="Resolves who sent each interaction and records it on their timeline",
    )
    subscribe(
        broker,
        stream=EVENTS,
        durable="history-routing",
        subject="sb.events.routing.>",
        handler=handlers.contact_event,
        description="Records what happened to each contact on its customer's timeline",
    )

    async def health() -> str:
        await run(app.ping)
        for loop in (relay.follower, projector.follower):
            if loop.last_error:
                return f"{loop.name}: {loop.last_error}"
        return "ok"

    def close() -> None:
        run.shutdown()
        projector.close()

    return Service(
        name="history",
        routers=[
            history_router(
                app,
                projector.view,
                run,
                projector.run,
                config.ingest.default_region,
                auth,
                config.history.tiers,
                agents,
            ),
            accounts_router(app, run, auth, agents),
        ],
        loops=[relay.follower.run, projector.follower.run, *inbound.loops],
        health=health,
        close=close,
    )
