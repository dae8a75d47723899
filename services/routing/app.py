"""Composition root of the routing service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from events import Event
from schemas.config import SwitchboardConfig
from services.routing import status_updates
from services.routing.api import routing_router
from services.routing.application import RoutingApplication
from services.routing.batch_reads import expected_reads
from services.routing.contracts import CONTRACTS, to_contract
from services.routing.deadlines import RoutingDeadlines
from services.routing.document_sends import DocumentSends
from services.routing.follow_up_api import FollowUpHandlers, follow_up_router, subscribe_follow_ups
from services.routing.handlers import RoutingHandlers
from services.routing.queue_stats import QueueStatsProjection
from services.routing.stats_api import stats_router
from services.routing.status_api import status_router
from services.routing.voice_calls import VoiceHandlers, subscribe_voice
from switchboard.auth import Authenticator, session_secret
from switchboard.consumer_leases import leases_for
from switchboard.event_batches import Loop, read_events
from switchboard.inbound_batches import DecideAll, decide_tracked
from switchboard.inbound_consumers import read_inbound
from switchboard.inbox import Handler, Inbox, subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.legacy_drain import LegacyDrain
from switchboard.log_follower import follow_in_memory
from switchboard.nats_permissions import RETIRED_SCHEDULERS
from switchboard.outbox import OutboxRelay
from switchboard.precedence import Lane
from switchboard.serial import SerialExecutor
from switchboard.service import Service
from switchboard.settings import Settings
from switchboard.status_links import StatusLinks
from switchboard.store import event_store_env


def build_routing(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    app = RoutingApplication(
        config.people,
        config.routing,
        queue_supervisor=config.queue_supervisor(),
        env=event_store_env(settings, "routing"),
    )
    app.voice.enable(config.channels.twilio)
    run = SerialExecutor("routing")
    leases = leases_for(settings, js)
    deadlines = RoutingDeadlines(app.plan, app.config)
    relay = OutboxRelay.configured(
        "routing",
        app,
        js,
        to_contract,
        run,
        settings,
        deadlines=deadlines,
        publishes=CONTRACTS.__contains__,
    )
    stats = QueueStatsProjection({q.name: q.sla_seconds for q in app.plan.queues})
    stats_loop = follow_in_memory(
        app,
        "projection:queue-stats",
        stats,
        run,
        settings.log_poll(),
        QueueStatsProjection.KINDS.__contains__,
    )
    handlers = RoutingHandlers(app, run, broker, deadlines)
    # The relay schedules what these consumers did, one per kind of deadline: what they
    # still hold is scheduled, then they are deleted.
    retired = [
        LegacyDrain(js, Inbox(broker, durable), handlers.scheduled, stream=EVENTS)
        for durable in RETIRED_SCHEDULERS
    ]
    inbound = read_inbound(
        broker,
        js,
        service="routing",
        partitions=settings.inbound_partitions,
        batching=settings.batching(),
        leases=leases,
        app=app,
        run=run,
        decide=handlers.decide_inbound,
        handler=handlers.inbound,
        expect=expected_reads,
        description=(
            "Places each message in its conversation (one contact each) and offers new ones;"
            " ends abandoned calls; records what became of replies"
        ),
    )
    identities = read_events(
        broker,
        js,
        stream=EVENTS,
        durable="routing-identities",
        subject="sb.events.history.CustomerIdentified",
        batching=settings.batching(),
        leases=leases,
        run=run,
        # Offers of a batch see its earlier ones (Unit.pending): own writes.
        decide_all=decide_tracked(app, handlers.decide_identified, expected_reads, own_writes=True),
        handler=handlers.customer_identified,
        description="Learns who each contact's customer is (tier, last agent), then queues it",
        lane=Lane.URGENT,  # the last step before a contact waits in a queue
    )
    fetched_loops: list[Loop] = []

    def fetched(
        *,
        stream: str,
        durable: str,
        subject: str,
        handler: Handler,
        description: str,
        only: tuple[type[Event], ...] = (),
        decide_all: DecideAll | None = None,
    ) -> Inbox:
        """A consumer with a message or more per contact: fetched in batches (`up`, `serve`),
        decided whole with `decide_all`, else each handled on its own as before. Both
        follow contacts (customers told a stage, deadlines that mostly find the contact
        named): they wait out a batch window."""
        reader = read_events(
            broker,
            js,
            stream=stream,
            durable=durable,
            subject=subject,
            batching=settings.batching(follows=True),
            leases=leases,
            run=run,
            decide_all=decide_all,
            handler=handler,
            description=description,
            only=only,
        )
        fetched_loops.extend(reader.loops)
        return reader.inbox

    inboxes = [
        *inbound.inboxes,
        identities.inbox,
        *subscribe_voice(broker, VoiceHandlers(app.voice, run, broker)),
        *subscribe_follow_ups(broker, FollowUpHandlers(app.follow_ups, run, broker)),
        inbound.legacy.inbox,
        *(drain.inbox for drain in retired),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-sla-actions",
            subject="sb.events.sla.SlaActionRequested",
            handler=handlers.sla_action,
            description="Raises priority or takes a contact back to its queue on an SLA breach",
        ),
        fetched(
            stream=EVENTS,
            durable="routing-status-updates",
            subject="sb.events.routing.>",
            handler=handlers.own_event,
            description="Tells customers their request's stages; honours STOP",
            only=status_updates.FOLLOWED,
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-sla-acks",
            subject="sb.events.sla.SlaAcknowledged",
            handler=handlers.sla_acknowledged,
            description="Sends customers their request's reference and expected response time",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-erasures",
            subject="sb.events.history.CustomerErased",
            handler=handlers.customer_erased,
            description="Closes an erased customer's contacts and destroys their keys",
        ),
        fetched(
            stream=TIMERS,
            durable="routing-identify-deadlines",
            subject="sb.timers.fired.identify.>",
            handler=handlers.identify_deadline,
            description="Queues contacts whose customer history could not name in time",
            # One fires for nearly every contact, mostly finding it named: a window's worth
            # in one transaction, not one each. Queued ones see the batch's offers.
            decide_all=decide_tracked(app, handlers.decide_identify_deadline, own_writes=True),
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-deadlines",
            subject="sb.timers.fired.offer.>",
            handler=handlers.offer_deadline,
            description="Expires offers nobody accepted in time",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-wait-deadlines",
            subject="sb.timers.fired.wait.>",
            handler=handlers.wait_deadline,
            description="Escalates contacts that waited too long with nobody free",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-presence-deadlines",
            subject="sb.timers.fired.presence.>",
            handler=handlers.presence_deadline,
            description="Takes agents offline whose desk stopped sending heartbeats",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-wrapup-deadlines",
            subject="sb.timers.fired.wrapup.>",
            handler=handlers.wrap_up_deadline,
            description="Ends after-contact work whose time is up, so the agent gets work again",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-conversation-deadlines",
            subject="sb.timers.fired.conversation.>",
            handler=handlers.conversation_deadline,
            description="Ends snoozes and resolves conversations left pending too long",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-document-sends",
            subject="sb.events.documents.DocumentSendRequested",
            handler=DocumentSends(app, run).send_requested,
            description="Sends approved documents as replies on the contact's channel",
        ),
    ]

    async def health() -> str:
        await run(app.ping)
        if relay.follower.last_error:
            return f"relay: {relay.follower.last_error}"
        dead = sum(i.dead_lettered for i in inboxes)
        return "ok" if not dead else f"ok ({dead} dead-lettered)"

    def close() -> None:
        run.shutdown()
        app.close()

    return Service(
        name="routing",
        routers=[
            routing_router(app, run, handlers.heartbeat, auth),
            follow_up_router(app.follow_ups, run, auth),
            stats_router(app, stats, run, auth),
            status_router(app, run, StatusLinks(session_secret(settings), settings.link_base())),
        ],
        loops=[
            relay.follower.run,
            stats_loop.run,
            *inbound.loops,
            *identities.loops,
            *fetched_loops,
            *(drain.run for drain in retired),
        ],
        health=health,
        close=close,
    )
