"""Composition root of the history service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.documents.wiring import build_documents
from services.history.accounts_api import accounts_router
from services.history.adapters.audit_log import open_audit_log
from services.history.api import history_router
from services.history.application import HistoryApplication
from services.history.audit import Auditor
from services.history.audit_api import audit_router
from services.history.batch_reads import expected_reads
from services.history.contracts import PUBLISHED, to_contract
from services.history.erasure import StreamEraser
from services.history.handlers import ROUTING_CONTACT_EVENTS, HistoryHandlers
from services.history.projector import TimelineProjector, open_timeline_view
from services.history.scope import CustomerScope
from switchboard.auth import Authenticator
from switchboard.consumer_leases import leases_for
from switchboard.event_batches import read_events
from switchboard.inbound_batches import decide_tracked
from switchboard.inbound_consumers import read_inbound
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.service import Service
from switchboard.settings import Settings
from switchboard.store import event_store_env

ROUTING_CONSUMER = "history-routing"


def build_history_core(
    settings: Settings, config: SwitchboardConfig | None = None
) -> TimelineProjector:
    """The store and the read model, without NATS (also used by `switchboard history`)."""
    policy = (config or SwitchboardConfig()).history
    app = HistoryApplication(
        env=event_store_env(settings, "history"), auto_merge_on=policy.auto_merge_on
    )
    view = open_timeline_view(event_store_env(settings, "timeline"))
    return TimelineProjector(app, view, SerialExecutor("timeline"), settings.log_poll())


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
    leases = leases_for(settings, js)
    # Routing offers a contact once history identified its customer; holding that word back
    # until the timeline shows the interaction means the agent's screen pop always has it.
    relay = OutboxRelay.configured(
        "history",
        app,
        js,
        to_contract,
        run,
        settings,
        behind=projector.position,
        publishes=PUBLISHED.__contains__,
    )
    projector.projected.append(relay.follower.wake)
    handlers = HistoryHandlers(app, run, StreamEraser(js))
    agents = [p.id for p in config.people if p.role == "agent"]

    async def behind() -> bool:
        """Routing events sent to history and not yet on the timeline: unread or unacked
        on EVENTS (acked once stored), or stored and not yet projected."""
        info = await js.consumer_info(EVENTS, ROUTING_CONSUMER)
        if info.num_pending or info.num_ack_pending:
            return True
        stored = await run(lambda: app.recorder.max_notification_id() or 0)
        return await projector.position() < stored

    scope = CustomerScope(auth, projector.view, projector.run, behind)
    projector.projected.append(scope.projected)
    documents = build_documents(settings, config, broker, js, auth, app, run, scope.require)
    handlers.reply_listeners.append(documents.reply_status)
    auditor = Auditor(open_audit_log(event_store_env(settings, "audit")))
    inbound = read_inbound(
        broker,
        js,
        service="history",
        partitions=settings.inbound_partitions,
        batching=settings.batching(),
        leases=leases,
        app=app,
        run=run,
        decide=handlers.decide_inbound,
        handler=handlers.inbound,
        expect=expected_reads,
        description="Resolves who sent each interaction and records it on their timeline",
    )
    contact_events = read_events(
        broker,
        js,
        stream=EVENTS,
        durable=ROUTING_CONSUMER,
        subject="sb.events.routing.>",
        batching=settings.batching(follows=True),
        leases=leases,
        run=run,
        # A contact's events in a row change its customer in turn: own writes.
        decide_all=decide_tracked(app, handlers.decide_contact_event, own_writes=True),
        handler=handlers.contact_event,
        description="Records what happened to each contact on its customer's timeline",
        only=ROUTING_CONTACT_EVENTS,
        # Not deferred, though it is bookkeeping: an offer on the timeline is what lets the
        # agent open the customer's card (services/history/scope.py waits 3 s for it). Its
        # batch window (follows=True, 100 ms) is well inside that.
    )
    subscribe(
        broker,
        stream=EVENTS,
        durable="history-erasures",
        subject="sb.events.history.CustomerErased",
        handler=handlers.customer_erased,
        description="Deletes an erased person's stream messages, raw mails and call state",
    )
    subscribe(
        broker,
        stream=EVENTS,
        durable="history-documents",
        subject="sb.events.documents.>",
        handler=handlers.document_step,
        description="Records each step of a contact's documents and approvals on the timeline",
    )

    async def health() -> str:
        await run(app.ping)
        for loop in (relay.follower, projector.follower):
            if loop.last_error:
                return f"{loop.name}: {loop.last_error}"
        return await documents.health()

    def close() -> None:
        run.shutdown()
        projector.close()
        auditor.close()
        documents.close()

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
                scope,
                auditor,
                config.history.tiers,
                agents,
            ),
            accounts_router(app, run, auth, agents, auditor),
            audit_router(auditor, auth),
            *documents.routers,
        ],
        loops=[
            relay.follower.run,
            projector.follower.run,
            *inbound.loops,
            *contact_events.loops,
            *documents.loops,
        ],
        health=health,
        close=close,
    )
