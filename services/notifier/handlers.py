"""Notifier's message handlers, keyed by the event they handle."""

from __future__ import annotations

import logging
from typing import TypeVar

import aiosmtplib
from eventsourcing.persistence import Tracking

from events import ContactEscalated, ContactFlagged, Event
from events.base import utcnow
from schemas.config import SwitchboardConfig
from services.notifier.application import NotifierApplication
from services.notifier.notification import Notification
from services.notifier.templates import Template, escalation_email, flagged_email
from switchboard.inbox import NotYet
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.smtp import Mailer

log = logging.getLogger(__name__)

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
        try:
            how = await self.mailer.send(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # The server said no for good: retrying would not change its mind.
            log.error("notification to %s refused: %s", person.email, exc)
            await self.run(self.app.record, None, tracking)
            return
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The mail server is away: hold this notification (and those after it) and retry.
            raise NotYet(f"mail server unreachable: {exc}", delay=5.0) from exc
        notification = Notification(
            event_id=event.event_id,
            recipient=person.id,
            channel=f"email:{how}",
            address=person.email,
            subject=str(message["Subject"]),
            sent_at=utcnow(),
        )
        await self.run(self.app.record, notification, tracking)
