"""Composition root of the notifier service."""

from __future__ import annotations

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.notifier.application import NotifierApplication
from services.notifier.handlers import NotifierHandlers
from switchboard.auth import Authenticator
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS
from switchboard.serial import SerialExecutor
from switchboard.service import Service
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
    mailer = mailer_for(settings.smtp_url)
    handlers = NotifierHandlers(app, run, mailer, config, settings)
    inboxes = [
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-escalations",
            subject="sb.events.routing.ContactEscalated",
            handler=handlers.contact_escalated,
            description="E-mails the person a contact was escalated to",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="notifier-flags",
            subject="sb.events.routing.ContactFlagged",
            handler=handlers.contact_flagged,
            description="E-mails the supervisor of an agent who can no longer be reached",
        ),
    ]

    async def health() -> str:
        await run(app.ping)
        dead = sum(i.dead_lettered for i in inboxes)
        return "ok" if not dead else f"ok ({dead} dead-lettered)"

    def close() -> None:
        run.shutdown()
        app.close()

    return Service(name="notifier", health=health, close=close)
