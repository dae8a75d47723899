"""Who is told what, on which channel: plain functions of the event, the person and their
preferences (no I/O)."""

from __future__ import annotations

import uuid
from datetime import datetime

from events import Event
from schemas.config import Person
from services.notifier.notification import Notification
from services.notifier.templates import Message


def addresses(person: Person) -> list[tuple[str, str]]:
    """(channel, address) for each way `person` wants to be told that leaves the desk.
    A channel without an address in the config is skipped: there is nobody to send to."""
    wanted = []
    if "email" in person.notify and person.email:
        wanted.append(("email", person.email))
    if "sms" in person.notify and person.phone:
        wanted.append(("sms", person.phone))
    return wanted


def notifications(
    event: Event,
    contact_id: uuid.UUID | None,
    person: Person,
    message: Message,
    now: datetime,
) -> list[Notification]:
    """One Notification per channel; their ids derive from (event, person, channel), so
    the same event planned again yields the same notifications."""
    return [
        Notification(
            cause_event_id=event.event_id,
            recipient=person.id,
            channel=channel,
            address=address,
            subject=message.subject,
            body=message.body if channel == "email" else message.short,
            contact_id=contact_id,
            requested_at=now,
        )
        for channel, address in addresses(person)
    ]
