"""Composition root of the notifier service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.notifier.adapters.senders import EmailSender, Sender, SmsSender
from services.notifier.application import NotifierApplication
from services.notifier.contracts import to_contract
from services.notifier.desk_api import desk_router
from services.notifier.handlers import NotifierHandlers
from services.notifier.live import DeskHub, live_feed
from services.notifier.notifications_view import NotificationsView
from switchboard.auth import Authenticator
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.log_follower import follow_in_memory
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.service import Service, loops_health
from switchboard.settings import Settings
from switchboard.smtp import mailer_for
from switchboard.store import event_store_env


def build_notifier(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
) -> Service:
    app = NotifierApplication(env=event_store_env(settings, "notifier"))
    run = SerialExecutor("notifier")
    relay = OutboxRelay.configured("notifier", app, js, to_contract, run, settings)
    view = NotificationsView()
    view_loop = follow_in_memory(app, "projection:notifications", view, run, settings.log_poll())
    senders: dict[str, Sender] = {
        "email": EmailSender(mailer_for(settings.smtp_url), settings.smtp_from)
    }
    twilio = config.channels.twilio
    sms = (
        SmsSender(twilio, config.notifier.sms_per_hour)
        if twilio is not None and twilio.from_number
        else None
    )
    if sms is not None:
        senders["sms"] = sms

    handlers = NotifierHandlers(app, run, broker, senders, config, settings.link_base())
    handlers.erased.append(view.forget)
    hub = DeskHub()
    inboxes = [
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-escalations",
            subject="sb.events.routing.ContactEscalated",
            handler=handlers.contact_escalated,
            description="Tells the person a contact was escalated to (e-mail, SMS)",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-flags",
            subject="sb.events.routing.ContactFlagged",
            handler=handlers.contact_flagged,
            description="Tells the supervisor of an agent who can no longer be reached",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-owners",
            subject="sb.events.routing.OwnerInformed",
            handler=handlers.owner_informed,
            description="Tells an account owner that someone else took their customer's contact",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-sla",
            subject="sb.events.sla.>",
            handler=handlers.sla_outcome,
            description="Tells people of SLA warnings, breaches and escalations (e-mail, SMS)",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-erasures",
            subject="sb.events.history.CustomerErased",
            handler=handlers.customer_erased,
            description="Makes notifications about an erased person's contacts unreadable",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-documents",
            subject="sb.events.documents.>",
            handler=handlers.document_step,
            description="Tells approvers a document needs them, and requesters the decision",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="notifier-retries",
            subject="sb.timers.fired.notify.>",
            handler=handlers.notification_due,
            description="Tries a pending notification again when its deadline fires",
        ),
    ]

    async def health() -> str:
        await run(app.ping)
        return loops_health((relay.follower, view_loop), inboxes)

    def close() -> None:
        run.shutdown()
        app.close()

    async def aclose() -> None:
        hub.close()
        if sms is not None:
            await sms.close()

    return Service(
        name="notifier",
        routers=[desk_router(hub, view, auth)],
        loops=[relay.follower.run, view_loop.run, live_feed(js, hub)],
        health=health,
        close=close,
        aclose=aclose,
    )
