"""Notifier's message handlers, keyed by the event they handle."""

from __future__ import annotations

from typing import TypeVar

from eventsourcing.persistence import Tracking

from events import ContactEscalated, ContactFlagged, Event
from events.base import utcnow
from schemas.config import SwitchboardConfig
from services.notifier.application import NotifierApplication
from services.notifier.notification import Notification
from services.notifier.templates import Template, escalation_email, flagged_email
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.smtp import Mailer

E = TypeVar("E", bound=Event)


class NotifierHandlers:
    def __init__(
        self,
        app: NotifierApplication,
        run: SerialExecutor,
        mailer: Mailer,
        config: SwitchboardConfig,
        settings: Settings,
    ) -> None:
        self.app = app
        self.run = run
        self.mailer = mailer
        self.config = config
        self.settings = settings

    async def contact_escalated(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ContactEscalated)
        await self._email(event, event.to_person_id, escalation_email, tracking)

    async def contact_flagged(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ContactFlagged)
        await self._email(event, event.supervisor_id, flagged_email, tracking)

    async def _email(
        self, event: E, person_id: str | None, template: Template[E], tracking: Tracking
    ) -> None:
        """Sends, then records with tracking. A crash between the two sends again on
        redelivery (at least once); the stable Message-ID lets mail systems drop it."""
        if await self.run(self.app.is_processed, tracking):
            return
        person = self.config.person(person_id) if person_id else None
        if person is None or not person.email:
            await self.run(self.app.record, None, tracking)  # nobody to tell by e-mail
            return
        message = template(event, person, self.settings.smtp_from, self.settings.link_base())
        how = await self.mailer.send(message)
        notification = Notification(
            event_id=event.event_id,
            recipient=person.id,
            channel=f"email:{how}",
            address=person.email,
            subject=str(message["Subject"]),
            sent_at=utcnow(),
        )
        await self.run(self.app.record, notification, tracking)
