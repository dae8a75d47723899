"""Composition root of the reports service.

Its own service, not part of history: it reads only the public events (routing's and
history's, on EVENTS) and its own read model, so it scales, restarts and rebuilds apart
from the services whose events it counts, and a slow report never holds up a timeline.
"""

from __future__ import annotations

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from events import Event
from schemas.config import SwitchboardConfig
from services.reports.api import Reports, reports_router
from services.reports.projector import ReportsProjector, open_reports_view
from services.reports.scheduled import ScheduledReports
from services.reports.subscriptions_api import subscriptions_router
from switchboard.auth import Authenticator
from switchboard.consumer_leases import leases_for
from switchboard.event_batches import read_events
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.precedence import Lane
from switchboard.serial import SerialExecutor
from switchboard.service import Service
from switchboard.settings import Settings
from switchboard.smtp import mailer_for
from switchboard.store import event_store_env


def build_reports_core(settings: Settings) -> ReportsProjector:
    """The read model without NATS (also used by `switchboard reports rebuild`)."""
    return ReportsProjector(open_reports_view(event_store_env(settings, "reports")))


def build_reports(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    projector = build_reports_core(settings)
    # One thread for the read model: both consumers fold rows the other may touch.
    run = SerialExecutor("reports")
    leases = leases_for(settings, js)

    async def project(event: Event, tracking: Tracking) -> None:
        await run(projector.handle, event, tracking)

    loops = [
        loop
        for durable, subject, description in (
            (
                "reports-routing",
                "sb.events.routing.>",
                "Folds each contact's life into its report row",
            ),
            (
                "reports-history",
                "sb.events.history.CustomerIdentified",
                "Gives each contact's report row its customer's tier",
            ),
        )
        for loop in read_events(
            broker,
            js,
            stream=EVENTS,
            durable=durable,
            subject=subject,
            batching=settings.batching(follows=True),
            leases=leases,
            run=run,
            decide_all=projector.handle_all,  # one transaction per batch
            handler=project,
            description=description,
            lane=Lane.DEFERRED,  # reports may lag a burst by seconds; contacts may not
        ).loops
    ]

    async def health() -> str:
        await run(projector.view.positions)
        return "ok"

    def close() -> None:
        run.shutdown()
        projector.view.close()

    reports = Reports(projector.view, config, auth)
    scheduled = ScheduledReports(
        reports, run, broker, mailer_for(settings.smtp_url), settings.smtp_from, config
    )
    subscribe(
        broker,
        stream=TIMERS,
        durable="reports-schedules",
        subject="sb.timers.fired.report.>",
        handler=scheduled.due,
        description="E-mails a subscribed report when it is due and schedules the next",
    )
    return Service(
        name="reports",
        routers=[reports_router(reports, run, auth), subscriptions_router(scheduled, auth)],
        loops=loops,
        health=health,
        close=close,
    )
